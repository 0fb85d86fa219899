//! The hiss mask: a small learned network that tells a worn disc's hiss from the music, band by
//! band and frame by frame, from what the hiss reducer already tracks.
//!
//! A Wiener gain knows one bin's level against one floor: it cannot tell music a few dB over the
//! hiss from a hiss that swells, and takes music with the noise. The mask (`models/hiss_mask.json`,
//! trained on the corpus by `cargo xtask train hiss-mask`) reads more at once:
//! - at [`BANDS`] bands, log-spaced from [`LOWEST_HZ`] to [`HIGHEST_HZ`] (triangles from one
//!   centre to the next), the band's power in this frame and the [`CONTEXT_FRAMES`]` - 1` before
//!   against the reducer's floor, the reducer's smoothed power against the floor, and the floor
//!   against the loudest level heard; each in dB, clamped ([`LEVEL_RANGE_DB`],
//!   [`AUDIBILITY_RANGE_DB`]) and divided by [`FEATURE_SCALE_DB`]; and how the band's level
//!   moves over about a fifth of a second ([`LEVEL_SMOOTHING`]): its slow mean and its mean
//!   absolute deviation from it (steady hiss holds its level, music moves);
//! - two hidden layers with ReLU give each band's gain (a sigmoid of its output);
//! - the band gains are spread over the bins, linearly in log-frequency between the centres and
//!   held beyond the ends.
//!
//! A frame is judged against the floor heard up to the frame before, as the reducer turns a
//! frame down before its floor hears it. The network is evaluated in plain Rust
//! ([`crate::dsp::dense`]) once per frame and channel: bounded work, no allocation.

use std::sync::{Arc, OnceLock};

use realfft::num_complex::Complex;
use serde::Deserialize;

use crate::dsp::dense::{DenseLayer, DenseNetwork, DenseScratch, DenseShapeError};
use crate::dsp::stft::StftLayout;

/// The mask's network and its settings, embedded in the plugin.
const MODEL_JSON: &str = include_str!("../../../../models/hiss_mask.json");

/// Bands the mask reads and writes.
pub const BANDS: usize = 32;

/// The first band's centre, in Hz: the reducer leaves everything under it alone.
pub const LOWEST_HZ: f32 = 500.0;

/// The last band's centre, in Hz (its gain holds above it).
pub const HIGHEST_HZ: f32 = 20_000.0;

/// Frames of band levels read: this one and the ones before.
pub const CONTEXT_FRAMES: usize = 3;

/// The one-pole smoothing, per frame, of each band's level feature into its slow mean and its
/// mean absolute deviation.
pub const LEVEL_SMOOTHING: f32 = 0.95;

/// Features per band: the levels of [`CONTEXT_FRAMES`] frames, the smoothed level, the
/// floor's audibility, and the level's slow mean and deviation.
pub const FEATURES_PER_BAND: usize = CONTEXT_FRAMES + 4;

/// A band's level against the floor is clamped to this range, in dB...
pub const LEVEL_RANGE_DB: (f32, f32) = (-20.0, 60.0);

/// ...the floor against the loudest level heard to this one...
pub const AUDIBILITY_RANGE_DB: (f32, f32) = (-100.0, 0.0);

/// ...and both are divided by this many dB.
pub const FEATURE_SCALE_DB: f32 = 20.0;

/// Below this power a band is silence, not noise.
const SILENT_POWER: f32 = 1e-20;

/// The feature settings the network was trained with, as its file states them.
#[derive(Debug, Deserialize)]
struct FeatureSettings {
    /// Bands.
    bands: usize,
    /// The first band's centre in Hz.
    lowest_hz: f32,
    /// The last band's centre in Hz.
    highest_hz: f32,
    /// Frames of levels read.
    context_frames: usize,
    /// The smoothing of the level's slow mean and deviation.
    level_smoothing: f32,
    /// The clamp of the levels in dB.
    level_range_db: (f32, f32),
    /// The clamp of the audibility in dB.
    audibility_range_db: (f32, f32),
    /// The scale of the features in dB.
    scale_db: f32,
}

/// `models/hiss_mask.json` as written by the training pipeline.
#[derive(Debug, Deserialize)]
struct ModelFile {
    /// The feature settings.
    features: FeatureSettings,
    /// The dense layers; a ReLU follows every one but the last.
    layers: Vec<DenseLayer>,
}

/// Why a mask model cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum HissMaskError {
    /// The file is not the JSON the pipeline writes.
    Parse(String),
    /// The file's feature settings are not the ones this code computes.
    FeatureSettings,
    /// The layers do not chain from the features to one gain per band.
    Shape(DenseShapeError),
}

/// The mask's network.
#[derive(Debug)]
pub struct HissMaskModel {
    /// The features in, a logit per band out.
    network: DenseNetwork,
}

impl HissMaskModel {
    /// The network embedded in the plugin, parsed once per process and shared by every
    /// channel; `None` when it cannot be used (then nothing is turned down). Allocates the
    /// first time.
    pub fn shared() -> Option<Arc<Self>> {
        static SHARED: OnceLock<Option<Arc<HissMaskModel>>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::from_json(MODEL_JSON).ok().map(Arc::new))
            .clone()
    }

    /// A network from the pipeline's JSON, checked against this code's features. Allocates.
    pub fn from_json(text: &str) -> Result<Self, HissMaskError> {
        let file: ModelFile =
            serde_json::from_str(text).map_err(|e| HissMaskError::Parse(e.to_string()))?;
        let f = &file.features;
        if f.bands != BANDS
            || f.lowest_hz != LOWEST_HZ
            || f.highest_hz != HIGHEST_HZ
            || f.context_frames != CONTEXT_FRAMES
            || f.level_smoothing != LEVEL_SMOOTHING
            || f.level_range_db != LEVEL_RANGE_DB
            || f.audibility_range_db != AUDIBILITY_RANGE_DB
            || f.scale_db != FEATURE_SCALE_DB
        {
            return Err(HissMaskError::FeatureSettings);
        }
        let network = DenseNetwork::from_layers(file.layers, BANDS * FEATURES_PER_BAND, BANDS)
            .map_err(HissMaskError::Shape)?;
        Ok(Self { network })
    }

    /// Each band's gain for `features`, for tools and tests. Allocates.
    pub fn gains(&self, features: &[f32]) -> Vec<f32> {
        let mut gains = vec![0.0; BANDS];
        self.write_gains(features, &mut self.network.scratch(), &mut gains);
        gains
    }

    /// Each band's gain for `features` into `gains`, using `scratch`. No allocation.
    fn write_gains(&self, features: &[f32], scratch: &mut DenseScratch, gains: &mut [f32]) {
        for (gain, logit) in gains
            .iter_mut()
            .zip(self.network.evaluate(features, scratch))
        {
            *gain = 1.0 / (1.0 + (-logit).exp());
        }
    }
}

/// The bands in the bins of one STFT layout.
#[derive(Debug)]
struct BandLayout {
    /// Per band: its first bin and its weights (summing to one).
    pooling: Vec<(usize, Vec<f32>)>,
    /// Per bin: the band below it and the weight of the band above (linear in log-frequency).
    expansion: Vec<(usize, f32)>,
}

impl BandLayout {
    /// The bands of `layout`'s bins. Allocates.
    fn new(layout: &StftLayout) -> Self {
        let bins = layout.num_bins();
        let bin_hz = f64::from(layout.sample_rate_hz) / layout.fft_size as f64;
        let span = f64::from(HIGHEST_HZ) / f64::from(LOWEST_HZ);
        let centres: Vec<f64> = (0..BANDS)
            .map(|b| f64::from(LOWEST_HZ) * span.powf(b as f64 / (BANDS - 1) as f64) / bin_hz)
            .collect();
        let ratio = centres[1] / centres[0];
        let pooling = (0..BANDS)
            .map(|b| {
                let centre = centres[b];
                let lower = if b > 0 {
                    centres[b - 1]
                } else {
                    centre / ratio
                };
                let upper = centres.get(b + 1).copied().unwrap_or(centre * ratio);
                let first = lower.ceil() as usize;
                let last = (upper.floor() as usize).min(bins - 1);
                let mut weights: Vec<f64> = (first..=last)
                    .map(|k| {
                        let k = k as f64;
                        let w = if k <= centre {
                            (k - lower) / (centre - lower)
                        } else {
                            (upper - k) / (upper - centre)
                        };
                        w.max(0.0)
                    })
                    .collect();
                let total: f64 = weights.iter().sum();
                if total <= 0.0 {
                    weights.fill(1.0);
                }
                let total: f64 = weights.iter().sum();
                (first, weights.iter().map(|w| (w / total) as f32).collect())
            })
            .collect();
        let log_centres: Vec<f64> = centres.iter().map(|c| c.log2()).collect();
        let expansion = (0..bins)
            .map(|k| {
                let x = (k as f64).max(0.5).log2();
                let above = log_centres.partition_point(|&c| c < x);
                if above == 0 {
                    (0, 0.0)
                } else if above >= BANDS {
                    (BANDS - 2, 1.0)
                } else {
                    let t = (x - log_centres[above - 1])
                        / (log_centres[above] - log_centres[above - 1]);
                    (above - 1, t as f32)
                }
            })
            .collect();
        Self { pooling, expansion }
    }

    /// `values` per bin as band values (weighted means) into `bands`.
    fn pool(&self, values: &[f32], bands: &mut [f32]) {
        for ((first, weights), band) in self.pooling.iter().zip(bands.iter_mut()) {
            *band = values[*first..*first + weights.len()]
                .iter()
                .zip(weights)
                .map(|(v, w)| v * w)
                .sum();
        }
    }
}

/// A power ratio as a feature: in dB, clamped to `range_db`, over [`FEATURE_SCALE_DB`].
fn db_feature(ratio: f32, range_db: (f32, f32)) -> f32 {
    (10.0 * ratio.max(1e-30).log10()).clamp(range_db.0, range_db.1) / FEATURE_SCALE_DB
}

/// The mask of one channel: the context of band levels heard and the buffers to judge a frame.
pub struct HissMask {
    /// The network, shared by every channel.
    model: Arc<HissMaskModel>,
    /// The bands in this layout's bins.
    bands: BandLayout,
    /// This frame's power per bin.
    power: Vec<f32>,
    /// Band powers of this frame, of the floor and of the smoothed power.
    band_power: Vec<f32>,
    band_floor: Vec<f32>,
    band_smoothed: Vec<f32>,
    /// The level features of the last [`CONTEXT_FRAMES`] frames, this one first,
    /// `[frame][band]` flattened.
    levels: Vec<f32>,
    /// Each band's slow mean of its level feature, and its mean absolute deviation from it.
    level_mean: Vec<f32>,
    level_deviation: Vec<f32>,
    /// The network's input for this frame.
    features: Vec<f32>,
    /// Scratch for the network's layers.
    scratch: DenseScratch,
    /// The gain per band for this frame.
    band_gains: Vec<f32>,
}

impl HissMask {
    /// A mask for frames of `layout` with `model`. Allocates.
    pub fn new(model: Arc<HissMaskModel>, layout: &StftLayout) -> Self {
        let scratch = model.network.scratch();
        let mut mask = Self {
            model,
            bands: BandLayout::new(layout),
            power: vec![0.0; layout.num_bins()],
            band_power: vec![0.0; BANDS],
            band_floor: vec![0.0; BANDS],
            band_smoothed: vec![0.0; BANDS],
            levels: vec![0.0; CONTEXT_FRAMES * BANDS],
            level_mean: vec![0.0; BANDS],
            level_deviation: vec![0.0; BANDS],
            features: vec![0.0; BANDS * FEATURES_PER_BAND],
            scratch,
            band_gains: vec![1.0; BANDS],
        };
        mask.reset();
        mask
    }

    /// Forgets the frames heard: the frames before the next read as silence.
    pub fn reset(&mut self) {
        self.levels.fill(LEVEL_RANGE_DB.0 / FEATURE_SCALE_DB);
        self.level_mean.fill(LEVEL_RANGE_DB.0 / FEATURE_SCALE_DB);
        self.level_deviation.fill(0.0);
    }

    /// Hears one frame's `spectrum` against the reducer's `floor`, `smoothed` power (per bin)
    /// and `peak_power` as they stood before it: writes the frame's features. Every frame is
    /// heard, so that the context of levels follows the material. No allocation.
    pub fn hear(
        &mut self,
        spectrum: &[Complex<f32>],
        floor: &[f32],
        smoothed: &[f32],
        peak_power: f32,
    ) {
        for (power, bin) in self.power.iter_mut().zip(spectrum) {
            *power = bin.norm_sqr();
        }
        self.bands.pool(&self.power, &mut self.band_power);
        self.bands.pool(floor, &mut self.band_floor);
        self.bands.pool(smoothed, &mut self.band_smoothed);
        self.levels
            .copy_within(..(CONTEXT_FRAMES - 1) * BANDS, BANDS);
        let silent_level = LEVEL_RANGE_DB.0 / FEATURE_SCALE_DB;
        for band in 0..BANDS {
            let floor = self.band_floor[band];
            let live = floor > SILENT_POWER;
            let level_of = |power: f32| {
                if live && power > SILENT_POWER {
                    db_feature(power / floor, LEVEL_RANGE_DB)
                } else {
                    silent_level
                }
            };
            let level = level_of(self.band_power[band]);
            self.levels[band] = level;
            let (mean, deviation) = (&mut self.level_mean[band], &mut self.level_deviation[band]);
            *deviation =
                LEVEL_SMOOTHING * *deviation + (1.0 - LEVEL_SMOOTHING) * (level - *mean).abs();
            *mean = LEVEL_SMOOTHING * *mean + (1.0 - LEVEL_SMOOTHING) * level;
            let features =
                &mut self.features[band * FEATURES_PER_BAND..(band + 1) * FEATURES_PER_BAND];
            for (frame, feature) in features[..CONTEXT_FRAMES].iter_mut().enumerate() {
                *feature = self.levels[frame * BANDS + band];
            }
            features[CONTEXT_FRAMES] = level_of(self.band_smoothed[band]);
            features[CONTEXT_FRAMES + 1] = if live {
                db_feature(floor / peak_power.max(1e-30), AUDIBILITY_RANGE_DB)
            } else {
                AUDIBILITY_RANGE_DB.0 / FEATURE_SCALE_DB
            };
            features[CONTEXT_FRAMES + 2] = self.level_mean[band];
            features[CONTEXT_FRAMES + 3] = self.level_deviation[band];
        }
    }

    /// The features of the frame last heard (for the parity tests).
    pub fn features(&self) -> &[f32] {
        &self.features
    }

    /// Judges the frame last heard: the network's gain per band. No allocation.
    pub fn judge(&mut self) {
        self.model
            .write_gains(&self.features, &mut self.scratch, &mut self.band_gains);
    }

    /// The gain of `bin` from the last judgement, spread from the bands.
    pub fn bin_gain(&self, bin: usize) -> f32 {
        let (below, t) = self.bands.expansion[bin];
        self.band_gains[below] * (1.0 - t) + self.band_gains[below + 1] * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_network_loads() {
        assert!(HissMaskModel::shared().is_some());
    }

    #[test]
    fn a_network_for_other_features_or_of_broken_shape_is_refused() {
        let other = MODEL_JSON.replacen("\"bands\": 32", "\"bands\": 16", 1);
        assert_ne!(
            other, MODEL_JSON,
            "the settings are where the test expects them"
        );
        assert_eq!(
            HissMaskModel::from_json(&other).unwrap_err(),
            HissMaskError::FeatureSettings
        );
        let start = MODEL_JSON.find("\"layers\"").unwrap();
        let short = format!(
            "{}\"layers\": [{{\"weights\": [[1.0]], \"bias\": [0.0]}}]}}",
            &MODEL_JSON[..start]
        );
        assert!(matches!(
            HissMaskModel::from_json(&short).unwrap_err(),
            HissMaskError::Shape(_)
        ));
        assert!(matches!(
            HissMaskModel::from_json("not json").unwrap_err(),
            HissMaskError::Parse(_)
        ));
    }

    /// Every bin between the first and last centre takes a mix of two neighbouring bands, and
    /// a band's weights sum to one.
    #[test]
    fn the_bands_cover_the_bins() {
        let layout = StftLayout::for_sample_rate(48_000.0);
        let bands = BandLayout::new(&layout);
        for (_, weights) in &bands.pooling {
            assert!((weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        let first_centre = (LOWEST_HZ / layout.bin_hz()).ceil() as usize;
        for &(below, t) in &bands.expansion[first_centre..] {
            assert!(below + 1 < BANDS && (0.0..=1.0).contains(&t));
        }
    }
}
