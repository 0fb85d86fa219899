//! The streaming detector: every frame's spectra in, a settled [`Detection`] out. Frames that
//! are not silent go into the level histograms; a few times a second the brightest moments of
//! every grid point make a bright spectrum that the edge search reads, and a new estimate
//! replaces the reported one only when enough estimates in a row agree on it, so the reported
//! cutoff does not wander. Bounded work and no allocation per frame.

use realfft::num_complex::Complex;

use super::edge::find_edge;
use super::grid::{analysis_grid, nearest_points, GridPoint};
use super::histograms::{percentile_db, LevelHistograms, HISTOGRAM_FLOOR_DB};
use super::missing::MissingBands;
use super::slope::SlopeTemplates;
use super::worn::{WornCornerJudge, MIN_LISTEN_SECONDS as WORN_MIN_LISTEN_SECONDS};
use super::Detection;
use crate::dsp::stft::{StftLayout, OVERLAP};

/// Which percentile over time of each grid point's level the edge is searched in: the
/// brightest frames, where a natural roll-off reaches highest and a band limit still holds.
/// A high percentile, as issue 8 suggested; set in fa226bf, measured only with the detector as a
/// whole (663 of 840 found). Fitting gentle slopes on the median instead found 673 against 686
/// (closing note of stop 15).
pub const LEVEL_PERCENTILE: f32 = 0.95;

/// How often the long-term spectrum is scanned, in seconds.
/// A design choice of the first engine (78ebf96), not tuned: no measurement is on record.
pub const ESTIMATE_INTERVAL_SECONDS: f32 = 0.25;

/// Non-silent audio needed before the first decision, in seconds.
/// A design choice of the first engine (78ebf96), not tuned; fc091e0 measured deciding on the first
/// estimate at this point (see [`FIRST_VOTES`]).
pub const MIN_LISTEN_SECONDS: f32 = 0.5;

/// Estimates closer than this (in octaves) to the reported cutoff count as the same.
/// A design choice of the first engine (78ebf96), not tuned: no measurement is on record.
pub const HYSTERESIS_OCTAVES: f32 = 1.0 / 12.0;

/// Consecutive agreeing estimates needed to change the reported result.
/// From the first engine (78ebf96). Two votes during the first 4 s were tried: 2 more found and 3
/// more settled, but full band at a forced 2 kHz went from LSD 0.266 to 0.278 with SBR, as wrong
/// early edges were taken up faster (closing note of stop 15).
pub const CHANGE_VOTES: u32 = 4;

/// Consecutive agreeing estimates needed for the first decision.
/// Lowered from 2 in fc091e0 (two put the first decision at 0.75 s or later): with 1, DDSP on MP3
/// 48 and 64 kbps beat the previous release (LSD-HF 1.485 and 1.496 against 1.488 and 1.501), at
/// 669 of 799 found against 673.
pub const FIRST_VOTES: u32 = 1;

/// Edges at or above this (or above 95 % of Nyquist) mean "no band limit": nothing audible is
/// missing.
/// Not tuned: 21 kHz in the first engine (78ebf96), raised to 22 kHz in faf52f2 with no measurement
/// on record.
pub const FULL_BAND_HZ: f32 = 22_000.0;

/// Levels more than this many dB below the brightest grid point are clamped there, so that
/// digital zeros above a band limit weigh like any deep floor.
/// Set in fa226bf, measured only with the detector as a whole (663 of 840 found on the committed
/// excerpts); no measurement of this value alone is on record.
pub const LEVEL_RANGE_DB: f32 = 100.0;

/// Frames whose total spectral power is below `fft_size² ·` this are silence and are skipped
/// (about -94 dBFS for noise).
/// A design choice of the first engine (78ebf96), not tuned: no measurement is on record.
const SILENCE_POWER_PER_SIZE_SQUARED: f32 = 1e-10;

/// Whether two results are the same within [`HYSTERESIS_OCTAVES`].
fn agree(a: &Detection, b: &Detection) -> bool {
    match (a, b) {
        (Detection::BandLimit { cutoff_hz: a }, Detection::BandLimit { cutoff_hz: b }) => {
            (a / b).log2().abs() <= HYSTERESIS_OCTAVES
        }
        (a, b) => a == b,
    }
}

/// Streaming band-limit detector fed with every frame's spectra.
pub struct CutoffDetector {
    /// The STFT layout of the spectra it is fed.
    layout: StftLayout,
    /// Each grid point's level over time.
    histograms: LevelHistograms,
    /// Power per bin of the frame being accumulated, summed over channels.
    frame_power: Vec<f32>,
    /// The analysis grid.
    grid: Vec<GridPoint>,
    /// Level in dB at each grid point (the [`LEVEL_PERCENTILE`] over time), refreshed on every
    /// estimate.
    grid_levels_db: Vec<f32>,
    /// `grid_levels_db` smoothed over three grid points and clamped to [`LEVEL_RANGE_DB`]
    /// below its peak: what the edge is searched in.
    bright_db: Vec<f32>,
    /// Which bands are missing, for the fill.
    missing: MissingBands,
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
    /// Whether `bright_db` holds an estimate made since the last reset.
    estimated: bool,
    /// Whether the input is an old disc's transfer, and its corner.
    worn: WornCornerJudge,
    /// Non-silent frames needed before the worn-transfer judge's first judgement.
    worn_min_active_frames: u32,
}

impl CutoffDetector {
    /// A detector for spectra of `layout`. Allocates everything it will use.
    pub fn new(layout: StftLayout) -> Self {
        let hop_seconds = layout.hop_size as f32 / layout.sample_rate_hz;
        let grid = analysis_grid(&layout);
        let worn = WornCornerJudge::new(&grid);
        let missing = MissingBands::new(layout, &grid, nearest_points(&layout, &grid));
        Self {
            layout,
            histograms: LevelHistograms::new(grid.len(), hop_seconds),
            frame_power: vec![0.0; layout.num_bins()],
            grid_levels_db: vec![0.0; grid.len()],
            bright_db: vec![0.0; grid.len()],
            grid,
            missing,
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
            estimated: false,
            worn,
            worn_min_active_frames: (WORN_MIN_LISTEN_SECONDS / hop_seconds).ceil() as u32,
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
        self.histograms.reset();
        self.missing.reset();
        self.frame_power.fill(0.0);
        self.active_frames = 0;
        self.frames_since_estimate = 0;
        self.frames_since_silence = 0;
        self.detection = Detection::Listening;
        self.candidate = Detection::Listening;
        self.candidate_votes = 0;
        self.held_frames = 0;
        self.estimated = false;
        self.worn.reset();
    }

    /// The current result.
    pub fn detection(&self) -> Detection {
        self.detection
    }

    /// The corner in Hz of an old disc's transfer, when the worn-transfer judge takes the input
    /// for one ([`WornCornerJudge`]); the edge search finds no band limit on such a transfer.
    pub fn worn_corner_hz(&self) -> Option<f32> {
        self.worn.corner_hz()
    }

    /// Takes `corner_hz` as the worn-transfer judge's verdict, as a saved state remembers it
    /// (`None`: not worn), until its own judgements overturn it. Real-time safe.
    pub fn assume_worn_corner(&mut self, corner_hz: Option<f32>) {
        self.worn.assume(corner_hz);
    }

    /// Whether the worn corner in force is a remembered one that no judgement of what is
    /// heard now has confirmed yet ([`WornCornerJudge::corner_remembered`]).
    pub fn worn_corner_remembered(&self) -> bool {
        self.worn.corner_remembered()
    }

    /// The worn-transfer judge, for reports and tests.
    pub fn worn_judge(&self) -> &WornCornerJudge {
        &self.worn
    }

    /// Judges the histograms as they stand now, as the detector does a few times a second
    /// (half-way between its estimates) once it has heard [`WORN_MIN_LISTEN_SECONDS`]: for
    /// offline tools and tests that need a judgement at a given frame. Bounded work, no
    /// allocation.
    pub fn judge_worn_now(&mut self) {
        self.worn.judge(&self.histograms);
    }

    /// Writes the fill's weights per FFT bin into `flat` (`2 * bins` values: the missing shares,
    /// then the sure shares; see [`FillWeights`](crate::dsp::fill::FillWeights)).
    ///
    /// Missing: 1 where the band holds still over time (a floor:
    /// [`FLOOR_SPREAD_DB`](super::missing::FLOOR_SPREAD_DB)) or lies
    /// [`FLOOR_DEPTH_DB`](super::missing::FLOOR_DEPTH_DB) below the loudest band, 0 where it
    /// moves with the music ([`CONTENT_SPREAD_DB`](super::missing::CONTENT_SPREAD_DB)) at an
    /// audible level, as of the latest judgement; all 1 until
    /// [`MISSING_LISTEN_SECONDS`](super::missing::MISSING_LISTEN_SECONDS) of sound were heard.
    /// In the grid step below a reported band limit's edge (the detector's resolution: the
    /// true edge may lie that much lower) every band counts as missing, and the fill's own
    /// deficit rule decides bin by bin, so the music a codec keeps just under its low-pass is
    /// not filled over. Just above the edge, up to
    /// [`EDGE_ZONE_OCTAVES`](super::missing::EDGE_ZONE_OCTAVES), the analysis grid blurs the
    /// floor with the music below the edge, so there the band limit vouches for the floor;
    /// further up, a band is missing as far as it lies below the music just under
    /// the edge (a filter's transition band:
    /// [`EDGE_DROP_MISSING_DB`](super::missing::EDGE_DROP_MISSING_DB)). The fill adds only
    /// where this is above 0, so music, however quiet, keeps its own high band whatever the
    /// cutoff.
    ///
    /// Sure: how far the reported band limit vouches for the bin (the edge zone, and the share
    /// below the music above it), times how far the band's own behaviour over time says it is
    /// gone (the judgement above) or, as the band limit holds, up to 1 over
    /// [`SURE_AFTER_SECONDS`](super::missing::SURE_AFTER_SECONDS). It is 0 without a band
    /// limit, so a forced cutoff on full-band music fills only large deficits, and an edge that
    /// the music disproves within a second or two (a dull opening) does not fill real content;
    /// a band limit that holds fills the whole deficit above it, a codec's smeared transients
    /// and a filter's transition band included.
    pub fn write_fill_weights(&self, flat: &mut [f32]) {
        self.missing.write_fill_weights(
            self.detection,
            self.held_frames,
            Some(&self.bright_db),
            flat,
        );
    }

    /// As [`Self::write_fill_weights`], while `held_hz` is a band limit held from before (one
    /// a saved state remembered, or the last one before detecting again) and this detection
    /// has not settled on one of its own: the held band limit vouches for the band above it as
    /// one that has held long does, so the band starts as it was. Until this detection's first
    /// estimate there is no bright spectrum to judge the band above the edge by, and the held
    /// band limit vouches for all of it: on the committed excerpts through a Butterworth of
    /// order 8 at 8 kHz, a remembered start's LSD-HF over the first half second came to 1.02
    /// times the rest's this way (1.16 times with the band above the edge zone judged missing
    /// only by its own first quarter second), as with the whole bright spectrum remembered.
    pub fn write_fill_weights_holding(&self, held_hz: Option<f32>, flat: &mut [f32]) {
        match (held_hz, self.detection) {
            (Some(cutoff_hz), Detection::Listening | Detection::NoBandLimit) => {
                self.write_fill_weights_vouched_by(cutoff_hz, flat)
            }
            _ => self.write_fill_weights(flat),
        }
    }

    /// As [`Self::write_fill_weights`], with `cutoff_hz` vouching for the band above it as a
    /// band limit that has held long does, whatever this detection says: the edge zone is
    /// missing, and above it what lies far below the music under the edge (all of it until the
    /// first estimate). The engine uses it for a held band limit, and for a cutoff set by hand
    /// while Denoise works on an old recording.
    pub fn write_fill_weights_vouched_by(&self, cutoff_hz: f32, flat: &mut [f32]) {
        self.missing.write_fill_weights(
            Detection::BandLimit { cutoff_hz },
            u32::MAX,
            self.estimated.then_some(&self.bright_db[..]),
            flat,
        )
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
            self.histograms.add_frame(&self.grid, &self.frame_power);
            self.active_frames = self.active_frames.saturating_add(1);
            self.held_frames = self.held_frames.saturating_add(1);
            self.frames_since_estimate += 1;
            if self.active_frames == self.missing.listen_frames() {
                self.judge_missing();
            }
            if self.active_frames >= self.min_active_frames
                && self.frames_since_estimate >= self.estimate_interval_frames
            {
                self.frames_since_estimate = 0;
                let estimate = self.estimate();
                self.vote(estimate);
            } else if self.active_frames >= self.worn_min_active_frames
                && self.frames_since_estimate == self.estimate_interval_frames / 2
            {
                // Half-way between estimates: the judge's work and the edge search's do not
                // land in the same block.
                self.worn.judge(&self.histograms);
            }
        }
        self.frame_power.fill(0.0);
    }

    /// Applies the hysteresis to a fresh estimate.
    fn vote(&mut self, estimate: Detection) {
        let needed = if self.detection == Detection::Listening {
            FIRST_VOTES
        } else if agree(&estimate, &self.detection) {
            self.candidate_votes = 0;
            return;
        } else {
            CHANGE_VOTES
        };
        if self.candidate_votes > 0 && agree(&estimate, &self.candidate) {
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

    /// Reads every grid point's bright level ([`LEVEL_PERCENTILE`]) from the histograms, then
    /// judges which bands are missing.
    fn judge_missing(&mut self) {
        let mut peak_db = HISTOGRAM_FLOOR_DB;
        for (level, histogram) in self.grid_levels_db.iter_mut().zip(self.histograms.points()) {
            *level = percentile_db(histogram, LEVEL_PERCENTILE);
            peak_db = peak_db.max(*level);
        }
        self.missing
            .judge(&self.histograms, &self.grid_levels_db, peak_db);
    }

    /// Searches the bright spectrum for an edge (see the module documentation of
    /// [`super::edge`]). Public so that offline tools can estimate without the hysteresis.
    /// Bounded work, no allocation.
    pub fn estimate(&mut self) -> Detection {
        self.judge_missing();
        self.estimated = true;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::cutoff::grid::GRID_OCTAVES;
    use crate::dsp::cutoff::missing::SURE_AFTER_SECONDS;

    fn detector(sample_rate_hz: f32) -> CutoffDetector {
        CutoffDetector::new(StftLayout::for_sample_rate(sample_rate_hz))
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

    #[test]
    fn the_step_below_a_band_limit_fills_only_deficits_it_does_not_vouch_for_them() {
        // The true edge may lie a grid step below the reported one, so that step counts as
        // missing; but music there (a codec keeps its band up to just under its low-pass) must
        // not be filled to the generated level, which drew a bright line at the cutoff.
        let mut detector = detector(48_000.0);
        let bins = detector.layout.num_bins();
        let mut weights = vec![0.0; 2 * bins];
        let mut frame = 0;
        feed(&mut detector, SURE_AFTER_SECONDS + 1.0, 8000.0, &mut frame);
        detector.write_fill_weights(&mut weights);
        let cutoff_hz = detector.detection().cutoff_hz().expect("a band limit");
        let bin_hz = detector.layout.bin_hz();
        let step_bin = (cutoff_hz * (-GRID_OCTAVES).exp2() / bin_hz).ceil() as usize;
        let edge_bin = (cutoff_hz / bin_hz).floor() as usize;
        assert!(step_bin < edge_bin, "{cutoff_hz} Hz");
        for k in step_bin..edge_bin {
            assert_eq!(weights[k], 1.0, "bin {k} counts as missing");
            assert_eq!(
                weights[bins + k],
                0.0,
                "bin {k} below the edge is not vouched for"
            );
        }
        for k in edge_bin + 1..edge_bin + 4 {
            assert!(
                weights[bins + k] > 0.99,
                "bin {k} above the edge is vouched for"
            );
        }
    }
}
