//! Band-limit detection: finds where a band-limited signal's long-term spectrum falls away.
//!
//! The detector keeps an exponentially weighted long-term power spectrum of the non-silent
//! frames and, a few times a second, scans it on a log-frequency grid from the bottom up. An
//! edge is the first frequency where the level falls 3 dB below the trend of the octave that
//! ends half an octave lower (its slope limited to 0..-12 dB per octave), confirmed by a
//! sustained drop above it: 15 dB below the trend on average from half an octave to an octave
//! up, and never back within 4.5 dB of it. A steep edge (brick-wall, MP3) is the last 3 dB
//! crossing before the drop, interpolated between grid points; for a gentle one (low-order
//! Butterworth) that crossing is averaged with an extrapolation from the -10 and -20 dB
//! crossings, which the music's own ripple moves far less. A new estimate replaces
//! the reported one only when it differs by more than [`HYSTERESIS_OCTAVES`] for
//! [`CHANGE_VOTES`] estimates in a row, so the reported cutoff does not wander.

use realfft::num_complex::Complex;

use super::stft::StftLayout;

/// Time constant of the long-term spectrum, in seconds.
pub const LONG_TERM_SECONDS: f32 = 4.0;

/// How often the long-term spectrum is scanned, in seconds.
pub const ESTIMATE_INTERVAL_SECONDS: f32 = 0.25;

/// Non-silent audio needed before the first decision, in seconds.
pub const MIN_LISTEN_SECONDS: f32 = 0.5;

/// Estimates closer than this (in octaves) to the reported cutoff count as the same.
pub const HYSTERESIS_OCTAVES: f32 = 1.0 / 12.0;

/// Consecutive agreeing estimates needed to change the reported result.
pub const CHANGE_VOTES: u32 = 4;

/// Consecutive agreeing estimates needed for the first decision.
pub const FIRST_VOTES: u32 = 2;

/// Lowest edge the detector looks for, in Hz.
pub const MIN_EDGE_HZ: f32 = 2_000.0;

/// Edges at or above this (or above 95 % of Nyquist) mean "no band limit": nothing audible is
/// missing.
pub const FULL_BAND_HZ: f32 = 22_000.0;

/// How far below the trend (dB) the level must fall to mark the edge: the -3 dB point.
const EDGE_DROP_DB: f32 = 3.0;

/// Mean drop below the trend (dB) that confirms a band limit.
const CONFIRM_DROP_DB: f32 = 15.0;

/// Above the edge the level never comes back within this many dB of the trend.
const NO_RECOVERY_DB: f32 = 4.5;

/// The two deeper drops (dB) whose crossings locate a gentle edge.
const STEEP_DROP_DB: (f32, f32) = (10.0, 20.0);

/// Edges whose -10 and -20 dB crossings lie closer than this (octaves) are steep: brick-wall,
/// MP3 and elliptic low-passes, whose -3 dB crossing is read directly.
const STEEP_EDGE_OCTAVES: f32 = 0.1;

/// Spacings of the -10 and -20 dB crossings wider than this (octaves) are no single low-pass of
/// order 3.5 or more (for example the two edges of a long-term spectrum while the material
/// changes); the -3 dB crossing is used.
const GENTLE_EDGE_OCTAVES: f32 = 0.5;

/// The extrapolated edge stays within this many octaves of the -3 dB crossing.
const MAX_EXTRAPOLATION_OCTAVES: f32 = 0.25;

/// For a Butterworth low-pass of any order, the distance from the -3 to the -10 dB point
/// divided by the distance from the -10 to the -20 dB point: log2(9) / log2(99 / 9).
const BUTTERWORTH_SPACING_RATIO: f32 = 0.916;

/// How far above the first crossing (octaves) the edge may be refined to.
const REFINE_OCTAVES: f32 = 1.0 / 3.0;

/// Spacing of the log-frequency analysis grid in octaves.
const GRID_OCTAVES: f32 = 1.0 / 24.0;

/// Each grid point averages the bins within this many octaves of it, on either side.
const GRID_HALF_WIDTH_OCTAVES: f32 = 1.0 / 12.0;

/// Lowest grid frequency in Hz (the trend of a 2 kHz edge starts 1.5 octaves lower).
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
    /// First bin averaged.
    lo_bin: usize,
    /// One past the last bin averaged.
    hi_bin: usize,
}

/// Streaming band-limit detector fed with every frame's spectra.
pub struct CutoffDetector {
    /// The STFT layout of the spectra it is fed.
    layout: StftLayout,
    /// Exponentially weighted long-term power per bin, summed over channels.
    long_term_power: Vec<f32>,
    /// Power per bin of the frame being accumulated, summed over channels.
    frame_power: Vec<f32>,
    /// Weight of a new frame in the long-term average.
    frame_weight: f32,
    /// The analysis grid.
    grid: Vec<GridPoint>,
    /// Level in dB at each grid point, refreshed on every estimate.
    grid_levels_db: Vec<f32>,
    /// Non-silent frames heard so far (saturating).
    active_frames: u32,
    /// Non-silent frames needed before the first decision.
    min_active_frames: u32,
    /// Non-silent frames since the last estimate.
    frames_since_estimate: u32,
    /// Non-silent frames between estimates.
    estimate_interval_frames: u32,
    /// The reported result.
    detection: Detection,
    /// A differing result waiting for enough votes.
    candidate: Detection,
    /// Consecutive estimates agreeing with `candidate`.
    candidate_votes: u32,
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
            grid.push(GridPoint {
                log2_hz,
                lo_bin,
                hi_bin,
            });
            log2_hz += GRID_OCTAVES;
        }
        let grid_levels_db = vec![0.0; grid.len()];
        Self {
            layout,
            long_term_power: vec![0.0; layout.num_bins()],
            frame_power: vec![0.0; layout.num_bins()],
            frame_weight: 1.0 - (-hop_seconds / LONG_TERM_SECONDS).exp(),
            grid,
            grid_levels_db,
            active_frames: 0,
            min_active_frames: (MIN_LISTEN_SECONDS / hop_seconds).ceil() as u32,
            frames_since_estimate: 0,
            estimate_interval_frames: (ESTIMATE_INTERVAL_SECONDS / hop_seconds).round() as u32,
            detection: Detection::Listening,
            candidate: Detection::Listening,
            candidate_votes: 0,
        }
    }

    /// The long-term level in dB at each point of the analysis grid, as `(Hz, dB)`, as of the
    /// latest estimate.
    pub fn grid_levels_db(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        self.grid
            .iter()
            .zip(&self.grid_levels_db)
            .map(|(point, &level)| (point.log2_hz.exp2(), level))
    }

    /// Forgets everything heard, back to [`Detection::Listening`].
    pub fn reset(&mut self) {
        self.long_term_power.fill(0.0);
        self.frame_power.fill(0.0);
        self.active_frames = 0;
        self.frames_since_estimate = 0;
        self.detection = Detection::Listening;
        self.candidate = Detection::Listening;
        self.candidate_votes = 0;
    }

    /// The current result.
    pub fn detection(&self) -> Detection {
        self.detection
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
        if total.is_finite() && total > size * size * SILENCE_POWER_PER_SIZE_SQUARED {
            let weight = self.frame_weight;
            for (long, frame) in self.long_term_power.iter_mut().zip(&self.frame_power) {
                *long += weight * (frame - *long);
            }
            self.active_frames = self.active_frames.saturating_add(1);
            self.frames_since_estimate += 1;
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
        }
    }

    /// Scans the long-term spectrum for an edge. Public so that offline tools can estimate
    /// from a spectrum without the hysteresis.
    pub fn estimate(&mut self) -> Detection {
        for (level, point) in self.grid_levels_db.iter_mut().zip(&self.grid) {
            let bins = &self.long_term_power[point.lo_bin..point.hi_bin];
            let mean = bins.iter().sum::<f32>() / bins.len() as f32;
            *level = 10.0 * (mean + 1e-30).log10();
        }
        let full_band_log2 = FULL_BAND_HZ.min(0.95 * self.layout.nyquist_hz()).log2();
        let levels = &self.grid_levels_db;
        let grid = &self.grid;
        for i in 1..grid.len() {
            let u = grid[i].log2_hz;
            if u < MIN_EDGE_HZ.log2() {
                continue;
            }
            if u >= full_band_log2 {
                break;
            }
            let Some((a, b)) = fit_line(grid, levels, u - 1.5, u - 0.5) else {
                continue;
            };
            let trend = |x: f32| a + b * x;
            if levels[i] - trend(u) > -EDGE_DROP_DB {
                continue;
            }
            if !sustained_drop(grid, levels, i, &trend) {
                continue;
            }
            // The edge is the last 3 dB crossing before the drop stays down: a dip just below
            // the real edge must not pull the estimate down.
            let mut last_above = i - 1;
            for (j, point) in grid.iter().enumerate().skip(i) {
                if point.log2_hz - u > REFINE_OCTAVES {
                    break;
                }
                if levels[j] - trend(point.log2_hz) > -EDGE_DROP_DB {
                    last_above = j;
                }
            }
            let below = last_above + 1;
            let crossing_3db = crossing(grid, levels, &trend, last_above, below, EDGE_DROP_DB);
            let edge_log2 = match (
                first_crossing(grid, levels, &trend, below, STEEP_DROP_DB.0),
                first_crossing(grid, levels, &trend, below, STEEP_DROP_DB.1),
            ) {
                // A gentle slope: its -3 dB point drowns in the music's own ripple, so it is also
                // extrapolated from the steeper part, exactly for Butterworth filters of any
                // order (the -3, -10 and -20 dB points of order n lie at log2 of
                // 1, 9^(1/2n) and 99^(1/2n)). The two estimates err in opposite ways (ripple
                // near the edge; the music's own tilt far above it), so they are averaged.
                (Some(u10), Some(u20))
                    if (STEEP_EDGE_OCTAVES..=GENTLE_EDGE_OCTAVES).contains(&(u20 - u10)) =>
                {
                    let extrapolated = (u10 - BUTTERWORTH_SPACING_RATIO * (u20 - u10)).clamp(
                        crossing_3db - MAX_EXTRAPOLATION_OCTAVES,
                        crossing_3db + MAX_EXTRAPOLATION_OCTAVES,
                    );
                    0.5 * (extrapolated + crossing_3db)
                }
                _ => crossing_3db,
            };
            if edge_log2 >= full_band_log2 {
                break;
            }
            return Detection::BandLimit {
                cutoff_hz: edge_log2.exp2(),
            };
        }
        Detection::NoBandLimit
    }
}

/// Where the level, relative to the trend, passes `-drop_db` between grid points `above` and
/// `below` (log2 Hz, linearly interpolated).
fn crossing(
    grid: &[GridPoint],
    levels: &[f32],
    trend: &impl Fn(f32) -> f32,
    above: usize,
    below: usize,
    drop_db: f32,
) -> f32 {
    let drop_above = levels[above] - trend(grid[above].log2_hz);
    let drop_below = levels[below] - trend(grid[below].log2_hz);
    let t = if drop_above > drop_below {
        ((drop_above + drop_db) / (drop_above - drop_below)).clamp(0.0, 1.0)
    } else {
        1.0
    };
    grid[above].log2_hz + t * (grid[below].log2_hz - grid[above].log2_hz)
}

/// The first crossing of `-drop_db` below the trend at or after grid point `from`.
fn first_crossing(
    grid: &[GridPoint],
    levels: &[f32],
    trend: &impl Fn(f32) -> f32,
    from: usize,
    drop_db: f32,
) -> Option<f32> {
    (from.max(1)..grid.len())
        .find(|&j| levels[j] - trend(grid[j].log2_hz) <= -drop_db)
        .map(|j| crossing(grid, levels, trend, j - 1, j, drop_db))
}

/// Least-squares line `level = a + b · log2_hz` over the grid points within `[from, to]`
/// octaves, with the slope limited to what music plausibly shows. `None` with too few points.
fn fit_line(grid: &[GridPoint], levels: &[f32], from: f32, to: f32) -> Option<(f32, f32)> {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32);
    for (point, &y) in grid.iter().zip(levels) {
        if point.log2_hz >= from && point.log2_hz <= to {
            let x = point.log2_hz - to;
            n += 1.0;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
    }
    if n < 8.0 {
        return None;
    }
    let b = ((n * sxy - sx * sy) / (n * sxx - sx * sx)).clamp(-12.0, 0.0);
    let a_at_to = (sy - b * sx) / n;
    Some((a_at_to - b * to, b))
}

/// Whether the spectrum above grid point `edge` stays well below the trend: on average at least
/// [`CONFIRM_DROP_DB`] below it from half an octave to an octave up (or, close to Nyquist, over
/// what there is from a twelfth of an octave up), and nowhere from a sixth of an octave up
/// within [`NO_RECOVERY_DB`] of it.
fn sustained_drop(
    grid: &[GridPoint],
    levels: &[f32],
    edge: usize,
    trend: &impl Fn(f32) -> f32,
) -> bool {
    let u = grid[edge].log2_hz;
    let (mut far_sum, mut far_count) = (0.0f32, 0u32);
    let (mut near_sum, mut near_count) = (0.0f32, 0u32);
    for (point, &level) in grid[edge + 1..].iter().zip(&levels[edge + 1..]) {
        let above = point.log2_hz - u;
        let drop = level - trend(point.log2_hz);
        if above >= 1.0 / 6.0 && drop > -NO_RECOVERY_DB {
            return false;
        }
        if above >= 1.0 / 12.0 {
            near_sum += drop;
            near_count += 1;
        }
        if (0.5..=1.0).contains(&above) {
            far_sum += drop;
            far_count += 1;
        }
    }
    if far_count >= 6 {
        far_sum / far_count as f32 <= -CONFIRM_DROP_DB
    } else {
        near_count >= 2 && near_sum / near_count as f32 <= -CONFIRM_DROP_DB
    }
}
