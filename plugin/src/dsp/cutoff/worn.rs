//! The worn-transfer judge: tells an old disc's transfer from full-band music and finds the
//! corner of its gentle low-pass, which the edge search cannot.
//!
//! A worn disc's top is a gentle slope under hiss, crackle and clicks that move like music, so
//! the edge search ([`super::edge`]) finds no band limit on it. What gives a transfer away is
//! the shape of its long-term level statistics: how every band's quiet, typical and bright
//! levels fall above the corner while the hiss holds a floor under them. A small learned
//! network (`models/worn_corner.json`, trained on the corpus by `cargo xtask train
//! worn-corner`) reads them from the detector's own level histograms:
//! - the features are, at every [`FEATURE_STEP`]th point of the analysis grid
//!   ([`FEATURE_POINTS`] points a sixth of an octave apart, 500 Hz to 18 kHz), the
//!   [`PERCENTILES`] of that point's histogram, in dB relative to the mean median level from 1
//!   to 2 kHz, clamped to [`FEATURE_RANGE_DB`] and divided by [`FEATURE_SCALE_DB`];
//! - two hidden layers with ReLU give the logit of "worn transfer" and log2 of its corner.
//!
//! The verdict changes only when [`CHANGE_VOTES`] judgements in a row agree on it, and a
//! corner moves only by more than [`HYSTERESIS_OCTAVES`], as the band limit does. The engine
//! uses it only with Denoise on and no band limit detected. It runs a few times a second,
//! half-way between the detector's estimates so that the two do not add up in one block:
//! bounded work, no allocation.

use serde::Deserialize;

use super::detector::{CHANGE_VOTES, HYSTERESIS_OCTAVES};
use super::grid::GridPoint;
use super::histograms::{percentiles_db, LevelHistograms};
use crate::dsp::dense::{DenseLayer, DenseNetwork, DenseScratch, DenseShapeError};

/// The judge's network and its settings, embedded in the plugin.
const MODEL_JSON: &str = include_str!("../../../../models/worn_corner.json");

/// Every this many points of the analysis grid is a feature point (a sixth of an octave).
pub const FEATURE_STEP: usize = 4;

/// Feature points, from 500 Hz to about 18 kHz.
pub const FEATURE_POINTS: usize = 32;

/// The percentiles of each feature point's level histogram the network reads: quiet, typical
/// and bright.
pub const PERCENTILES: [f32; 3] = [0.1, 0.5, 0.95];

/// The feature points (first, one past the last) whose median levels are the reference level:
/// 1 to 2 kHz.
const REFERENCE_POINTS: (usize, usize) = (6, 13);

/// Relative levels are clamped to this range in dB...
pub const FEATURE_RANGE_DB: (f32, f32) = (-100.0, 40.0);

/// ...and divided by this many dB.
pub const FEATURE_SCALE_DB: f32 = 20.0;

/// Sound heard before the first judgement, in seconds: the training stretches are 6 s long,
/// and a judgement on less than 2 s of histograms is noisier than the verdicts it would move.
pub const MIN_LISTEN_SECONDS: f32 = 2.0;

/// The feature settings the network was trained with, as its file states them.
#[derive(Debug, Deserialize)]
struct FeatureSettings {
    /// Grid points per feature point.
    feature_step: usize,
    /// Feature points.
    feature_points: usize,
    /// Percentiles per point.
    percentiles: Vec<f32>,
    /// The reference points (first, one past the last).
    reference_points: (usize, usize),
    /// The clamp of the relative levels in dB.
    range_db: (f32, f32),
    /// The scale of the features in dB.
    scale_db: f32,
}

/// `models/worn_corner.json` as written by the training pipeline.
#[derive(Debug, Deserialize)]
struct ModelFile {
    /// The feature settings.
    features: FeatureSettings,
    /// The corner output is log2 of the corner in Hz less this.
    corner_log2_offset: f32,
    /// The probability of "worn" from which a transfer is taken as worn.
    worn_threshold: f32,
    /// The dense layers; a ReLU follows every one but the last.
    layers: Vec<DenseLayer>,
}

/// Why the embedded model cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum WornModelError {
    /// The file is not the JSON the pipeline writes.
    Parse(String),
    /// The file's feature settings are not the ones this code computes.
    FeatureSettings,
    /// A layer's sizes do not chain from the features to two outputs.
    Shape {
        /// The layer, from 0.
        layer: usize,
        /// The inputs it should take.
        expected_inputs: usize,
    },
}

/// The judge's network with its output settings.
#[derive(Debug)]
pub struct WornCornerModel {
    /// The dense network: the features in, the logit of "worn" and the corner out.
    network: DenseNetwork,
    /// The corner output is log2 of the corner in Hz less this.
    corner_log2_offset: f32,
    /// The probability of "worn" from which a transfer is taken as worn.
    worn_threshold: f32,
}

impl WornCornerModel {
    /// The network embedded in the plugin. Allocates.
    pub fn embedded() -> Result<Self, WornModelError> {
        Self::from_json(MODEL_JSON)
    }

    /// A network from the pipeline's JSON, checked against this code's features. Allocates.
    pub fn from_json(text: &str) -> Result<Self, WornModelError> {
        let file: ModelFile =
            serde_json::from_str(text).map_err(|e| WornModelError::Parse(e.to_string()))?;
        let f = &file.features;
        if f.feature_step != FEATURE_STEP
            || f.feature_points != FEATURE_POINTS
            || f.percentiles != PERCENTILES
            || f.reference_points != REFERENCE_POINTS
            || f.range_db != FEATURE_RANGE_DB
            || f.scale_db != FEATURE_SCALE_DB
        {
            return Err(WornModelError::FeatureSettings);
        }
        let network = DenseNetwork::from_layers(file.layers, FEATURE_POINTS * PERCENTILES.len(), 2)
            .map_err(
                |DenseShapeError {
                     layer,
                     expected_inputs,
                 }| WornModelError::Shape {
                    layer,
                    expected_inputs,
                },
            )?;
        Ok(Self {
            network,
            corner_log2_offset: file.corner_log2_offset,
            worn_threshold: file.worn_threshold,
        })
    }

    /// The network's two outputs for `features` (the logit of "worn", and log2 of the corner
    /// less the offset), for tools and tests. Allocates.
    pub fn outputs(&self, features: &[f32]) -> [f32; 2] {
        self.evaluate(features, &mut self.network.scratch())
    }

    /// The network's two outputs for `features`, using `scratch` (from the network's
    /// `scratch`): the logit of "worn" and log2 of the corner less the offset. No allocation.
    fn evaluate(&self, features: &[f32], scratch: &mut DenseScratch) -> [f32; 2] {
        let out = self.network.evaluate(features, scratch);
        [out[0], out[1]]
    }
}

/// A judgement: the corner of a worn transfer, or `None` for "not worn".
type Judgement = Option<f32>;

/// Whether two judgements agree within [`HYSTERESIS_OCTAVES`].
fn agree(a: Judgement, b: Judgement) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a / b).log2().abs() <= HYSTERESIS_OCTAVES,
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// The streaming judge: the detector hands it its histograms a few times a second.
pub struct WornCornerJudge {
    /// The network; `None` when the embedded one could not be used (never worn then).
    model: Option<WornCornerModel>,
    /// The grid indices of the feature points; empty when the grid does not reach 18 kHz.
    feature_points: Vec<usize>,
    /// The features of the latest judgement.
    features: Vec<f32>,
    /// Scratch for the network's layers (empty without a network).
    scratch: Option<DenseScratch>,
    /// The reported verdict: the corner of a worn transfer in Hz, or `None`.
    verdict: Judgement,
    /// Whether `verdict` is a remembered corner that no judgement has yet confirmed.
    remembered: bool,
    /// A differing judgement waiting for enough votes.
    candidate: Judgement,
    /// Consecutive judgements agreeing with `candidate`.
    candidate_votes: u32,
    /// The latest judgement's probability of "worn" (for reports and tests).
    latest_probability: f32,
}

impl WornCornerJudge {
    /// A judge for the analysis grid `grid`, with the embedded network. Allocates.
    pub fn new(grid: &[GridPoint]) -> Self {
        Self::with_model(grid, WornCornerModel::embedded().ok())
    }

    /// A judge with `model` (none: never worn). Allocates.
    pub fn with_model(grid: &[GridPoint], model: Option<WornCornerModel>) -> Self {
        let last = (FEATURE_POINTS - 1) * FEATURE_STEP;
        let feature_points = if grid.len() > last {
            (0..FEATURE_POINTS).map(|k| k * FEATURE_STEP).collect()
        } else {
            Vec::new()
        };
        let scratch = model.as_ref().map(|model| model.network.scratch());
        Self {
            model,
            feature_points,
            features: vec![0.0; FEATURE_POINTS * PERCENTILES.len()],
            scratch,
            verdict: None,
            remembered: false,
            candidate: None,
            candidate_votes: 0,
            latest_probability: 0.0,
        }
    }

    /// Forgets every judgement.
    pub fn reset(&mut self) {
        self.verdict = None;
        self.remembered = false;
        self.candidate = None;
        self.candidate_votes = 0;
        self.latest_probability = 0.0;
    }

    /// Takes `corner_hz` as the verdict (a remembered one), until enough judgements in a row
    /// disagree with it.
    pub fn assume(&mut self, corner_hz: Option<f32>) {
        self.verdict = corner_hz;
        self.remembered = corner_hz.is_some();
        self.candidate = None;
        self.candidate_votes = 0;
    }

    /// The reported corner of a worn transfer in Hz, or `None` when the input is not judged
    /// worn (or not yet judged).
    pub fn corner_hz(&self) -> Option<f32> {
        self.verdict
    }

    /// Whether the corner in force is a remembered one ([`Self::assume`]) that no judgement
    /// of what is heard now has confirmed yet: the editor says so.
    pub fn corner_remembered(&self) -> bool {
        self.remembered
    }

    /// The latest judgement's probability that the input is a worn transfer.
    pub fn latest_probability(&self) -> f32 {
        self.latest_probability
    }

    /// The features of the latest judgement (for the parity tests).
    pub fn features(&self) -> &[f32] {
        &self.features
    }

    /// Judges the histograms as they stand and votes. Bounded work, no allocation.
    pub fn judge(&mut self, histograms: &LevelHistograms) {
        let (Some(model), Some(scratch)) = (self.model.as_ref(), self.scratch.as_mut()) else {
            return;
        };
        if self.feature_points.is_empty() {
            return;
        }
        write_features(histograms, &self.feature_points, &mut self.features);
        let [logit, corner] = model.evaluate(&self.features, scratch);
        self.latest_probability = 1.0 / (1.0 + (-logit).exp());
        let judgement = (self.latest_probability >= model.worn_threshold)
            .then(|| (corner + model.corner_log2_offset).exp2());
        self.vote(judgement);
    }

    /// Applies the hysteresis to a fresh judgement.
    fn vote(&mut self, judgement: Judgement) {
        if agree(judgement, self.verdict) {
            self.remembered = false;
            self.candidate_votes = 0;
            return;
        }
        if self.candidate_votes > 0 && agree(judgement, self.candidate) {
            self.candidate_votes += 1;
        } else {
            self.candidate_votes = 1;
        }
        self.candidate = judgement;
        if self.candidate_votes >= CHANGE_VOTES {
            self.verdict = judgement;
            self.remembered = false;
            self.candidate_votes = 0;
        }
    }
}

/// The network's features from `histograms` at the grid indices `points` into `features`
/// (module documentation). No allocation.
pub fn write_features(histograms: &LevelHistograms, points: &[usize], features: &mut [f32]) {
    let per_point = PERCENTILES.len();
    for (&point, levels) in points.iter().zip(features.chunks_exact_mut(per_point)) {
        percentiles_db(histograms.point(point), &PERCENTILES, levels);
    }
    let (first, end) = REFERENCE_POINTS;
    let reference_db = features[first * per_point..end * per_point]
        .iter()
        .skip(1)
        .step_by(per_point)
        .sum::<f32>()
        / (end - first) as f32;
    let (low_db, high_db) = FEATURE_RANGE_DB;
    for feature in features.iter_mut() {
        *feature = (*feature - reference_db).clamp(low_db, high_db) / FEATURE_SCALE_DB;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::cutoff::grid::analysis_grid;
    use crate::dsp::stft::StftLayout;

    /// A network file with this code's feature settings and `layers` (JSON).
    fn file_with(layers: &str, step: usize) -> String {
        format!(
            r#"{{"features": {{"feature_step": {step}, "feature_points": 32,
            "percentiles": [0.1, 0.5, 0.95], "reference_points": [6, 13],
            "range_db": [-100.0, 40.0], "scale_db": 20.0}},
            "corner_log2_offset": 12.0, "worn_threshold": 0.8, "layers": {layers}}}"#
        )
    }

    /// One layer from the 96 features straight to a logit of `logit` and a corner output of
    /// `corner`, whatever the input.
    fn constant_layers(logit: f32, corner: f32) -> String {
        let zeros = vec!["0.0"; FEATURE_POINTS * PERCENTILES.len()].join(",");
        format!(r#"[{{"weights": [[{zeros}], [{zeros}]], "bias": [{logit}, {corner}]}}]"#)
    }

    #[test]
    fn the_embedded_network_loads() {
        assert!(WornCornerModel::embedded().is_ok());
    }

    #[test]
    fn a_network_for_other_features_or_of_broken_shape_is_refused() {
        let other = file_with(&constant_layers(5.0, 0.0), 2);
        assert_eq!(
            WornCornerModel::from_json(&other).unwrap_err(),
            WornModelError::FeatureSettings
        );
        let short = file_with(
            r#"[{"weights": [[0.0, 1.0]], "bias": [0.0]}]"#,
            FEATURE_STEP,
        );
        assert!(matches!(
            WornCornerModel::from_json(&short).unwrap_err(),
            WornModelError::Shape { layer: 0, .. }
        ));
        assert!(matches!(
            WornCornerModel::from_json("not json").unwrap_err(),
            WornModelError::Parse(_)
        ));
    }

    #[test]
    fn the_verdict_changes_only_after_enough_agreeing_judgements() {
        let layout = StftLayout::for_sample_rate(48_000.0);
        let grid = analysis_grid(&layout);
        let histograms = LevelHistograms::new(grid.len(), 0.01);
        // Always "worn" (odds of e^5), with the corner output at 0: 2^12 = 4096 Hz.
        let model = WornCornerModel::from_json(&file_with(&constant_layers(5.0, 0.0), 4));
        let mut judge = WornCornerJudge::with_model(&grid, Some(model.unwrap()));
        for _ in 1..CHANGE_VOTES {
            judge.judge(&histograms);
            assert_eq!(judge.corner_hz(), None);
        }
        judge.judge(&histograms);
        assert_eq!(judge.corner_hz(), Some(4096.0));
        judge.reset();
        assert_eq!(judge.corner_hz(), None);
        // Odds of e^-5: never worn.
        let model = WornCornerModel::from_json(&file_with(&constant_layers(-5.0, 0.0), 4));
        let mut judge = WornCornerJudge::with_model(&grid, Some(model.unwrap()));
        for _ in 0..2 * CHANGE_VOTES {
            judge.judge(&histograms);
        }
        assert_eq!(judge.corner_hz(), None);
    }

    #[test]
    fn a_remembered_corner_stays_remembered_until_a_judgement_confirms_or_replaces_it() {
        let layout = StftLayout::for_sample_rate(48_000.0);
        let grid = analysis_grid(&layout);
        let histograms = LevelHistograms::new(grid.len(), 0.01);
        let judge_at = |corner_log2: f32| {
            let layers = constant_layers(5.0, corner_log2);
            let model = WornCornerModel::from_json(&file_with(&layers, 4)).unwrap();
            WornCornerJudge::with_model(&grid, Some(model))
        };
        // Heard at 4096 Hz, remembered at 4096 Hz: the first judgement confirms it.
        let mut judge = judge_at(0.0);
        judge.assume(Some(4096.0));
        assert!(judge.corner_remembered());
        judge.judge(&histograms);
        assert!(!judge.corner_remembered());
        assert_eq!(judge.corner_hz(), Some(4096.0));
        // Heard an octave higher: remembered until enough judgements replace it.
        let mut judge = judge_at(1.0);
        judge.assume(Some(4096.0));
        for _ in 1..CHANGE_VOTES {
            judge.judge(&histograms);
            assert!(judge.corner_remembered());
        }
        judge.judge(&histograms);
        assert!(!judge.corner_remembered());
        assert_eq!(judge.corner_hz(), Some(8192.0));
        // Nothing remembered, nothing to say; a reset forgets it.
        judge.assume(None);
        assert!(!judge.corner_remembered());
        judge.assume(Some(4096.0));
        judge.reset();
        assert!(!judge.corner_remembered());
    }

    #[test]
    fn a_grid_that_stops_short_of_18_khz_never_judges() {
        let layout = StftLayout::for_sample_rate(48_000.0);
        let grid = analysis_grid(&layout);
        let short = &grid[..(FEATURE_POINTS - 1) * FEATURE_STEP];
        let histograms = LevelHistograms::new(grid.len(), 0.01);
        let model = WornCornerModel::from_json(&file_with(&constant_layers(5.0, 0.0), 4));
        let mut judge = WornCornerJudge::with_model(short, Some(model.unwrap()));
        for _ in 0..2 * CHANGE_VOTES {
            judge.judge(&histograms);
        }
        assert_eq!(judge.corner_hz(), None);
    }
}
