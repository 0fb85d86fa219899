//! Band-limit detection: finds where a band-limited signal's spectrum ends, on recorded music.
//!
//! Recorded music rolls off gently, is quiet up high and changes from bar to bar, so the
//! detector looks at the brightest moments, where a natural roll-off reaches highest and a band
//! limit still holds. Each frame's level at every point of a log-frequency grid goes into that
//! point's histogram (weighted down with age), and a few times a second the
//! [`LEVEL_PERCENTILE`] of every histogram gives a "bright" spectrum, which is searched from
//! the top down:
//!
//! 1. **Floor.** The level just below the top of the audible band is the file's floor (its
//!    quantization or codec noise when band-limited). Music whose 1 to 2 kHz level is less
//!    than [`MIN_RANGE_DB`] above it has no band limit to find.
//! 2. **Top of content.** The highest grid point more than [`CONTENT_MARGIN_DB`] above the
//!    floor. At the top of the band: no band limit.
//! 3. **A cliff** (brick wall, MP3, codec low-pass, steep filters): a drop of at least
//!    [`CLIFF_DROP_DB`] within a twelfth of an octave, starting well above the floor, near the
//!    top of content. The edge is the -3 dB point below the shoulder where the steep descent
//!    starts. A cliff that is not sheer (still falling above its shoulder: a digital filter
//!    steepening towards Nyquist) is followed further down its slope (`SLOPE_DESCENT_DB`).
//! 4. **A deep cliff or a deep slope** (elliptic low-passes): a fall of [`DEEP_DROP_DB`] within
//!    a third of an octave, or of [`DEEP_SLOPE_DROP_DB`] within an octave, above which the
//!    music stays far down (its stopband) but may lie above the floor all the way up. A deep
//!    cliff is looked for before any other cliff; a deep slope only where the spectrum does
//!    not approach the floor as a slope must (below).
//! 5. **A slope** (gentle low-passes): only when the spectrum falls to the floor faster than
//!    [`MIN_APPROACH_DB_PER_OCTAVE`]. The bright spectrum is fitted, by least squares, with the
//!    music's own straight trend times a Butterworth low-pass of some order
//!    ([`SLOPE_ORDERS`]) on the frequency axis of the bilinear transform (digital filters bend
//!    towards Nyquist); the edge is the corner of the best fit. The trend stays gentle, except
//!    under a steep template on dark music whose own fall is far steeper
//!    ([`TREND_MIN_STEEP_DB_PER_OCTAVE`], [`STEEP_TREND_ERROR_SHARE`]). A natural roll-off that
//!    meets the floor gently is no band limit.
//!
//! A new estimate replaces the reported one only when it differs by more than
//! [`HYSTERESIS_OCTAVES`] for [`CHANGE_VOTES`] estimates in a row, so the reported cutoff does
//! not wander.

use realfft::num_complex::Complex;

use super::stft::{StftLayout, OVERLAP};

/// Time constant of the level histograms, in seconds: older frames weigh less and less.
pub const LONG_TERM_SECONDS: f32 = 4.0;

/// Which percentile over time of each grid point's level the edge is searched in: the
/// brightest frames, where a natural roll-off reaches highest and a band limit still holds.
pub const LEVEL_PERCENTILE: f32 = 0.95;

/// Lowest level the histograms hold, in dB (power of an FFT bin, unnormalized).
const HISTOGRAM_FLOOR_DB: f32 = -200.0;

/// Width of one histogram cell in dB.
const HISTOGRAM_CELL_DB: f32 = 1.0;

/// Cells of each grid point's level histogram (up to +160 dB).
const HISTOGRAM_CELLS: usize = 360;

/// Histogram weights are rescaled when the newest frame's weight passes this.
const WEIGHT_RESCALE: f32 = 1e30;

/// How often the long-term spectrum is scanned, in seconds.
pub const ESTIMATE_INTERVAL_SECONDS: f32 = 0.25;

/// Non-silent audio needed before the first decision, in seconds.
pub const MIN_LISTEN_SECONDS: f32 = 0.5;

/// Non-silent audio needed before the first judgement of which bands are missing, in seconds;
/// until then every band counts as missing (a manual cutoff is taken at its word).
pub const MISSING_LISTEN_SECONDS: f32 = 0.25;

/// Estimates closer than this (in octaves) to the reported cutoff count as the same.
pub const HYSTERESIS_OCTAVES: f32 = 1.0 / 12.0;

/// Consecutive agreeing estimates needed to change the reported result.
pub const CHANGE_VOTES: u32 = 4;

/// Seconds over which a reported band limit comes to vouch, on its own, for the band above it
/// (its say grows from 0 to 1 while it holds): an edge that the music disproves within a second
/// or so (a dull opening) hardly does.
pub const SURE_AFTER_SECONDS: f32 = 2.0;

/// Consecutive agreeing estimates needed for the first decision.
pub const FIRST_VOTES: u32 = 1;

/// Lowest edge the detector looks for, in Hz.
pub const MIN_EDGE_HZ: f32 = 2_000.0;

/// Edges at or above this (or above 95 % of Nyquist) mean "no band limit": nothing audible is
/// missing.
pub const FULL_BAND_HZ: f32 = 22_000.0;

/// A file whose 1 to 2 kHz level is less than this many dB above its floor has no edge to find.
pub const MIN_RANGE_DB: f32 = 30.0;

/// Content is what lies more than this many dB above the floor.
pub const CONTENT_MARGIN_DB: f32 = 12.0;

/// A drop of this many dB within a twelfth of an octave is a cliff: no Butterworth filter of
/// order 12 or less is that steep away from Nyquist, brick walls and codec low-passes are.
pub const CLIFF_DROP_DB: f32 = 15.0;

/// A cliff starts at least this many dB above the floor.
const CLIFF_FROM_DB: f32 = 20.0;

/// A cliff whose shoulder lies this many dB or more below the loudest level of the octave
/// under it is the foot of a filter slope, not a band limit of its own.
const CLIFF_FOOT_DB: f32 = 30.0;

/// A cliff is sheer when, a sixth of an octave above its shoulder, the unsmoothed level lies
/// less than this many dB above the floor: a brick wall or a codec's low-pass has fallen to
/// it, while the foot of a filter slope is still falling.
const SHEER_MARGIN_DB: f32 = 3.0;

/// How far below the top of content a cliff is searched for, in octaves.
const CLIFF_SEARCH_OCTAVES: f32 = 0.5;

/// While walking down from a cliff to its shoulder, a twelfth of an octave that falls by this
/// many dB or more is still part of the descent (72 dB per octave).
const DESCENT_DB: f32 = 6.0;

/// Below a cliff that is not sheer (a digital filter's slope steepening towards Nyquist), a
/// twelfth of an octave that falls by this many dB or more is still part of the descent (48 dB
/// per octave).
const SLOPE_DESCENT_DB: f32 = 4.0;

/// A deep cliff: a drop of at least this many dB within a third of an octave...
pub const DEEP_DROP_DB: f32 = 40.0;

/// ...above which nothing comes within this many dB of the level where the drop starts. An
/// elliptic low-pass leaves the music 50 to 80 dB down in its stopband, where it still moves
/// with the music and can lie well above the floor near Nyquist; no natural roll-off falls
/// that far that fast and stays down.
pub const DEEP_RESIDUE_DB: f32 = 35.0;

/// A deep slope: a fall of at least this many dB within an octave (a low-order elliptic
/// filter, whose transition spans half an octave or more before its stopband)...
pub const DEEP_SLOPE_DROP_DB: f32 = 50.0;

/// ...above which nothing comes within this many dB of the level where the fall starts, all
/// the way to the top of content. The bright spectrum of recorded music falls that far that
/// fast only through a filter.
pub const DEEP_SLOPE_RESIDUE_DB: f32 = 45.0;

/// How far below the shoulder the edge lies: the -3 dB point.
const EDGE_DROP_DB: f32 = 3.0;

/// A gentle edge must approach the floor at least this steeply over the half octave below the
/// top of content (dB per octave); a slower approach is a natural roll-off.
pub const MIN_APPROACH_DB_PER_OCTAVE: f32 = 40.0;

/// Butterworth orders of the low-pass templates a gentle edge is fitted with. A digital
/// low-pass of any kind falls like one of these near its corner.
const SLOPE_ORDERS: [u32; 9] = [2, 3, 4, 5, 6, 8, 10, 12, 16];

/// How far below the top of content the corner of a gentle edge is searched for, in octaves.
const SLOPE_SEARCH_OCTAVES: f32 = 3.0;

/// How far below a candidate corner the music's own trend is fitted, in octaves.
const SLOPE_FIT_BELOW_OCTAVES: f32 = 1.0;

/// The music's own trend under a gentle edge tilts between these (dB per octave): recorded
/// music's bright spectrum falls gently or rises a little where a low-pass sets in.
const TREND_MIN_DB_PER_OCTAVE: f32 = -12.0;

/// See [`TREND_MIN_DB_PER_OCTAVE`].
const TREND_MAX_DB_PER_OCTAVE: f32 = 6.0;

/// Under a steep template (order [`STEEP_ORDER`] or more) the music's own trend may fall as
/// fast as this (dB per octave): dark recordings fall 25 to 35 dB per octave above their own
/// knee, where a steep filter's bend still shows.
const TREND_MIN_STEEP_DB_PER_OCTAVE: f32 = -36.0;

/// Lowest template order whose fit may take a trend steeper than [`TREND_MIN_DB_PER_OCTAVE`].
const STEEP_ORDER: u32 = 8;

/// A fit with a trend steeper than [`TREND_MIN_DB_PER_OCTAVE`] wins only when its mean squared
/// error is below this share of the best fit within the usual trends: a gentle filter on
/// music that falls gently also fits a steep one on a steep trend, nearly as well.
const STEEP_TREND_ERROR_SHARE: f32 = 0.3;

/// Resolution of the tabulated templates, in steps per octave of warped frequency.
const TEMPLATE_STEPS_PER_OCTAVE: f32 = 128.0;

/// The templates are tabulated within this many octaves of the corner; beyond it they are 0 dB
/// below and their asymptote above.
const TEMPLATE_SPAN_OCTAVES: f32 = 3.0;

/// A band whose bright level ([`LEVEL_PERCENTILE`]) lies at most this many dB above its median
/// level holds still: it is a floor (a codec's or converter's noise, digital silence), and
/// counts as missing.
pub const FLOOR_SPREAD_DB: f32 = 2.0;

/// A band whose bright level lies at least this many dB above its median moves with the
/// music: it is content, never missing. Between the two spreads the missing share falls from
/// 1 to 0.
pub const CONTENT_SPREAD_DB: f32 = 5.0;

/// A band whose bright level lies this many dB or more below the loudest band's is a floor
/// whatever its spread: what is left above a band limit in floating point follows the music
/// some 140 dB down. Quiet high bands of recorded music lie 60 to 90 dB down, and a 16-bit
/// floor, which holds still, is caught by its spread.
pub const FLOOR_DEPTH_DB: f32 = 110.0;

/// How far above a reported band limit it vouches for the floor, in octaves: the width over
/// which the analysis grid blurs an edge.
pub const EDGE_ZONE_OCTAVES: f32 = 1.0 / 6.0;

/// Above a reported band limit, a band this many dB or more below the music just under the
/// edge is missing (a filter's transition band, attenuated but still moving with the music).
pub const EDGE_DROP_MISSING_DB: f32 = 35.0;

/// Above a reported band limit, a band at most this many dB below the music just under the
/// edge is not missing on that account; in between the missing share grows.
pub const EDGE_DROP_PRESENT_DB: f32 = 15.0;

/// A band this many dB or less below the loudest is never a floor by depth; between the two
/// depths the missing share grows to 1.
pub const CONTENT_DEPTH_DB: f32 = 100.0;

/// Levels more than this many dB below the brightest grid point are clamped there, so that
/// digital zeros above a band limit weigh like any deep floor.
const LEVEL_RANGE_DB: f32 = 100.0;

/// Spacing of the log-frequency analysis grid in octaves.
const GRID_OCTAVES: f32 = 1.0 / 24.0;

/// Each grid point averages the bins within this many octaves of it, on either side.
const GRID_HALF_WIDTH_OCTAVES: f32 = 1.0 / 12.0;

/// Lowest grid frequency in Hz (the knee of a 2 kHz edge is fitted from half an octave lower,
/// and the music's level is read from 1 kHz).
const GRID_LOW_HZ: f32 = 500.0;

/// Frames whose total spectral power is below `fft_size² ·` this are silence and are skipped
/// (about -94 dBFS for noise).
const SILENCE_POWER_PER_SIZE_SQUARED: f32 = 1e-10;

/// What the detector currently reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detection {
    /// Not enough non-silent audio has been heard yet.
    Listening,
    /// The signal reaches the top of the audible band: nothing is missing.
    NoBandLimit,
    /// The signal is band-limited at this frequency.
    BandLimit {
        /// The detected edge in Hz.
        cutoff_hz: f32,
    },
}

impl Detection {
    /// The detected cutoff, if there is one.
    pub fn cutoff_hz(&self) -> Option<f32> {
        match self {
            Detection::BandLimit { cutoff_hz } => Some(*cutoff_hz),
            _ => None,
        }
    }

    /// Whether two results are the same within [`HYSTERESIS_OCTAVES`].
    fn agrees_with(&self, other: &Detection) -> bool {
        match (self, other) {
            (Detection::BandLimit { cutoff_hz: a }, Detection::BandLimit { cutoff_hz: b }) => {
                (a / b).log2().abs() <= HYSTERESIS_OCTAVES
            }
            (a, b) => a == b,
        }
    }
}

/// One point of the log-frequency grid.
#[derive(Debug, Clone, Copy)]
struct GridPoint {
    /// log2 of the centre frequency in Hz.
    log2_hz: f32,
    /// log2 of the centre frequency on the axis of the bilinear transform,
    /// `tan(π · f / sample rate)`: where a digital Butterworth low-pass falls as an analog one.
    warped_log2: f32,
    /// First bin averaged.
    lo_bin: usize,
    /// One past the last bin averaged.
    hi_bin: usize,
}

/// Streaming band-limit detector fed with every frame's spectra.
pub struct CutoffDetector {
    /// The STFT layout of the spectra it is fed.
    layout: StftLayout,
    /// Per grid point, an exponentially weighted histogram of its level over time
    /// (`HISTOGRAM_CELLS` cells each, in grid order).
    histograms: Vec<f32>,
    /// Power per bin of the frame being accumulated, summed over channels.
    frame_power: Vec<f32>,
    /// Weight of the next frame in the histograms; it grows by `weight_growth` every frame,
    /// which decays the older frames relative to it without touching them.
    frame_weight: f32,
    /// Growth of the frame weight per frame.
    weight_growth: f32,
    /// The analysis grid.
    grid: Vec<GridPoint>,
    /// Level in dB at each grid point (the [`LEVEL_PERCENTILE`] over time), refreshed on every
    /// estimate.
    grid_levels_db: Vec<f32>,
    /// `grid_levels_db` smoothed over three grid points and clamped to [`LEVEL_RANGE_DB`]
    /// below its peak: what the edge is searched in.
    bright_db: Vec<f32>,
    /// Per grid point, how much of the band is missing by its spread over time (0: it moves
    /// with the music, 1: it holds still, a floor), as of the latest judgement; all 1 before
    /// the first.
    missing: Vec<f32>,
    /// Non-silent frames needed before the first judgement of `missing`.
    missing_listen_frames: u32,
    /// Per FFT bin, the grid point nearest to it in log frequency.
    bin_grid: Vec<usize>,
    /// The low-pass templates gentle edges are fitted with.
    templates: SlopeTemplates,
    /// Non-silent frames heard so far (saturating).
    active_frames: u32,
    /// Non-silent frames needed before the first decision.
    min_active_frames: u32,
    /// Non-silent frames since the last estimate.
    frames_since_estimate: u32,
    /// Non-silent frames since the last silent one (saturating): the first few still hold the
    /// step out of silence in their window, whose splatter is no part of the music's spectrum.
    frames_since_silence: u32,
    /// Non-silent frames between estimates.
    estimate_interval_frames: u32,
    /// The reported result.
    detection: Detection,
    /// A differing result waiting for enough votes.
    candidate: Detection,
    /// Consecutive estimates agreeing with `candidate`.
    candidate_votes: u32,
    /// Non-silent frames since the reported result last changed (saturating).
    held_frames: u32,
    /// Frames a reported band limit must hold before it vouches fully ([`SURE_AFTER_SECONDS`]).
    sure_after_frames: u32,
}

impl CutoffDetector {
    /// A detector for spectra of `layout`. Allocates everything it will use.
    pub fn new(layout: StftLayout) -> Self {
        let hop_seconds = layout.hop_size as f32 / layout.sample_rate_hz;
        let bin_hz = layout.bin_hz();
        let top_hz = layout.nyquist_hz() * 0.98;
        let mut grid = Vec::new();
        let mut log2_hz = GRID_LOW_HZ.log2();
        while log2_hz.exp2() < top_hz {
            let lo_hz = (log2_hz - GRID_HALF_WIDTH_OCTAVES).exp2();
            let hi_hz = (log2_hz + GRID_HALF_WIDTH_OCTAVES).exp2().min(top_hz);
            let lo_bin = (lo_hz / bin_hz).round() as usize;
            let hi_bin = ((hi_hz / bin_hz).round() as usize).max(lo_bin + 1);
            let warped = (std::f32::consts::PI * log2_hz.exp2() / layout.sample_rate_hz).tan();
            grid.push(GridPoint {
                log2_hz,
                warped_log2: warped.log2(),
                lo_bin,
                hi_bin,
            });
            log2_hz += GRID_OCTAVES;
        }
        let grid_levels_db = vec![0.0; grid.len()];
        let bright_db = vec![0.0; grid.len()];
        let missing = vec![1.0; grid.len()];
        let bin_grid = (0..layout.num_bins())
            .map(|k| {
                let log2_hz = (k.max(1) as f32 * bin_hz).log2();
                let from_low = ((log2_hz - GRID_LOW_HZ.log2()) / GRID_OCTAVES).round();
                (from_low.max(0.0) as usize).min(grid.len() - 1)
            })
            .collect();
        Self {
            layout,
            histograms: vec![0.0; grid.len() * HISTOGRAM_CELLS],
            frame_power: vec![0.0; layout.num_bins()],
            frame_weight: 1.0,
            weight_growth: (hop_seconds / LONG_TERM_SECONDS).exp(),
            grid,
            grid_levels_db,
            bright_db,
            missing,
            missing_listen_frames: (MISSING_LISTEN_SECONDS / hop_seconds).ceil() as u32,
            bin_grid,
            templates: SlopeTemplates::new(),
            active_frames: 0,
            min_active_frames: (MIN_LISTEN_SECONDS / hop_seconds).ceil() as u32,
            frames_since_estimate: 0,
            frames_since_silence: 0,
            estimate_interval_frames: (ESTIMATE_INTERVAL_SECONDS / hop_seconds).round() as u32,
            detection: Detection::Listening,
            candidate: Detection::Listening,
            candidate_votes: 0,
            held_frames: 0,
            sure_after_frames: (SURE_AFTER_SECONDS / hop_seconds).ceil() as u32,
        }
    }

    /// The level in dB at each point of the analysis grid, as `(Hz, dB)`, as of the latest
    /// estimate.
    pub fn grid_levels_db(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        self.grid
            .iter()
            .zip(&self.grid_levels_db)
            .map(|(point, &level)| (point.log2_hz.exp2(), level))
    }

    /// Forgets everything heard, back to [`Detection::Listening`].
    pub fn reset(&mut self) {
        self.histograms.fill(0.0);
        self.missing.fill(1.0);
        self.frame_weight = 1.0;
        self.frame_power.fill(0.0);
        self.active_frames = 0;
        self.frames_since_estimate = 0;
        self.frames_since_silence = 0;
        self.detection = Detection::Listening;
        self.candidate = Detection::Listening;
        self.candidate_votes = 0;
        self.held_frames = 0;
    }

    /// The current result.
    pub fn detection(&self) -> Detection {
        self.detection
    }

    /// Writes the fill's weights per FFT bin into `flat` (`2 * bins` values: the missing shares,
    /// then the sure shares; see [`FillWeights`](super::fill::FillWeights)).
    ///
    /// Missing: 1 where the band holds still over time (a floor: [`FLOOR_SPREAD_DB`]) or lies
    /// [`FLOOR_DEPTH_DB`] below the loudest band, 0 where it moves with the music
    /// ([`CONTENT_SPREAD_DB`]) at an audible level, as of the latest judgement; all 1 until
    /// [`MISSING_LISTEN_SECONDS`] of sound were heard. Just above a reported band limit, from
    /// one grid step below its edge (the detector's resolution) to [`EDGE_ZONE_OCTAVES`] up,
    /// the analysis grid blurs the floor with the music below the edge, so there the band limit
    /// vouches for the floor; further up, a band is missing as far as it lies below the music
    /// just under the edge (a filter's transition band: [`EDGE_DROP_MISSING_DB`]). The fill
    /// adds only where this is above 0, so music, however quiet, keeps its own high band
    /// whatever the cutoff.
    ///
    /// Sure: how far the reported band limit vouches for the bin (the edge zone, and the share
    /// below the music above it), times how far the band's own behaviour over time says it is
    /// gone (the judgement above) or, as the band limit holds, up to 1 over
    /// [`SURE_AFTER_SECONDS`]. It is 0 without a band limit, so a forced cutoff on
    /// full-band music fills only large deficits, and an edge that the music disproves within
    /// a second or two (a dull opening) does not fill real content; a band limit that holds
    /// fills the whole deficit above it, a codec's smeared transients and a filter's transition
    /// band included.
    pub fn write_fill_weights(&self, flat: &mut [f32]) {
        let (missing, sure) = flat.split_at_mut(flat.len() / 2);
        let held = (self.held_frames as f32 / self.sure_after_frames as f32).min(1.0);
        let edge = self.detection.cutoff_hz().map(|hz| {
            let bin = |hz: f32| (hz / self.layout.bin_hz()).floor() as usize;
            let below = self.bin_grid[bin(hz * (-EDGE_ZONE_OCTAVES).exp2())];
            (
                bin(hz * (-GRID_OCTAVES).exp2()),
                bin(hz * EDGE_ZONE_OCTAVES.exp2()),
                self.bright_db[below],
            )
        });
        for (k, ((missing, sure), &point)) in missing
            .iter_mut()
            .zip(sure.iter_mut())
            .zip(&self.bin_grid)
            .enumerate()
        {
            let judged = self.missing[point];
            let (mut share, mut vouched) = (judged, 0.0);
            if let Some((edge_bin, zone_end_bin, music_db)) = edge {
                if k >= edge_bin && k < zone_end_bin {
                    (share, vouched) = (1.0, 1.0);
                } else if k >= zone_end_bin {
                    let drop_db = music_db - self.bright_db[point];
                    vouched = ((drop_db - EDGE_DROP_PRESENT_DB)
                        / (EDGE_DROP_MISSING_DB - EDGE_DROP_PRESENT_DB))
                        .clamp(0.0, 1.0);
                    share = share.max(vouched);
                }
            }
            *missing = share;
            *sure = vouched * judged.max(held);
        }
    }

    /// Adds one channel's spectrum to the frame being accumulated.
    pub fn add_channel(&mut self, spectrum: &[Complex<f32>]) {
        for (acc, bin) in self.frame_power.iter_mut().zip(spectrum) {
            *acc += bin.norm_sqr();
        }
    }

    /// Closes the frame: folds it into the long-term spectrum unless it is silent, and
    /// re-estimates when it is time. Bounded work, no allocation.
    pub fn finish_frame(&mut self) {
        let total: f32 = self.frame_power.iter().sum();
        let size = self.layout.fft_size as f32;
        let sound = total.is_finite() && total > size * size * SILENCE_POWER_PER_SIZE_SQUARED;
        if !sound {
            self.frames_since_silence = 0;
        } else if self.frames_since_silence < OVERLAP as u32 {
            self.frames_since_silence += 1;
        } else {
            self.add_to_histograms();
            self.active_frames = self.active_frames.saturating_add(1);
            self.held_frames = self.held_frames.saturating_add(1);
            self.frames_since_estimate += 1;
            if self.active_frames == self.missing_listen_frames {
                self.judge_missing();
            }
            if self.active_frames >= self.min_active_frames
                && self.frames_since_estimate >= self.estimate_interval_frames
            {
                self.frames_since_estimate = 0;
                let estimate = self.estimate();
                self.vote(estimate);
            }
        }
        self.frame_power.fill(0.0);
    }

    /// Adds the frame's level at every grid point to that point's histogram.
    fn add_to_histograms(&mut self) {
        let weight = self.frame_weight;
        for (point, histogram) in self
            .grid
            .iter()
            .zip(self.histograms.chunks_exact_mut(HISTOGRAM_CELLS))
        {
            let bins = &self.frame_power[point.lo_bin..point.hi_bin];
            let mean = bins.iter().sum::<f32>() / bins.len() as f32;
            let level_db = 10.0 * (mean + 1e-30).log10();
            let cell = ((level_db - HISTOGRAM_FLOOR_DB) / HISTOGRAM_CELL_DB)
                .clamp(0.0, (HISTOGRAM_CELLS - 1) as f32) as usize;
            histogram[cell] += weight;
        }
        self.frame_weight *= self.weight_growth;
        if self.frame_weight > WEIGHT_RESCALE {
            let scale = 1.0 / self.frame_weight;
            self.histograms.iter_mut().for_each(|w| *w *= scale);
            self.frame_weight = 1.0;
        }
    }

    /// Applies the hysteresis to a fresh estimate.
    fn vote(&mut self, estimate: Detection) {
        let needed = if self.detection == Detection::Listening {
            FIRST_VOTES
        } else if estimate.agrees_with(&self.detection) {
            self.candidate_votes = 0;
            return;
        } else {
            CHANGE_VOTES
        };
        if self.candidate_votes > 0 && estimate.agrees_with(&self.candidate) {
            self.candidate_votes += 1;
        } else {
            self.candidate_votes = 1;
        }
        self.candidate = estimate;
        if self.candidate_votes >= needed {
            self.detection = estimate;
            self.candidate_votes = 0;
            self.held_frames = 0;
        }
    }

    /// Judges from the histograms which bands are missing: those that hold still over time, and
    /// those far below the loudest band.
    fn judge_missing(&mut self) {
        let mut peak_db = HISTOGRAM_FLOOR_DB;
        for (level, histogram) in self
            .grid_levels_db
            .iter_mut()
            .zip(self.histograms.chunks_exact(HISTOGRAM_CELLS))
        {
            *level = percentile_db(histogram, LEVEL_PERCENTILE);
            peak_db = peak_db.max(*level);
        }
        for ((missing, histogram), &bright) in self
            .missing
            .iter_mut()
            .zip(self.histograms.chunks_exact(HISTOGRAM_CELLS))
            .zip(&self.grid_levels_db)
        {
            let spread = bright - percentile_db(histogram, 0.5);
            let still = (CONTENT_SPREAD_DB - spread) / (CONTENT_SPREAD_DB - FLOOR_SPREAD_DB);
            let depth = (peak_db - bright - CONTENT_DEPTH_DB) / (FLOOR_DEPTH_DB - CONTENT_DEPTH_DB);
            *missing = still.max(depth).clamp(0.0, 1.0);
        }
    }

    /// Searches the bright spectrum for an edge (see the module documentation). Public so that
    /// offline tools can estimate without the hysteresis. Bounded work, no allocation.
    pub fn estimate(&mut self) -> Detection {
        self.judge_missing();
        let n = self.grid.len();
        let levels = &self.grid_levels_db;
        let mut peak = f32::MIN;
        for i in 0..n {
            let (lo, hi) = (i.saturating_sub(1), (i + 1).min(n - 1));
            let mean = (levels[lo] + levels[i] + levels[hi]) / 3.0;
            self.bright_db[i] = mean;
            peak = peak.max(mean);
        }
        for level in &mut self.bright_db {
            *level = level.max(peak - LEVEL_RANGE_DB);
        }
        // The floor is read at the top of the spectrum: at high sample rates above the audible
        // band, where a high band limit has reached it. Edges from `FULL_BAND_HZ` up are no
        // band limit: nothing audible is missing.
        let full_band_log2 = FULL_BAND_HZ.min(0.95 * self.layout.nyquist_hz()).log2();
        let n_top = self
            .grid
            .partition_point(|p| p.log2_hz < (0.95 * self.layout.nyquist_hz()).log2())
            .min(n);
        if n_top < 4 {
            return Detection::NoBandLimit;
        }
        let floor = self.bright_db[n_top - 3..n_top].iter().sum::<f32>() / 3.0;
        match find_edge(
            &self.grid,
            &self.bright_db,
            &self.grid_levels_db,
            &self.templates,
            floor,
            n_top,
        ) {
            Some(edge_log2) if edge_log2 < full_band_log2 => Detection::BandLimit {
                cutoff_hz: edge_log2.exp2(),
            },
            _ => Detection::NoBandLimit,
        }
    }
}

/// The edge in log2 Hz in a bright spectrum `levels` on `grid` (`raw_levels` before smoothing,
/// for the steepness of cliffs) whose floor is `floor` (the level just below grid point
/// `n_full`, the top of the spectrum), or `None` when the music reaches the top or ends in a
/// natural roll-off. Gentle edges are fitted with `templates`.
fn find_edge(
    grid: &[GridPoint],
    levels: &[f32],
    raw_levels: &[f32],
    templates: &SlopeTemplates,
    floor: f32,
    n_full: usize,
) -> Option<f32> {
    let steps = |octaves: f32| (octaves / GRID_OCTAVES).round() as usize;
    let index_of = |log2_hz: f32| grid.partition_point(|p| p.log2_hz < log2_hz);
    let min_edge = index_of(MIN_EDGE_HZ.log2());
    if min_edge + 4 >= n_full {
        return None;
    }
    let music = &levels[index_of(1_000f32.log2())..=min_edge];
    let music_db = music.iter().sum::<f32>() / music.len() as f32;
    if music_db - floor < MIN_RANGE_DB {
        return None;
    }
    let content = floor + CONTENT_MARGIN_DB;
    let top = (min_edge + 1..n_full)
        .rev()
        .find(|&i| levels[i] > content && levels[i - 1] > content)?;
    if top + 2 >= n_full {
        return None;
    }
    if let Some(edge) = deep_cliff_edge(grid, levels, raw_levels, floor, top, min_edge) {
        return Some(edge);
    }
    if let Some((edge, shoulder, sheer)) =
        cliff_edge(grid, levels, raw_levels, floor, top, min_edge)
    {
        // A drop that does not fall to the floor, from a shoulder far below the music of the
        // octave under it, is the foot of a filter's slope (a tonal peak in the transition
        // band, falling off): the edge is the slope's corner. A brick wall or a codec's
        // low-pass falls to the floor at once, however quiet the music above it was.
        let octave_below = shoulder.saturating_sub(steps(1.0)).max(min_edge);
        let music_below = levels[octave_below..shoulder]
            .iter()
            .fold(f32::MIN, |a, &b| a.max(b));
        if sheer || music_below - levels[shoulder] < CLIFF_FOOT_DB {
            return Some(edge);
        }
        let from = min_edge.max(shoulder.saturating_sub(steps(SLOPE_SEARCH_OCTAVES)));
        return slope_corner(grid, levels, templates, from, shoulder);
    }
    let approach = steps(0.5);
    let approach_db_per_octave = (levels[top.saturating_sub(approach)] - levels[top]) / 0.5;
    if approach_db_per_octave < MIN_APPROACH_DB_PER_OCTAVE {
        return deep_slope_edge(grid, levels, templates, top, min_edge);
    }
    let from = min_edge.max(top.saturating_sub(steps(SLOPE_SEARCH_OCTAVES)));
    slope_corner(grid, levels, templates, from, top)
}

/// A deep fall of the bright spectrum: at least `drop_db` within `span` grid steps, with nothing
/// above it, up to the top of content, within `residue_db` of where it starts.
struct DeepFall {
    span: usize,
    drop_db: f32,
    residue_db: f32,
}

impl DeepFall {
    /// The lowest grid point between `min_edge` and `top` where such a fall starts (its drop
    /// measured in `drop_levels`, the rest in `levels`) at the music's level: less than
    /// [`CLIFF_FOOT_DB`] under the loudest of the octave below, for a partial poking out of a
    /// filter's slope that falls away is the foot of that slope, not a band limit.
    fn lowest_start(
        &self,
        drop_levels: &[f32],
        levels: &[f32],
        top: usize,
        min_edge: usize,
    ) -> Option<usize> {
        let octave = (1.0 / GRID_OCTAVES).round() as usize;
        let mut highest_above = levels[top];
        let mut lowest = None;
        // Downwards, keeping the highest level above each start; the last one found is the
        // lowest.
        for start in (min_edge..top.saturating_sub(self.span)).rev() {
            highest_above = highest_above.max(levels[start + self.span]);
            let deep = drop_levels[start] - drop_levels[start + self.span] >= self.drop_db
                && levels[start] - highest_above >= self.residue_db;
            if !deep {
                continue;
            }
            let octave_below = start.saturating_sub(octave).max(min_edge);
            let music_below = levels[octave_below..=start]
                .iter()
                .fold(f32::MIN, |a, &b| a.max(b));
            if music_below - levels[start] < CLIFF_FOOT_DB {
                lowest = Some(start);
            }
        }
        lowest
    }
}

/// The edge of the lowest deep cliff between `min_edge` and the top of content `top`: a drop of
/// [`DEEP_DROP_DB`] within a third of an octave with nothing above it, up to `top`, within
/// [`DEEP_RESIDUE_DB`] of where it starts (an elliptic filter's stopband, which may lie above
/// the floor all the way up), starting less than [`CLIFF_FOOT_DB`] under the music of the
/// octave below. The edge is found as for any cliff at that place.
fn deep_cliff_edge(
    grid: &[GridPoint],
    levels: &[f32],
    raw_levels: &[f32],
    floor: f32,
    top: usize,
    min_edge: usize,
) -> Option<f32> {
    let third = (1.0 / 3.0 / GRID_OCTAVES).round() as usize;
    let deep = DeepFall {
        span: third,
        drop_db: DEEP_DROP_DB,
        residue_db: DEEP_RESIDUE_DB,
    };
    let start = deep.lowest_start(raw_levels, levels, top, min_edge)?;
    cliff_edge(grid, levels, raw_levels, floor, start + third, min_edge).map(|(edge, _, _)| edge)
}

/// The corner of the lowest deep slope between `min_edge` and the top of content `top`: a fall
/// of [`DEEP_SLOPE_DROP_DB`] within an octave with nothing above it, up to `top`, within
/// [`DEEP_SLOPE_RESIDUE_DB`] of where it starts, starting less than [`CLIFF_FOOT_DB`] under the
/// music of the octave below. An elliptic low-pass of low order falls like that and leaves the
/// music far down but above the floor up to Nyquist, where neither a cliff nor a slope that
/// approaches the floor shows. The corner is fitted as for any gentle edge, on the fall.
fn deep_slope_edge(
    grid: &[GridPoint],
    levels: &[f32],
    templates: &SlopeTemplates,
    top: usize,
    min_edge: usize,
) -> Option<f32> {
    let octave = (1.0 / GRID_OCTAVES).round() as usize;
    let deep = DeepFall {
        span: octave,
        drop_db: DEEP_SLOPE_DROP_DB,
        residue_db: DEEP_SLOPE_RESIDUE_DB,
    };
    let start = deep.lowest_start(levels, levels, top, min_edge)?;
    let from = min_edge.max(start.saturating_sub(octave / 2));
    slope_corner(grid, levels, templates, from, start + octave)
}

/// The edge of a cliff near the top of content `top`: the -3 dB point below the shoulder where
/// the steepest drop's descent starts. The drop is measured in `raw_levels` (unsmoothed, so a
/// codec's cliff keeps its steepness), the shoulder in `levels`. Returns the edge in log2 Hz and
/// the shoulder's grid index, and whether the cliff is sheer (at the floor a sixth of an octave
/// above its shoulder); `None` when no drop is steep enough.
fn cliff_edge(
    grid: &[GridPoint],
    levels: &[f32],
    raw_levels: &[f32],
    floor: f32,
    top: usize,
    min_edge: usize,
) -> Option<(f32, usize, bool)> {
    let span = (CLIFF_SEARCH_OCTAVES / GRID_OCTAVES).round() as usize;
    let lowest = top.saturating_sub(span).max(min_edge + 2) + 1;
    let highest = (top + 2).min(levels.len() - 1);
    let (mut steepest, mut at) = (0.0f32, 0usize);
    for j in lowest..=highest {
        let (from, to) = (raw_levels[j - 2].max(floor), raw_levels[j].max(floor));
        if from - floor < CLIFF_FROM_DB {
            continue;
        }
        let drop = from - to;
        if drop > steepest {
            (steepest, at) = (drop, j);
        }
    }
    if steepest < CLIFF_DROP_DB {
        return None;
    }
    let mut shoulder = at - 2;
    while shoulder > min_edge + 2 && levels[shoulder - 2] - levels[shoulder] >= DESCENT_DB {
        shoulder -= 1;
    }
    let past = (shoulder + (1.0 / 6.0 / GRID_OCTAVES).round() as usize).min(raw_levels.len() - 1);
    let sheer = raw_levels[past] - floor < SHEER_MARGIN_DB;
    if !sheer {
        while shoulder > min_edge + 2 && levels[shoulder - 2] - levels[shoulder] >= SLOPE_DESCENT_DB
        {
            shoulder -= 1;
        }
    }
    let shoulder_index = shoulder;
    let target = levels[shoulder] - EDGE_DROP_DB;
    let mut j = shoulder;
    while j + 2 < levels.len() && levels[j + 1] > target {
        j += 1;
    }
    let (above, below) = (levels[j] - target, target - levels[j + 1]);
    let t = if above + below > 0.0 {
        above / (above + below)
    } else {
        0.0
    };
    Some((
        grid[j].log2_hz + t * (grid[j + 1].log2_hz - grid[j].log2_hz),
        shoulder_index,
        sheer,
    ))
}

/// Butterworth low-pass responses in dB, tabulated against the warped distance from the
/// corner in octaves, one row per order of [`SLOPE_ORDERS`], so that fitting needs no
/// logarithms on the audio thread.
struct SlopeTemplates {
    /// `rows[order][step]`: the response at `step / TEMPLATE_STEPS_PER_OCTAVE -
    /// TEMPLATE_SPAN_OCTAVES` octaves from the corner.
    rows: Vec<f32>,
    /// Steps per row.
    steps: usize,
}

impl SlopeTemplates {
    /// Tabulates every order. Allocates.
    fn new() -> Self {
        let steps = (2.0 * TEMPLATE_SPAN_OCTAVES * TEMPLATE_STEPS_PER_OCTAVE) as usize + 1;
        let mut rows = Vec::with_capacity(SLOPE_ORDERS.len() * steps);
        for order in SLOPE_ORDERS {
            for step in 0..steps {
                let octaves =
                    step as f64 / TEMPLATE_STEPS_PER_OCTAVE as f64 - TEMPLATE_SPAN_OCTAVES as f64;
                let power = 1.0 + (2.0 * order as f64 * octaves).exp2();
                rows.push((-10.0 * power.log10()) as f32);
            }
        }
        Self { rows, steps }
    }

    /// The response in dB of order number `row` at `octaves` (warped) from the corner.
    fn level_db(&self, row: usize, octaves: f32) -> f32 {
        if octaves <= -TEMPLATE_SPAN_OCTAVES {
            return 0.0;
        }
        if octaves >= TEMPLATE_SPAN_OCTAVES {
            // 10 · log10(2) dB per doubling of the power ratio.
            return -3.0103 * 2.0 * SLOPE_ORDERS[row] as f32 * octaves;
        }
        let position = (octaves + TEMPLATE_SPAN_OCTAVES) * TEMPLATE_STEPS_PER_OCTAVE;
        let below = (position as usize).min(self.steps - 2);
        let t = position - below as f32;
        let row = &self.rows[row * self.steps..(row + 1) * self.steps];
        row[below] + t * (row[below + 1] - row[below])
    }
}

/// The corner of a gentle edge between grid points `from` and `top`: for every candidate
/// corner and template order, the levels from [`SLOPE_FIT_BELOW_OCTAVES`] below the corner to
/// `top`, less the template, are fitted with a straight music trend (its tilt kept within
/// [`TREND_MIN_DB_PER_OCTAVE`] and [`TREND_MAX_DB_PER_OCTAVE`]); the corner with the smallest
/// mean squared error wins. Templates of [`STEEP_ORDER`] and up are also fitted with a trend
/// down to [`TREND_MIN_STEEP_DB_PER_OCTAVE`] (the fall of a dark recording above its own
/// knee), and the best such fit wins instead when its error is below
/// [`STEEP_TREND_ERROR_SHARE`] of the other's. Bounded work (a few tens of thousands of table
/// look-ups), no allocation.
fn slope_corner(
    grid: &[GridPoint],
    levels: &[f32],
    templates: &SlopeTemplates,
    from: usize,
    top: usize,
) -> Option<f32> {
    let below_points = (SLOPE_FIT_BELOW_OCTAVES / GRID_OCTAVES).round() as usize;
    let mut best: Option<(f32, usize)> = None;
    let mut best_steep: Option<(f32, usize)> = None;
    for corner in from..top {
        let start = corner.saturating_sub(below_points);
        let points = &grid[start..=top];
        let values = &levels[start..=top];
        let n = points.len() as f32;
        if points.len() < 6 {
            continue;
        }
        let (mut sx, mut sxx) = (0.0f32, 0.0f32);
        for point in points {
            let x = point.log2_hz - grid[corner].log2_hz;
            sx += x;
            sxx += x * x;
        }
        let denominator = n * sxx - sx * sx;
        for (row, &order) in SLOPE_ORDERS.iter().enumerate() {
            let (mut sr, mut sxr, mut srr) = (0.0f32, 0.0f32, 0.0f32);
            for (point, &level) in points.iter().zip(values) {
                let x = point.log2_hz - grid[corner].log2_hz;
                let warped = point.warped_log2 - grid[corner].warped_log2;
                let r = level - templates.level_db(row, warped);
                sr += r;
                sxr += x * r;
                srr += r * r;
            }
            let free = (n * sxr - sx * sr) / denominator;
            let error_with = |slope: f32| {
                let a = (sr - slope * sx) / n;
                (srr - 2.0 * a * sr - 2.0 * slope * sxr
                    + n * a * a
                    + 2.0 * a * slope * sx
                    + slope * slope * sxx)
                    / n
            };
            let error = error_with(free.clamp(TREND_MIN_DB_PER_OCTAVE, TREND_MAX_DB_PER_OCTAVE));
            if best.is_none_or(|(e, _)| error < e) {
                best = Some((error, corner));
            }
            if order >= STEEP_ORDER && free < TREND_MIN_DB_PER_OCTAVE {
                let error = error_with(free.max(TREND_MIN_STEEP_DB_PER_OCTAVE));
                if best_steep.is_none_or(|(e, _)| error < e) {
                    best_steep = Some((error, corner));
                }
            }
        }
    }
    let best = match (best, best_steep) {
        (Some((error, _)), Some((steep_error, corner)))
            if steep_error < STEEP_TREND_ERROR_SHARE * error =>
        {
            Some((steep_error, corner))
        }
        (best, _) => best,
    };
    best.map(|(_, corner)| grid[corner].log2_hz)
}

/// The level in dB below which `fraction` of a histogram's weight lies, interpolated within its
/// cell.
fn percentile_db(histogram: &[f32], fraction: f32) -> f32 {
    let total: f32 = histogram.iter().sum();
    let wanted = fraction * total;
    let mut below = 0.0;
    for (cell, &weight) in histogram.iter().enumerate() {
        if weight > 0.0 && below + weight >= wanted {
            let within = ((wanted - below) / weight).clamp(0.0, 1.0);
            return HISTOGRAM_FLOOR_DB + (cell as f32 + within) * HISTOGRAM_CELL_DB;
        }
        below += weight;
    }
    HISTOGRAM_FLOOR_DB
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector(sample_rate_hz: f32) -> CutoffDetector {
        CutoffDetector::new(StftLayout::for_sample_rate(sample_rate_hz))
    }

    fn index_of(grid: &[GridPoint], hz: f32) -> usize {
        grid.partition_point(|p| p.log2_hz < hz.log2())
    }

    #[test]
    fn templates_follow_the_butterworth_response() {
        let templates = SlopeTemplates::new();
        for (row, &order) in SLOPE_ORDERS.iter().enumerate() {
            assert!(
                (templates.level_db(row, 0.0) + 3.0103).abs() < 1e-3,
                "order {order}"
            );
            assert!(templates.level_db(row, -4.0) == 0.0);
            let one_octave = -10.0 * (1.0 + (2.0 * order as f32).exp2()).log10();
            assert!((templates.level_db(row, 1.0) - one_octave).abs() < 0.05);
            // The asymptote beyond the table continues it.
            let inside = templates.level_db(row, TEMPLATE_SPAN_OCTAVES - 0.01);
            let outside = templates.level_db(row, TEMPLATE_SPAN_OCTAVES + 0.01);
            assert!(
                (outside - inside).abs() < 0.2 * order as f32,
                "order {order}"
            );
        }
    }

    /// A bright spectrum falling `trend_db_per_octave` with a digital Butterworth low-pass of
    /// `order` at `corner_hz` on top: the slope fit finds the corner within a grid step.
    fn corner_found(sample_rate_hz: f32, order: u32, corner_hz: f32, trend_db_per_octave: f32) {
        let detector = detector(sample_rate_hz);
        let grid = &detector.grid;
        let warp = |hz: f32| (std::f32::consts::PI * hz / sample_rate_hz).tan();
        let levels: Vec<f32> = grid
            .iter()
            .map(|p| {
                let ratio = warp(p.log2_hz.exp2()) / warp(corner_hz);
                let filter_db = -10.0 * (1.0 + ratio.powi(2 * order as i32)).log10();
                let trend_db = trend_db_per_octave * (p.log2_hz - 1000f32.log2());
                (trend_db + filter_db).max(-100.0)
            })
            .collect();
        let top = (0..grid.len()).rev().find(|&i| levels[i] > -85.0).unwrap();
        let from = index_of(grid, MIN_EDGE_HZ).max(top.saturating_sub(72));
        let found = slope_corner(grid, &levels, &detector.templates, from, top).unwrap();
        assert!(
            (found - corner_hz.log2()).abs() <= GRID_OCTAVES,
            "order {order} at {corner_hz} Hz: found {:.0} Hz",
            found.exp2()
        );
    }

    #[test]
    fn the_corner_of_a_gentle_low_pass_is_found_on_a_tilted_spectrum() {
        corner_found(44_100.0, 4, 5_000.0, -6.0);
        corner_found(44_100.0, 4, 3_000.0, 0.0);
        corner_found(48_000.0, 8, 9_000.0, -10.0);
        corner_found(48_000.0, 2, 12_000.0, 3.0);
    }

    /// `find_edge` on a bright spectrum given in dB per grid point by `level_db(hz)`, clamped
    /// as `estimate` clamps it (65 dB below the peak, here 0 dB), the unclamped values as the
    /// raw levels.
    fn edge_of(sample_rate_hz: f32, level_db: impl Fn(f32) -> f32) -> Option<f32> {
        let detector = detector(sample_rate_hz);
        let grid = &detector.grid;
        let raw: Vec<f32> = grid.iter().map(|p| level_db(p.log2_hz.exp2())).collect();
        let levels: Vec<f32> = raw.iter().map(|&l| l.max(-LEVEL_RANGE_DB)).collect();
        let n_top = grid.partition_point(|p| p.log2_hz < (0.95 * sample_rate_hz / 2.0).log2());
        let floor = levels[n_top - 3..n_top].iter().sum::<f32>() / 3.0;
        find_edge(grid, &levels, &raw, &detector.templates, floor, n_top).map(f32::exp2)
    }

    #[test]
    fn a_steep_filter_on_dark_music_reads_at_its_corner_not_at_the_music_knee() {
        // Dark music: level up to its own knee, then a fall of 30 or 34 dB per octave, steeper
        // than the usual trends; an 8th- or 12th-order Butterworth on top. Within the usual
        // trends the music's own knee fits better, a quarter of an octave to 1.6 octaves below
        // the filter's corner.
        let rate = 44_100.0;
        let detector = detector(rate);
        let grid = &detector.grid;
        let warp = |hz: f32| (std::f32::consts::PI * hz / rate).tan();
        // (music's knee in Hz, its fall in dB per octave, filter order, filter corner in Hz)
        let cases = [
            (3_000.0, 34.0, 12, 11_000.0),
            (3_000.0, 34.0, 8, 11_000.0),
            (5_000.0, 30.0, 8, 14_000.0),
            (2_500.0, 30.0, 8, 8_000.0),
        ];
        for (knee_hz, fall_db_per_octave, order, corner_hz) in cases {
            let levels: Vec<f32> = grid
                .iter()
                .map(|p| {
                    let hz = p.log2_hz.exp2();
                    let music_db =
                        -fall_db_per_octave / 2.0 * (1.0 + (hz / knee_hz).powi(2)).log2();
                    let filter_db =
                        -10.0 * (1.0 + (warp(hz) / warp(corner_hz)).powi(2 * order)).log10();
                    (music_db + filter_db).max(-100.0)
                })
                .collect();
            let top = (0..grid.len()).rev().find(|&i| levels[i] > -88.0).unwrap();
            let from = index_of(grid, MIN_EDGE_HZ).max(top.saturating_sub(72));
            let found = slope_corner(grid, &levels, &detector.templates, from, top)
                .unwrap()
                .exp2();
            assert!(
                (found / corner_hz).log2().abs() < 1.0 / 6.0,
                "order {order} at {corner_hz} Hz on music falling from {knee_hz} Hz: {found:.0} Hz"
            );
        }
    }

    #[test]
    fn a_tonal_peak_at_the_foot_of_a_filter_slope_is_no_cliff() {
        // Bright music, an 8th-order Butterworth at 6 kHz, and a loud partial at 11 kHz that
        // pokes out of the slope and falls away steeply: the edge is the slope's corner.
        let rate = 44_100.0;
        let warp = |hz: f32| (std::f32::consts::PI * hz / rate).tan();
        let found = edge_of(rate, |hz| {
            let filter_db = -10.0 * (1.0 + (warp(hz) / warp(6_000.0)).powi(16)).log10();
            let partial_db = 14.0 * (-(((hz / 11_000.0).log2() * 40.0).powi(2))).exp();
            filter_db + partial_db
        })
        .unwrap();
        assert!(
            (found / 6_000.0).log2().abs() < 1.0 / 6.0,
            "found {found:.0} Hz"
        );
    }

    #[test]
    fn a_brick_wall_under_dark_music_stays_a_cliff() {
        // Music falling 32 dB per octave from 3 kHz, cut by a brick wall at 11 kHz where it
        // is already 60 dB down, 32 dB under the octave below: the cliff falls to the floor,
        // so it is the edge.
        let found = edge_of(44_100.0, |hz| {
            if hz > 11_000.0 {
                -120.0
            } else {
                -32.0 * (hz / 3_000.0).log2().max(0.0)
            }
        })
        .unwrap();
        assert!(
            (found / 11_000.0).log2().abs() < 1.0 / 12.0,
            "found {found:.0} Hz"
        );
    }

    #[test]
    fn a_digital_filter_steepening_towards_nyquist_reads_at_its_corner() {
        // An 8th-order digital Butterworth at 14 or 16 kHz (44.1 kHz) on a file whose own codec
        // cut it at 19 kHz: the filter falls ever faster towards Nyquist, and the codec's cliff
        // at its foot is steep. That cliff is not sheer (the filter is still falling above its
        // shoulder), so its descent is followed down the filter's slope to the corner, within a
        // grid step (read at the steep shoulder, 14 kHz came out at 14.6 kHz).
        let rate = 44_100.0;
        let warp = |hz: f32| (std::f32::consts::PI * hz / rate).tan();
        for corner_hz in [14_000.0, 16_000.0] {
            let found = edge_of(rate, |hz| {
                let filter_db = -10.0 * (1.0 + (warp(hz) / warp(corner_hz)).powi(16)).log10();
                let codec_db = if hz > 19_000.0 { -120.0 } else { 0.0 };
                -6.0 * (hz / 1_000.0).log2() + filter_db + codec_db
            })
            .unwrap();
            assert!(
                (found / corner_hz).log2().abs() < GRID_OCTAVES,
                "{corner_hz} Hz: found {found:.0} Hz"
            );
        }
    }

    /// The edge found on music that falls 6 dB per octave through an elliptic-like low-pass at
    /// 4 kHz (48 kHz rate): a fall of `transition_db` over `transition_octaves`, then a stopband
    /// `stopband_db` down with 8 dB of ripple (one lobe every `ripple_hz` times pi) that carries
    /// the music far above the floor up to a codec's edge at 16 kHz.
    fn elliptic_edge_hz(
        transition_octaves: f32,
        transition_db: f32,
        stopband_db: f32,
        ripple_hz: f32,
    ) -> f32 {
        edge_of(48_000.0, |hz| {
            let music_db = -6.0 * (hz / 1_000.0).log2();
            let octaves_above = (hz / 4_000.0).log2();
            let filter_db = if octaves_above < 0.0 {
                0.0
            } else if octaves_above < transition_octaves {
                -transition_db * octaves_above / transition_octaves
            } else {
                -stopband_db - 8.0 * (hz / ripple_hz).sin().abs()
            };
            let codec_db = if hz > 16_000.0 { -100.0 } else { 0.0 };
            music_db + filter_db + codec_db
        })
        .expect("a band limit")
    }

    #[test]
    fn an_elliptic_stopband_above_the_floor_is_no_music() {
        // 50 dB down within a quarter of an octave: the top of content is the codec's edge,
        // and the elliptic cliff lies two octaves below it. The deep-cliff rule finds it
        // (without it: 15.3 kHz).
        let found = elliptic_edge_hz((4_800.0f32 / 4_000.0).log2(), 50.0, 50.0, 300.0);
        assert!(
            (found / 4_000.0).log2().abs() < 1.0 / 12.0,
            "found {found:.0} Hz"
        );
    }

    #[test]
    fn a_wide_elliptic_transition_above_the_floor_is_no_music() {
        // A low-order elliptic filter: 60 dB over the octave above its edge, no faster than
        // 20 dB in a third of an octave, then its stopband 55 dB down. Neither a cliff nor a
        // slope to the floor shows; the deep-slope rule finds the corner (without it: no band
        // limit).
        let found = elliptic_edge_hz(1.0, 60.0, 55.0, 500.0);
        assert!(
            (found / 4_000.0).log2().abs() < 1.0 / 6.0,
            "found {found:.0} Hz"
        );
    }

    /// Feeds `seconds` of frames: music below `edge_hz` (its level swings by 14 dB), and above
    /// it a band 50 dB down whose level swings by 20 dB (it moves, like a codec's smeared
    /// transients, but lies far below the music).
    fn feed(detector: &mut CutoffDetector, seconds: f32, edge_hz: f32, frame: &mut u32) {
        let layout = detector.layout;
        let frames = (seconds * layout.sample_rate_hz / layout.hop_size as f32) as u32;
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); layout.num_bins()];
        for _ in 0..frames {
            *frame += 1;
            let swing = if frame.is_multiple_of(4) { 1.0 } else { 0.1 };
            for (k, bin) in spectrum.iter_mut().enumerate() {
                let hz = k as f32 * layout.bin_hz();
                let music = if frame.is_multiple_of(3) { 100.0 } else { 20.0 };
                let magnitude = if hz < edge_hz { music } else { 0.3 * swing };
                *bin = Complex::from_polar(magnitude, (k as f32 * 0.7 + *frame as f32).sin());
            }
            detector.add_channel(&spectrum);
            detector.finish_frame();
        }
    }

    #[test]
    fn a_band_limit_vouches_for_what_moves_far_below_it_once_it_has_held() {
        let mut detector = detector(48_000.0);
        let bins = detector.layout.num_bins();
        let mut weights = vec![0.0; 2 * bins];
        let mut frame = 0;
        let edge_hz = 8000.0;
        let above = (edge_hz * 1.5 / detector.layout.bin_hz()) as usize;
        let below = (edge_hz * 0.7 / detector.layout.bin_hz()) as usize;
        let mut first_sure = None;
        while detector.detection() == Detection::Listening {
            feed(&mut detector, 0.05, edge_hz, &mut frame);
            detector.write_fill_weights(&mut weights);
            first_sure = Some(weights[bins + above]);
        }
        let cutoff_hz = detector.detection().cutoff_hz().expect("a band limit");
        assert!(
            (cutoff_hz / edge_hz).log2().abs() < 1.0 / 12.0,
            "{cutoff_hz} Hz"
        );
        assert!(weights[above] > 0.99, "missing above the edge");
        assert!(first_sure.unwrap() < 0.2, "sure at once: {first_sure:?}");
        feed(&mut detector, SURE_AFTER_SECONDS + 0.5, edge_hz, &mut frame);
        detector.write_fill_weights(&mut weights);
        assert!(weights[bins + above] > 0.99, "sure once held");
        assert_eq!(weights[below], 0.0, "the music below the edge is no floor");
        assert_eq!(weights[bins + below], 0.0);
    }
}
