//! Codec holes: finds the bins a lossy codec (MP3, AAC, Vorbis) quantized to zero below its
//! low-pass, and fills them at the level the music has around them.
//!
//! At low bit rates an MDCT codec codes only the strongest lines of each band and zeroes the
//! rest. In a spectrogram the zeroed regions are black cells and stripes, for a few frames or
//! for whole bars, while the music around them goes on: the "underwater" sound of a low-rate
//! file. Music has gaps of its own (between the partials of a solo instrument, in rests), so
//! the work is in two parts:
//!
//! - **Whether the stream has holes** ([`HoleFiller::finish_frame`]): a codec's holes flicker.
//!   A bin that lies [`FLICKER_DEPTH_DB`] under the loudest bin near it, where a few frames
//!   earlier (two to [`FLICKER_REACH_FRAMES`]) it lay within [`FLICKER_RECENT_DB`] of that
//!   level and a few frames later lies there again, fell into silence faster than a sound
//!   decays through the window's overlap and came back: a band the codec zeroed for a few
//!   granules. A note that ends abruptly (a
//!   synthesizer's, a gated drum's) falls as fast but does not come back. Only two such bins
//!   side by side count: a codec zeroes runs of bins, while a single null is as likely a
//!   noise-like band's chance dip. Lossless music,
//!   sparse material included, has almost none of these; a file through a codec at a low rate
//!   has many. Counting a frame [`FLICKER_REACH_FRAMES`] frames late delays only the verdict, not the
//!   audio. The
//!   share of such bins, averaged over a few seconds, switches the fill on above
//!   [`FOUND_SHARE`] and off below [`LOST_SHARE`]. A band limit must also have been detected:
//!   holes are a codec's signature, and a codec low-passes.
//! - **What to fill** ([`HoleFiller::write_fill`]), once holes are found: every bin from
//!   [`HOLE_START_HZ`] up to the band limit that lies [`HOLE_DEPTH_DB`] or more under the
//!   loudest bin within [`NEIGHBOURHOOD_HZ`] of it, in this frame or the
//!   [`HISTORY_FRAMES`] before it, is raised to [`FILL_UNDER_NEIGHBOURHOOD_DB`] under that
//!   level, less at higher rates (fewer flickering bins, a band limit above
//!   [`LOW_RATE_LIMIT_HZ`]), and not at all from [`HIGH_RATE_LIMIT_HZ`] up. The added part has a random phase (measured against copying the bin's own phase:
//!   lower LSD on the excerpts through lame at 48, 64 and 128 kbps), and the part of it that
//!   points against the input bin is removed, so no bin comes out smaller than it went in.
//!   Only past frames are read, so the fill adds no latency.
//!
//! Every buffer is sized at construction; the work per frame is bounded.

use realfft::num_complex::Complex;

use super::random_phase::next_phasor;
use super::stft::StftLayout;

/// Holes are looked for from here up: below it the bands of an MDCT codec are narrow and a
/// lossy file's holes are few.
pub const HOLE_START_HZ: f32 = 1_000.0;

/// While no band limit is detected, holes are counted (not filled) up to here: the top of
/// hearing.
pub const UNLIMITED_TOP_HZ: f32 = 20_000.0;

/// A bin this far (dB) under the loudest bin near it (in frequency, now or in the last frames)
/// is a hole, once the stream is found to have holes.
pub const HOLE_DEPTH_DB: f32 = 30.0;

/// A hole is filled to this far (dB) under the loudest bin near it, in a stream with many
/// holes (a flicker share of [`FULL_FILL_SHARE`] and up). With fewer, the fill lies deeper,
/// down to [`HOLE_DEPTH_DB`] at [`FOUND_SHARE`], and so it does as the band limit rises from
/// [`LOW_RATE_LIMIT_HZ`] to [`HIGH_RATE_LIMIT_HZ`]: a codec at a higher rate zeroes only the
/// bins far under their neighbours.
pub const FILL_UNDER_NEIGHBOURHOOD_DB: f32 = 16.0;

/// The flicker share from which holes are filled to [`FILL_UNDER_NEIGHBOURHOOD_DB`].
pub const FULL_FILL_SHARE: f32 = 1e-3;

/// Band limits up to here (Hz) are those of codecs at low rates (lame keeps 11 kHz at 64 kbps
/// and 15 kHz at 96): their holes are filled in full, as the flicker share allows.
pub const LOW_RATE_LIMIT_HZ: f32 = 13_000.0;

/// From this band limit up (Hz: lame at 128 kbps and up, ffmpeg's AAC at 128 kbps, Vorbis at
/// -q 2) a codec zeroes only bins deep under a masker, which the music there barely fills:
/// nothing is filled. Between the two the fill fades.
pub const HIGH_RATE_LIMIT_HZ: f32 = 16_000.0;

/// How far (Hz, each side) the neighbourhood of a bin reaches in frequency, for the fill.
pub const NEIGHBOURHOOD_HZ: f32 = 1000.0;

/// Past frames whose neighbourhood levels the fill also reads.
pub const HISTORY_FRAMES: usize = 7;

/// How far (Hz, each side) the neighbourhood reaches for the flicker count.
pub const FLICKER_NEIGHBOURHOOD_HZ: f32 = 375.0;

/// A flickering bin lies at least this far (dB) under its neighbourhood's loudest bin...
pub const FLICKER_DEPTH_DB: f32 = 50.0;

/// ... where within [`FLICKER_REACH_FRAMES`] before and after (but not in the next frame
/// either side, which the window's overlap shares) it lies within this many dB of it.
pub const FLICKER_RECENT_DB: f32 = 20.0;

/// How many frames (each side) a flickering bin may stay down: at low rates a codec zeroes a
/// band for several granules at a time. Counted against two frames, this found the holes of
/// 22 of the 23 excerpts through lame at 32 kbps within their first 2 s (15 before), while
/// the lossless drum break, percussion, tabla and guitar, through brick walls at 4 to 16 kHz,
/// still count none.
pub const FLICKER_REACH_FRAMES: usize = 5;

/// Frames of summed levels kept for the flicker count: the frame counted and
/// [`FLICKER_REACH_FRAMES`] either side.
const FLICKER_FRAMES: usize = 2 * FLICKER_REACH_FRAMES + 1;

/// Share of flickering bins (averaged over [`SHARE_SECONDS`]) above which the stream has holes.
pub const FOUND_SHARE: f32 = 1.5e-5;

/// Share below which holes are no longer found (hysteresis).
pub const LOST_SHARE: f32 = 1e-5;

/// Time constant of the running flicker share, in seconds.
pub const SHARE_SECONDS: f32 = 4.0;

/// Seconds of band-limited sound the share must have averaged before holes can be found.
pub const MIN_HEARD_SECONDS: f32 = 0.5;

/// Bins whose neighbourhood is quieter than this (dB under a full-scale sine's bin) hold
/// nothing worth filling: near-silence stays as it is.
pub const LIVE_FLOOR_DB: f32 = -100.0;

/// Per-channel state of the fill.
struct ChannelHoles {
    /// The neighbourhood maxima (power) of the last `HISTORY_FRAMES + 1` frames, oldest
    /// first by ring index.
    history: Vec<Vec<f32>>,
    /// Ring index of the newest frame in `history`.
    newest: usize,
    /// State of the phase generator (xorshift).
    seed: u32,
}

/// Finds codec holes in the stream and fills them, frame by frame. One per engine.
pub struct HoleFiller {
    /// First bin looked at.
    start_bin: usize,
    /// Neighbourhood half-width of the fill, in bins.
    fill_reach_bins: usize,
    /// Neighbourhood half-width of the flicker count, in bins.
    flicker_reach_bins: usize,
    /// The power of [`LIVE_FLOOR_DB`] under a full-scale sine's bin. Levels are compared as
    /// powers against powers scaled by constant factors (the dB thresholds), which decides as
    /// dB would without a logarithm per bin.
    live_floor_power: f32,
    /// This frame's power per bin, summed over the channels.
    summed_power: Vec<f32>,
    /// The summed power of the last [`FLICKER_FRAMES`] frames, by frame index modulo that.
    summed_levels: Vec<Vec<f32>>,
    /// Their neighbourhood maxima, the same way.
    summed_near: Vec<Vec<f32>>,
    /// Frames added since the last reset.
    frames: u32,
    /// Scratch: one channel's power per bin.
    scratch_power: Vec<f32>,
    /// Scratch of the running maxima.
    scratch_suffix: Vec<f32>,
    /// The running share of flickering bins.
    share: f32,
    /// Weight of a new frame in the running share.
    share_weight: f32,
    /// Band-limited frames heard since the last reset.
    frames_heard: u32,
    /// Frames needed before holes can be found.
    min_frames: u32,
    /// Whether the stream has holes.
    found: bool,
    /// How fully holes are filled at the detected band limit, 0 to 1 (the codec's rate: see
    /// [`LOW_RATE_LIMIT_HZ`]).
    limit_share: f32,
    /// Per-channel fill state.
    channels: Vec<ChannelHoles>,
}

impl HoleFiller {
    /// A filler for `channels` channels of `layout`. Allocates.
    pub fn new(layout: StftLayout, channels: usize) -> Self {
        let bins = layout.num_bins();
        let bin_hz = layout.bin_hz();
        let window_gain = layout.fft_size as f32 / 4.0;
        let mut filler = Self {
            start_bin: (HOLE_START_HZ / bin_hz).ceil() as usize,
            fill_reach_bins: (NEIGHBOURHOOD_HZ / bin_hz).round() as usize,
            flicker_reach_bins: (FLICKER_NEIGHBOURHOOD_HZ / bin_hz).round() as usize,
            live_floor_power: window_gain * window_gain * db_power(LIVE_FLOOR_DB),
            summed_power: vec![0.0; bins],
            summed_levels: (0..FLICKER_FRAMES).map(|_| vec![0.0; bins]).collect(),
            summed_near: (0..FLICKER_FRAMES).map(|_| vec![0.0; bins]).collect(),
            frames: 0,
            scratch_power: vec![0.0; bins],
            scratch_suffix: vec![0.0; bins],
            share: 0.0,
            share_weight: 1.0 / (SHARE_SECONDS * layout.frames_per_second()),
            frames_heard: 0,
            min_frames: (MIN_HEARD_SECONDS * layout.frames_per_second()).ceil() as u32,
            found: false,
            limit_share: 0.0,
            channels: (0..channels)
                .map(|_| ChannelHoles {
                    history: (0..=HISTORY_FRAMES).map(|_| vec![0.0; bins]).collect(),
                    newest: 0,
                    seed: 0,
                })
                .collect(),
        };
        filler.reset();
        filler
    }

    /// Forgets everything heard, as after a transport jump or a change of material.
    pub fn reset(&mut self) {
        self.summed_power.fill(0.0);
        for levels in self.summed_levels.iter_mut().chain(&mut self.summed_near) {
            levels.fill(0.0);
        }
        self.frames = 0;
        self.share = 0.0;
        self.frames_heard = 0;
        self.found = false;
        for (c, channel) in self.channels.iter_mut().enumerate() {
            for levels in &mut channel.history {
                levels.fill(0.0);
            }
            channel.newest = 0;
            channel.seed = 0x2545_F491 ^ (c as u32).wrapping_mul(0x9E37_79B9);
        }
    }

    /// Forgets the last frames heard (the flicker count's and the fill's history) but keeps
    /// the verdict and the share: for a second pass over the same material, whose first
    /// frames follow no frame of it.
    pub fn rewind(&mut self) {
        self.summed_power.fill(0.0);
        for levels in self.summed_levels.iter_mut().chain(&mut self.summed_near) {
            levels.fill(0.0);
        }
        self.frames = 0;
        for channel in &mut self.channels {
            for levels in &mut channel.history {
                levels.fill(0.0);
            }
        }
    }

    /// Takes it that the stream has codec holes, as a saved state remembers: they are filled
    /// from the next frame on, and the flicker count judges afresh once it has heard
    /// [`MIN_HEARD_SECONDS`].
    pub fn assume_found(&mut self) {
        self.found = true;
    }

    /// Whether the stream has been found to have codec holes.
    pub fn holes_found(&self) -> bool {
        self.found
    }

    /// The running share of flickering bins, for reports and tests.
    pub fn flicker_share(&self) -> f32 {
        self.share
    }

    /// Adds one channel's spectrum of this frame to the flicker count.
    pub fn add_channel(&mut self, spectrum: &[Complex<f32>]) {
        for (sum, bin) in self.summed_power.iter_mut().zip(spectrum) {
            *sum += bin.norm_sqr();
        }
    }

    /// Ends the frame: counts its flickering bins below `top_bin` (a semitone under the band
    /// limit, or the top of the audible band while none is detected) and updates whether the
    /// stream has holes, which it can only have while a band limit is detected
    /// (`band_limit_hz`).
    pub fn finish_frame(&mut self, top_bin: usize, band_limit_hz: Option<f32>) {
        let band_limited = band_limit_hz.is_some();
        self.limit_share = band_limit_hz.map_or(0.0, |hz| {
            ((HIGH_RATE_LIMIT_HZ - hz) / (HIGH_RATE_LIMIT_HZ - LOW_RATE_LIMIT_HZ)).clamp(0.0, 1.0)
        });
        let ring = |back: usize| (self.frames as usize + FLICKER_FRAMES - back) % FLICKER_FRAMES;
        let (now, counted_frame) = (ring(0), ring(FLICKER_REACH_FRAMES));
        let earlier = FLICKER_REACH_FRAMES + 2..=2 * FLICKER_REACH_FRAMES;
        let later = 0..=FLICKER_REACH_FRAMES - 2;
        self.summed_levels[now].copy_from_slice(&self.summed_power);
        self.summed_power.fill(0.0);
        sliding_max(
            &self.summed_levels[now],
            self.flicker_reach_bins,
            &mut self.scratch_suffix,
            &mut self.summed_near[now],
        );
        let top = top_bin.min(self.scratch_power.len());
        if top > self.start_bin && self.frames as usize >= FLICKER_FRAMES - 1 {
            let live_floor = self.live_floor_power;
            let (recent, depth) = (db_power(-FLICKER_RECENT_DB), db_power(-FLICKER_DEPTH_DB));
            let (levels, near) = (&self.summed_levels, &self.summed_near[counted_frame]);
            let (mut flickering, mut counted) = (0u32, 0u32);
            let mut previous_flickered = false;
            for k in self.start_bin..top {
                if near[k] < live_floor {
                    previous_flickered = false;
                    continue;
                }
                counted += 1;
                let present = near[k] * recent;
                let deep = levels[counted_frame][k] < near[k] * depth;
                let flickered = deep
                    && earlier.clone().any(|back| levels[ring(back)][k] > present)
                    && later.clone().any(|back| levels[ring(back)][k] > present);
                // A codec zeroes a run of bins; a single bin's dip is as likely a noise-like
                // band's chance null.
                flickering += u32::from(flickered && previous_flickered);
                previous_flickered = flickered;
            }
            if counted > 0 {
                // A plain mean until the time constant is reached, so that the share is
                // right from the first second, then a running mean.
                self.frames_heard = self.frames_heard.saturating_add(1);
                let weight = self.share_weight.max(1.0 / self.frames_heard as f32);
                let share = flickering as f32 / counted as f32;
                self.share += weight * (share - self.share);
            }
        }
        self.frames = self.frames.wrapping_add(1);
        if !band_limited {
            self.found = false;
        } else if self.frames_heard >= self.min_frames {
            if self.share >= FOUND_SHARE {
                self.found = true;
            } else if self.share < LOST_SHARE {
                self.found = false;
            }
        }
    }

    /// Reads channel `channel`'s spectrum of this frame into its history and, when `fill` is
    /// set, writes the fill of its holes from the first hole bin up to `top_bin` into
    /// `correction` (zero elsewhere). Returns whether anything was added.
    pub fn write_fill(
        &mut self,
        channel: usize,
        spectrum: &[Complex<f32>],
        top_bin: usize,
        fill: bool,
        correction: &mut [Complex<f32>],
    ) -> bool {
        correction.fill(Complex::new(0.0, 0.0));
        for (level, bin) in self.scratch_power.iter_mut().zip(spectrum) {
            *level = bin.norm_sqr();
        }
        let state = &mut self.channels[channel];
        state.newest = (state.newest + 1) % state.history.len();
        sliding_max(
            &self.scratch_power,
            self.fill_reach_bins,
            &mut self.scratch_suffix,
            &mut state.history[state.newest],
        );
        if !fill || self.limit_share <= 0.0 {
            return false;
        }
        let top = top_bin.min(spectrum.len());
        let live_floor = self.live_floor_power;
        let confidence = ((self.share - FOUND_SHARE) / (FULL_FILL_SHARE - FOUND_SHARE))
            .clamp(0.0, 1.0)
            .min(self.limit_share);
        let fill_under_db =
            HOLE_DEPTH_DB + confidence * (FILL_UNDER_NEIGHBOURHOOD_DB - HOLE_DEPTH_DB);
        let (hole_depth, fill_under) = (db_power(-HOLE_DEPTH_DB), db_power(-fill_under_db));
        let mut added = false;
        for k in self.start_bin..top {
            let near = state
                .history
                .iter()
                .map(|levels| levels[k])
                .fold(0.0, f32::max);
            if near < live_floor || self.scratch_power[k] > near * hole_depth {
                continue;
            }
            let target_power = near * fill_under;
            let input_power = spectrum[k].norm_sqr();
            let amplitude = (target_power - input_power).max(0.0).sqrt();
            let mut bin = next_phasor(&mut state.seed) * amplitude;
            let along = bin.re * spectrum[k].re + bin.im * spectrum[k].im;
            if along < 0.0 && input_power > 0.0 {
                bin -= spectrum[k] * (along / input_power);
            }
            correction[k] = bin;
            added = true;
        }
        added
    }
}

/// The power of a level in dB.
fn db_power(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

/// `out[k]` is the largest of `levels[k - reach ..= k + reach]` (clipped at the ends), with
/// `suffix` as scratch (both as long as `levels`). Bounded work whatever the reach: van Herk
/// and Gil-Werman's running maxima within blocks of `2 · reach + 1` bins, from the left into
/// `out` and from the right into `suffix`; any window of that width spans at most two blocks.
fn sliding_max(levels: &[f32], reach: usize, suffix: &mut [f32], out: &mut [f32]) {
    let n = levels.len();
    let width = 2 * reach + 1;
    for block in (0..n).step_by(width) {
        let end = (block + width).min(n);
        let mut running = f32::NEG_INFINITY;
        for k in block..end {
            running = running.max(levels[k]);
            out[k] = running;
        }
        running = f32::NEG_INFINITY;
        for k in (block..end).rev() {
            running = running.max(levels[k]);
            suffix[k] = running;
        }
    }
    // A whole window is the suffix maximum of its block from its start and the prefix maximum
    // of its block up to its end: two blocks, or one block exactly, where the two are equal.
    // A window clipped by the left end starts the first block, and ends in it: its prefix
    // maximum. One clipped by the right end ends the array: its suffix maximum where it lies in
    // one block, with the last block's prefix maximum where it spans two. `out[hi]` is read
    // before it is overwritten, as `hi >= k`; no division in the whole windows' loop.
    let left_clipped = reach.min(n);
    for k in 0..left_clipped {
        out[k] = out[(k + reach).min(n - 1)];
    }
    let whole_end = n.saturating_sub(reach).max(left_clipped);
    for k in left_clipped..whole_end {
        out[k] = suffix[k - reach].max(out[k + reach]);
    }
    for k in whole_end..n {
        let lo = k.saturating_sub(reach);
        out[k] = if lo / width == (n - 1) / width {
            suffix[lo]
        } else {
            suffix[lo].max(out[n - 1])
        };
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use crate::dsp::random_phase::next_angle;

    fn layout() -> StftLayout {
        StftLayout::for_sample_rate(48_000.0)
    }

    fn noise(seed: &mut u32) -> f32 {
        next_angle(seed) / std::f32::consts::TAU
    }

    #[test]
    fn sliding_max_is_the_maximum_of_each_window() {
        let mut seed = 7;
        for (n, reach) in [(1, 0), (10, 3), (1025, 24), (1025, 16), (37, 40), (100, 1)] {
            let levels: Vec<f32> = (0..n).map(|_| noise(&mut seed)).collect();
            let (mut suffix, mut out) = (vec![0.0; n], vec![0.0; n]);
            sliding_max(&levels, reach, &mut suffix, &mut out);
            for (k, &max) in out.iter().enumerate() {
                let lo = k.saturating_sub(reach);
                let hi = (k + reach).min(n - 1);
                let expected = levels[lo..=hi].iter().copied().fold(f32::MIN, f32::max);
                assert_eq!(max, expected, "n {n} reach {reach} bin {k}");
            }
        }
    }

    /// A spectrum of noise at -20 dB under full scale per bin, with the bins of `holes`
    /// zeroed.
    fn spectrum(seed: &mut u32, holes: &[std::ops::Range<usize>]) -> Vec<Complex<f32>> {
        let level = layout().fft_size as f32 / 4.0 * 0.1;
        (0..layout().num_bins())
            .map(|k| {
                if holes.iter().any(|hole| hole.contains(&k)) {
                    Complex::new(0.0, 0.0)
                } else {
                    Complex::from_polar(level * (0.5 + noise(seed)), next_angle(seed))
                }
            })
            .collect()
    }

    /// Runs `frames` frames of `make(frame)` on one channel up to 10 kHz; returns the filler
    /// and the last frame's spectrum and fill.
    fn run(
        frames: usize,
        mut make: impl FnMut(usize) -> Vec<Complex<f32>>,
    ) -> (HoleFiller, Vec<Complex<f32>>, Vec<Complex<f32>>, bool) {
        let mut filler = HoleFiller::new(layout(), 1);
        let top = (10_000.0 / layout().bin_hz()) as usize;
        let mut correction = vec![Complex::new(0.0, 0.0); layout().num_bins()];
        let mut last = (Vec::new(), false);
        for frame in 0..frames {
            let spectrum = make(frame);
            filler.add_channel(&spectrum);
            filler.finish_frame(top, Some(10_000.0));
            let found = filler.holes_found();
            let added = filler.write_fill(0, &spectrum, top, found, &mut correction);
            last = (spectrum, added);
        }
        (filler, last.0, correction, last.1)
    }

    #[test]
    fn flickering_holes_are_found_and_filled_and_nothing_else_changes() {
        let mut seed = 1;
        // A hole that opens for two frames of every four, in a different band each time.
        let (filler, spectrum, correction, added) = run(401, |frame| {
            let start = 100 + (frame / 4 % 8) * 40;
            let holes = if frame % 4 < 2 {
                vec![start..start + 20]
            } else {
                vec![]
            };
            spectrum(&mut seed, &holes)
        });
        assert!(filler.holes_found(), "share {}", filler.flicker_share());
        assert!(added);
        let level = layout().fft_size as f32 / 4.0 * 0.1;
        let mut inside = 0;
        for (k, (input, fill)) in spectrum.iter().zip(&correction).enumerate() {
            let output = input + fill;
            assert!(output.norm() >= input.norm() * (1.0 - 1e-6), "bin {k}");
            if input.norm() > 0.0 {
                assert_eq!(fill.norm(), 0.0, "bin {k} is no hole");
            } else if (100..420).contains(&k) && (k - 100) % 40 >= 2 && (k - 100) % 40 < 18 {
                // Inside the hole (away from its edges): filled to its depth under the music.
                inside += 1;
                let db = 20.0 * (output.norm() / (1.5 * level)).log10();
                let expected = -FILL_UNDER_NEIGHBOURHOOD_DB;
                assert!(
                    (expected - 1.0..=expected + 1.0).contains(&db),
                    "bin {k}: {db} dB"
                );
            }
        }
        assert_eq!(inside, 16, "the last frame's hole is checked inside");
    }

    #[test]
    fn steady_gaps_and_silence_are_no_holes() {
        let mut seed = 3;
        // Gaps between partials that stay where they are, as a sustained chord's.
        let gaps: Vec<_> = (0..20).map(|i| 60 + i * 20..72 + i * 20).collect();
        let (filler, _, correction, added) = run(400, |_| spectrum(&mut seed, &gaps));
        assert!(!filler.holes_found());
        assert!(!added);
        assert!(correction.iter().all(|c| c.norm() == 0.0));
        let silence = vec![Complex::new(0.0, 0.0); layout().num_bins()];
        let (filler, _, correction, added) = run(400, |_| silence.clone());
        assert!(!filler.holes_found() && !added);
        assert!(correction.iter().all(|c| c.norm() == 0.0));
    }

    #[test]
    fn notes_that_end_abruptly_are_no_holes() {
        let mut seed = 9;
        // A band falls silent at once and stays silent for half a second, while the music
        // around it goes on: a synthesizer's note-off, not a codec's hole.
        let (filler, _, _, added) = run(401, |frame| {
            let start = 100 + (frame / 24 % 8) * 40;
            let holes = if frame % 24 >= 2 {
                vec![start..start + 20]
            } else {
                vec![]
            };
            spectrum(&mut seed, &holes)
        });
        assert!(!filler.holes_found(), "share {}", filler.flicker_share());
        assert!(!added);
    }

    #[test]
    fn no_band_limit_means_no_holes() {
        let mut seed = 5;
        let mut filler = HoleFiller::new(layout(), 1);
        for frame in 0..400 {
            let holes = if frame % 4 < 2 {
                vec![200..220]
            } else {
                vec![]
            };
            filler.add_channel(&spectrum(&mut seed, &holes));
            filler.finish_frame(400, None);
        }
        assert!(!filler.holes_found());
    }
}
