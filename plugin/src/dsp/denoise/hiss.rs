//! Hiss and surface noise: a noise floor per bin, tracked by minimum statistics, and the gains
//! of a learned mask against it, never under the floor that the Denoise amount sets.
//!
//! - **The floor** ([`HissReducer::track`]): each bin's power is smoothed over a few frames
//!   ([`POWER_SMOOTHING`]), and its minimum over the last [`FLOOR_SECONDS`] is the floor, times
//!   [`MINIMUM_BIAS`] (the minimum of a smoothed noise periodogram lies that far under its
//!   mean). Music rises above the floor and falls back; a disc's hiss never leaves it. The
//!   minimum is kept in [`SUB_WINDOWS`] sub-windows, so the work per frame is a few
//!   comparisons per bin.
//! - **The floor is the lower envelope across frequency**: the least floor within
//!   [`FLOOR_NEIGHBOURHOOD_OCTAVES`] either side of a bin, then smoothed over
//!   [`FLOOR_SMOOTHING_BINS`]. Hiss is smooth across frequency, while dense music keeps a bin's
//!   minimum high for seconds: without the envelope the floor follows the music there and the
//!   gain takes music away.
//! - **Below the band limit only an audible floor is touched**: a bin whose floor lies more
//!   than [`AUDIBLE_UNDER_DB`] under the loudest smoothed bin heard is the quiet of a clean
//!   recording, not a disc's surface, and is left alone; the reduction grows to its full depth
//!   over [`AUDIBLE_RANGE_DB`] above that.
//! - **Above the band limit** (where the engine generates the band) an old recording holds only
//!   its surface noise, and the band generated there is the music's: the reduction may go
//!   [`ABOVE_BAND_REDUCTION_DB`] deep, and every floor there counts as audible. The band's level
//!   is set over what is left, and on a dark recording a hiss 70 dB under the loudest (bass)
//!   bin still lies 15 to 45 dB over the original's top octaves: left there, it made the band
//!   too loud (on the worn excerpts, LSD 1.499 with the audibility rule above the band limit,
//!   1.453 without).
//! - **The gain** ([`HissReducer::apply`]): the learned hiss mask ([`super::mask`]) reads each
//!   band's level against the floor over the last frames and gives its gain, never under the
//!   floor that the amount sets: [`MAX_REDUCTION_DB`] at 100 %, 0 dB (the input itself) at 0 %.
//!   It replaced a decision-directed Wiener gain (Ephraim and Malah) against the same floor,
//!   which took music with the hiss where the music lies a few dB over it.
//!
//! Below [`HISS_FROM_HZ`] nothing is touched: a disc's hiss lies above it, while sustained bass
//! keeps a bin's minimum high for longer than any floor window and would be taken for noise.
//!
//! Until [`WARM_UP_SECONDS`] of sound have been heard the floor is not known, and the gain is
//! one. Every buffer is sized at construction.

use realfft::num_complex::Complex;

use super::mask::{HissMask, HissMaskModel};
use crate::dsp::stft::StftLayout;

/// Smoothing of each bin's power over frames (a one-pole average, per frame).
pub const POWER_SMOOTHING: f32 = 0.9;

/// Frames heard before the smoothed power enters the minimum: one time constant of
/// [`POWER_SMOOTHING`]. The first frame's smoothed power is that frame's own periodogram, whose
/// dips lie far under the mean; taken into the minimum they held the floor of white noise
/// 20 dB under its mean power for the first 3.4 s.
pub const SETTLE_FRAMES: usize = 10;

/// The span the floor is the minimum over, in seconds: longer than a held note, shorter than
/// the time a disc's surface takes to change.
pub const FLOOR_SECONDS: f32 = 3.0;

/// Sub-windows the span is kept in.
pub const SUB_WINDOWS: usize = 6;

/// The mean power of a noise over the minimum of its smoothed periodogram over
/// [`FLOOR_SECONDS`] with [`POWER_SMOOTHING`] (measured on white noise through the engine's
/// STFT: 1.9 over 1.5 s, 2.1 over 3 s).
pub const MINIMUM_BIAS: f32 = 2.1;

/// The reach of the floor's lower envelope either side of a bin, in octaves.
pub const FLOOR_NEIGHBOURHOOD_OCTAVES: f32 = 0.5;

/// Bins either side of a bin in the floor's smoothing across frequency.
pub const FLOOR_SMOOTHING_BINS: usize = 2;

/// The most a bin is turned down, in dB, at Denoise 100 %.
pub const MAX_REDUCTION_DB: f32 = 12.0;

/// The most a bin above the band limit is turned down, in dB, at Denoise 100 %.
pub const ABOVE_BAND_REDUCTION_DB: f32 = 30.0;

/// A floor this far (dB) under the loudest smoothed bin heard is inaudible: left alone. (The
/// loudest bin is usually the bass, so a disc's hiss in one bin lies 50 to 70 dB under it: on
/// the worn excerpts, 50 dB here left LSD at 1.536, 70 dB gives 1.495, and on the clean ones
/// the change at Denoise 100 % goes from a mean LSD of 0.021 to 0.029.)
pub const AUDIBLE_UNDER_DB: f32 = 70.0;

/// The span (dB) over which the reduction grows to its full depth above the audible limit.
pub const AUDIBLE_RANGE_DB: f32 = 15.0;

/// The lowest frequency turned down, in Hz.
pub const HISS_FROM_HZ: f32 = 500.0;

/// Seconds heard before the floor is trusted.
pub const WARM_UP_SECONDS: f32 = 0.5;

/// Below this power a bin is silence, not noise: its gain stays one.
const SILENT_POWER: f32 = 1e-20;

/// The hiss reducer of one channel.
pub struct HissReducer {
    /// Each bin's power, smoothed over frames.
    smoothed: Vec<f32>,
    /// The minimum of `smoothed` in the sub-window being filled.
    current_min: Vec<f32>,
    /// The minima of the last [`SUB_WINDOWS`] finished sub-windows, `[window][bin]` flattened
    /// (`f32::MAX` in a slot not yet written).
    past_min: Vec<f32>,
    /// The least of `past_min` over its sub-windows, per bin: updated when a sub-window
    /// finishes, so that a frame reads one minimum per bin rather than one per sub-window.
    past_floor: Vec<f32>,
    /// The noise floor per bin (before the envelope and smoothing across frequency).
    raw_floor: Vec<f32>,
    /// The lower envelope of `raw_floor` across frequency.
    envelope: Vec<f32>,
    /// The noise floor per bin, smoothed across frequency.
    floor: Vec<f32>,
    /// The sliding minimum's queue of bins (indices into `raw_floor`; each bin enters it
    /// once per frame, so it never wraps).
    queue: Vec<usize>,
    /// Each bin's neighbourhood for the envelope: the first bin and one past the last.
    neighbourhood: Vec<(usize, usize)>,
    /// The loudest smoothed bin heard since the reset.
    peak_power: f32,
    /// The learned mask that gives the gains; `None` when the embedded network cannot be
    /// used (then nothing is turned down).
    mask: Option<HissMask>,
    /// Frames per sub-window.
    sub_window_frames: usize,
    /// Frames into the current sub-window.
    frames_in_window: usize,
    /// The slot of `past_min` written next.
    next_window: usize,
    /// Frames heard.
    frames_heard: usize,
    /// Frames to hear before the floor is trusted.
    warm_up_frames: usize,
    /// The first bin turned down ([`HISS_FROM_HZ`]).
    first_bin: usize,
}

impl HissReducer {
    /// A reducer for frames of `layout`, with the embedded mask. Allocates.
    pub fn new(layout: &StftLayout) -> Self {
        let bins = layout.num_bins();
        let frames = (FLOOR_SECONDS * layout.frames_per_second()).round() as usize;
        let sub_window_frames = (frames / SUB_WINDOWS).max(1);
        let reach = FLOOR_NEIGHBOURHOOD_OCTAVES.exp2();
        let neighbourhood = (0..bins)
            .map(|bin| {
                let low = (bin as f32 / reach).floor() as usize;
                let high = ((bin as f32 * reach).ceil() as usize + 1).clamp(bin + 1, bins);
                (low, high)
            })
            .collect();
        Self {
            smoothed: vec![0.0; bins],
            current_min: vec![f32::MAX; bins],
            past_min: vec![f32::MAX; bins * SUB_WINDOWS],
            past_floor: vec![f32::MAX; bins],
            raw_floor: vec![0.0; bins],
            envelope: vec![0.0; bins],
            floor: vec![0.0; bins],
            queue: vec![0; bins],
            neighbourhood,
            peak_power: 0.0,
            mask: HissMaskModel::shared().map(|model| HissMask::new(model, layout)),
            sub_window_frames,
            frames_in_window: 0,
            next_window: 0,
            frames_heard: 0,
            warm_up_frames: (WARM_UP_SECONDS * layout.frames_per_second()).ceil() as usize,
            first_bin: (HISS_FROM_HZ / layout.bin_hz()).ceil() as usize,
        }
    }

    /// Forgets everything heard.
    pub fn reset(&mut self) {
        self.smoothed.fill(0.0);
        self.current_min.fill(f32::MAX);
        self.past_min.fill(f32::MAX);
        self.past_floor.fill(f32::MAX);
        self.raw_floor.fill(0.0);
        self.envelope.fill(0.0);
        self.floor.fill(0.0);
        self.peak_power = 0.0;
        if let Some(mask) = self.mask.as_mut() {
            mask.reset();
        }
        self.frames_in_window = 0;
        self.next_window = 0;
        self.frames_heard = 0;
    }

    /// Goes back to the start of the material while keeping the floor heard over it (the
    /// CLI's look-ahead): the next frame is turned down against that floor at once, the frames
    /// before it heard as silence, as at the start.
    pub fn rewind(&mut self) {
        if let Some(mask) = self.mask.as_mut() {
            mask.reset();
        }
    }

    /// Whether the floor is known.
    pub fn ready(&self) -> bool {
        self.frames_heard >= self.warm_up_frames
    }

    /// The noise floor per bin (power, in the engine's FFT scale).
    pub fn floor(&self) -> &[f32] {
        &self.floor
    }

    /// Hears one frame's spectrum: updates the floor.
    pub fn track(&mut self, spectrum: &[Complex<f32>]) {
        let first = self.frames_heard == 0;
        let settled = self.frames_heard >= SETTLE_FRAMES;
        for ((smoothed, current), bin) in self
            .smoothed
            .iter_mut()
            .zip(self.current_min.iter_mut())
            .zip(spectrum)
        {
            let power = bin.norm_sqr();
            *smoothed = if first {
                power
            } else {
                POWER_SMOOTHING * *smoothed + (1.0 - POWER_SMOOTHING) * power
            };
            if settled {
                *current = current.min(*smoothed);
            }
            self.peak_power = self.peak_power.max(*smoothed);
        }
        self.frames_heard = self.frames_heard.saturating_add(1);
        self.frames_in_window += 1;
        let bins = self.smoothed.len();
        if self.frames_in_window == self.sub_window_frames {
            let slot = self.next_window * bins;
            self.past_min[slot..slot + bins].copy_from_slice(&self.current_min);
            self.current_min.fill(f32::MAX);
            self.next_window = (self.next_window + 1) % SUB_WINDOWS;
            self.frames_in_window = 0;
            self.past_floor.copy_from_slice(&self.past_min[..bins]);
            for window in self.past_min[bins..].chunks_exact(bins) {
                for (floor, minimum) in self.past_floor.iter_mut().zip(window) {
                    *floor = floor.min(*minimum);
                }
            }
        }
        for (((raw, smoothed), current), past) in self
            .raw_floor
            .iter_mut()
            .zip(&self.smoothed)
            .zip(&self.current_min)
            .zip(&self.past_floor)
        {
            *raw = MINIMUM_BIAS
                * if settled {
                    smoothed.min(*current).min(*past)
                } else {
                    *smoothed
                };
        }
        self.lower_envelope();
        for (bin, floor) in self.floor.iter_mut().enumerate() {
            let low = bin.saturating_sub(FLOOR_SMOOTHING_BINS);
            let high = (bin + FLOOR_SMOOTHING_BINS + 1).min(bins);
            *floor = self.envelope[low..high].iter().sum::<f32>() / (high - low) as f32;
        }
    }

    /// The least `raw_floor` over each bin's neighbourhood, into `envelope`: a sliding minimum
    /// (both ends of the neighbourhood only move up with the bin), so each bin enters and
    /// leaves the queue once.
    fn lower_envelope(&mut self) {
        // The queue is `queue[head..tail]`; every bin is pushed once, so `tail` stays within
        // the bins.
        let (mut head, mut tail) = (0usize, 0usize);
        let mut next = 0;
        for (&(low, high), envelope) in self.neighbourhood.iter().zip(self.envelope.iter_mut()) {
            while next < high {
                let level = self.raw_floor[next];
                while tail > head && self.raw_floor[self.queue[tail - 1]] >= level {
                    tail -= 1;
                }
                self.queue[tail] = next;
                tail += 1;
                next += 1;
            }
            while self.queue[head] < low {
                head += 1;
            }
            *envelope = self.raw_floor[self.queue[head]];
        }
    }

    /// Turns the noise down in `spectrum` at `amount` (0 to 1), deeper from `band_start_bin`
    /// up (the band limit's bin, or the number of bins when there is none) and there whatever
    /// the floor's audibility, writing what is taken out to `removed` (the bin after less the
    /// bin before). At amount 0, or before the floor is known, nothing changes and `removed` is
    /// zero; the mask hears every frame.
    pub fn apply(
        &mut self,
        amount: f32,
        band_start_bin: usize,
        spectrum: &mut [Complex<f32>],
        removed: &mut [Complex<f32>],
    ) {
        let zero = Complex::new(0.0, 0.0);
        let ready = self.ready();
        let Some(mask) = self.mask.as_mut() else {
            removed.fill(zero);
            return;
        };
        mask.hear(spectrum, &self.floor, &self.smoothed, self.peak_power);
        if amount <= 0.0 || !ready {
            removed.fill(zero);
            return;
        }
        mask.judge();
        let amount = amount.min(1.0);
        let audible_power = self.peak_power * 10f32.powf(-AUDIBLE_UNDER_DB / 10.0);
        let first = self.first_bin.min(spectrum.len());
        removed[..first].fill(zero);
        for (index, ((bin, removed), floor)) in spectrum[first..]
            .iter_mut()
            .zip(removed[first..].iter_mut())
            .zip(&self.floor[first..])
            .enumerate()
        {
            let in_band = first + index >= band_start_bin;
            let depth_db = amount
                * if in_band {
                    ABOVE_BAND_REDUCTION_DB
                } else {
                    MAX_REDUCTION_DB
                };
            if bin.norm_sqr() <= SILENT_POWER || *floor <= SILENT_POWER {
                *removed = zero;
                continue;
            }
            let audible = if in_band {
                1.0
            } else {
                ((10.0 * (floor / audible_power).log10()) / AUDIBLE_RANGE_DB).clamp(0.0, 1.0)
            };
            let min_gain = 10f32.powf(-depth_db * audible / 20.0);
            let gain = mask.bin_gain(first + index).max(min_gain);
            let before = *bin;
            *bin *= gain;
            *removed = *bin - before;
        }
    }

    /// The mask's features for the frame last given to [`HissReducer::apply`] (for the parity
    /// tests); empty without a mask.
    pub fn mask_features(&self) -> &[f32] {
        self.mask.as_ref().map_or(&[], HissMask::features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::stft::StftPlans;

    /// White noise through the engine's STFT: the floor settles within 1.5 dB of its mean
    /// power, in the middle of the band.
    #[test]
    fn the_floor_of_white_noise_is_its_mean_power() {
        let layout = StftLayout::for_sample_rate(48_000.0);
        let plans = StftPlans::new(layout);
        let mut scratch = plans.make_scratch();
        let mut reducer = HissReducer::new(&layout);
        let mut spectrum = plans.make_spectrum();
        let mut state = 0x1234_5678u32;
        let mut mean = vec![0.0f64; layout.num_bins()];
        let frames = (6.0 * layout.frames_per_second()) as usize;
        for _ in 0..frames {
            for (sample, w) in scratch.time.iter_mut().zip(&plans.analysis_window) {
                // Uniform noise from a linear congruential generator.
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *sample = ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * w;
            }
            plans.forward(&mut scratch, &mut spectrum).unwrap();
            reducer.track(&spectrum);
            for (m, bin) in mean.iter_mut().zip(&spectrum) {
                *m += f64::from(bin.norm_sqr()) / frames as f64;
            }
        }
        let middle = layout.num_bins() / 4..layout.num_bins() * 3 / 4;
        let floor: f64 = middle.clone().map(|b| f64::from(reducer.floor()[b])).sum();
        let power: f64 = middle.map(|b| mean[b]).sum();
        let error_db = 10.0 * (floor / power).log10();
        assert!(error_db.abs() < 1.5, "floor off by {error_db:.2} dB");
    }

    /// A steady hiss 90 dB under a loud partial: inaudible below the band limit, where it is
    /// left alone, and turned down above it, where the band is generated over what is left.
    #[test]
    fn hiss_under_the_audible_limit_is_left_alone_below_the_band_limit_only() {
        let layout = StftLayout::for_sample_rate(48_000.0);
        let bins = layout.num_bins();
        let band_start_bin = bins / 2;
        let partial_bin = 40;
        let mut reducer = HissReducer::new(&layout);
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); bins];
        let mut removed = spectrum.clone();
        let mut state = 0x2468_ace0u32;
        let mut frame = |spectrum: &mut [Complex<f32>]| {
            for bin in spectrum.iter_mut() {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let phase = state as f32 / u32::MAX as f32 * std::f32::consts::TAU;
                *bin = Complex::from_polar(1e-3, phase);
            }
            spectrum[partial_bin] = Complex::new(1e-3 * 10f32.powf(90.0 / 20.0), 0.0);
        };
        for _ in 0..(4.0 * layout.frames_per_second()) as usize {
            frame(&mut spectrum);
            reducer.track(&spectrum);
        }
        frame(&mut spectrum);
        let before = spectrum.clone();
        reducer.apply(1.0, band_start_bin, &mut spectrum, &mut removed);
        let reduction_db = |range: std::ops::Range<usize>| {
            let power =
                |s: &[Complex<f32>]| s[range.clone()].iter().map(|b| b.norm_sqr()).sum::<f32>();
            10.0 * (power(&spectrum) / power(&before)).log10()
        };
        let below = reduction_db(partial_bin + 8..band_start_bin);
        let above = reduction_db(band_start_bin..bins);
        assert!(below.abs() < 0.01, "below the band limit: {below:.2} dB");
        assert!(above < -10.0, "above the band limit: {above:.2} dB");
    }
}
