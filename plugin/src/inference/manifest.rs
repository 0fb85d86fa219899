//! Model manifests: what a model file is, what it expects and what it returns.

use serde::{Deserialize, Serialize};

use crate::dsp::stft::{StftLayout, BASE_FFT_SIZE};
use crate::engine::ModelKind;

/// The input names the engine knows how to feed.
pub const KNOWN_INPUTS: [&str; 1] = [LOG_MAG_INPUT];

/// Natural log of the STFT magnitude, `[batch, frames, bins]`, oldest frame first.
pub const LOG_MAG_INPUT: &str = "log_mag";

/// Natural log of the generated magnitude of the current frame, `[batch, bins]`.
pub const HIGH_LOG_MAG_OUTPUT: &str = "high_log_mag";

/// Added to magnitudes before the logarithm, so silent bins stay finite.
pub const LOG_FLOOR: f32 = 1e-9;

/// One tensor of the model's interface. `-1` in a shape is a free dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorSpec {
    /// Tensor name in the ONNX graph.
    pub name: String,
    /// Expected shape; `-1` for a dimension the engine sets (batch, bins).
    pub shape: Vec<i64>,
    /// What the values mean, for people.
    #[serde(default)]
    pub meaning: String,
}

/// The JSON file that travels with each `.onnx` model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelManifest {
    /// Short name.
    pub name: String,
    /// One line for people.
    #[serde(default)]
    pub description: String,
    /// Which model choice it serves: `unet` or `ddsp`.
    pub slot: String,
    /// How its outputs are turned into audio: `spectral` (a log-magnitude per bin).
    pub kind: String,
    /// Sample rates it runs at.
    pub sample_rates_hz: Vec<u32>,
    /// FFT size at 44.1/48 kHz; it scales with the rate as the engine's does.
    pub fft_size_at_48k: usize,
    /// Hop as a fraction of the FFT size.
    pub hop_fraction: f32,
    /// Past frames the model sees besides the current one.
    pub context_frames: usize,
    /// Future frames the model needs: each adds one hop of latency.
    pub lookahead_frames: usize,
    /// Where the phase of the generated bins comes from: `copy_up` (the band copied up, as
    /// SBR places it) or `input` (the input's own high band).
    #[serde(default = "default_phase")]
    pub phase: String,
    /// Input tensors.
    pub inputs: Vec<TensorSpec>,
    /// Output tensors.
    pub outputs: Vec<TensorSpec>,
    /// How it was trained, for people.
    #[serde(default)]
    pub training: String,
    /// Metrics it reached, for people.
    #[serde(default)]
    pub metrics: serde_json::Value,
}

/// A manifest that does not match the engine or its model, naming the field.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestError {
    /// The manifest field (or tensor) that is wrong.
    pub field: String,
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub found: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "manifest field `{}`: expected {}, found {}",
            self.field, self.expected, self.found
        )
    }
}

impl std::error::Error for ManifestError {}

fn default_phase() -> String {
    PHASE_COPY_UP.into()
}

/// Phase from the band copied up from below the cutoff.
pub const PHASE_COPY_UP: &str = "copy_up";

/// Phase from the input's own high band.
pub const PHASE_INPUT: &str = "input";

fn mismatch(field: &str, expected: impl ToString, found: impl ToString) -> ManifestError {
    ManifestError {
        field: field.into(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

impl ModelManifest {
    /// Parses a manifest from JSON.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        serde_json::from_str(text).map_err(|e| mismatch("(json)", "a valid manifest", e))
    }

    /// The model choice this manifest serves.
    pub fn model_kind(&self) -> Option<ModelKind> {
        ModelKind::from_cli_name(&self.slot).filter(|kind| *kind != ModelKind::Sbr)
    }

    /// Frames in the `log_mag` input.
    pub fn frames(&self) -> usize {
        self.context_frames + 1 + self.lookahead_frames
    }

    /// Checks the manifest against what the engine does at `layout` and against itself: the
    /// rate, the STFT, and the tensors it names.
    pub fn check_engine(&self, layout: &StftLayout) -> Result<(), ManifestError> {
        if self.model_kind().is_none() {
            return Err(mismatch("slot", "\"unet\" or \"ddsp\"", &self.slot));
        }
        if self.kind != "spectral" {
            return Err(mismatch("kind", "\"spectral\"", &self.kind));
        }
        if self.phase != PHASE_COPY_UP && self.phase != PHASE_INPUT {
            return Err(mismatch("phase", "\"copy_up\" or \"input\"", &self.phase));
        }
        let rate = layout.sample_rate_hz.round() as u32;
        if !self.sample_rates_hz.contains(&rate) {
            return Err(mismatch(
                "sample_rates_hz",
                format!("to include {rate}"),
                format!("{:?}", self.sample_rates_hz),
            ));
        }
        if self.fft_size_at_48k != BASE_FFT_SIZE {
            return Err(mismatch(
                "fft_size_at_48k",
                BASE_FFT_SIZE,
                self.fft_size_at_48k,
            ));
        }
        let hop_fraction = layout.hop_size as f32 / layout.fft_size as f32;
        if (self.hop_fraction - hop_fraction).abs() > 1e-6 {
            return Err(mismatch("hop_fraction", hop_fraction, self.hop_fraction));
        }
        let bins = layout.num_bins() as i64;
        let input = self
            .inputs
            .iter()
            .find(|t| t.name == LOG_MAG_INPUT)
            .ok_or_else(|| mismatch("inputs", format!("a tensor named {LOG_MAG_INPUT}"), "none"))?;
        if let Some(other) = self
            .inputs
            .iter()
            .find(|t| !KNOWN_INPUTS.contains(&t.name.as_str()))
        {
            return Err(mismatch(
                "inputs",
                format!("only {KNOWN_INPUTS:?}"),
                &other.name,
            ));
        }
        check_shape(
            "inputs.log_mag.shape",
            &input.shape,
            &[-1, self.frames() as i64, bins],
        )?;
        let output = self
            .outputs
            .iter()
            .find(|t| t.name == HIGH_LOG_MAG_OUTPUT)
            .ok_or_else(|| {
                mismatch(
                    "outputs",
                    format!("a tensor named {HIGH_LOG_MAG_OUTPUT}"),
                    "none",
                )
            })?;
        check_shape("outputs.high_log_mag.shape", &output.shape, &[-1, bins])
    }
}

/// Checks a declared shape against the one the engine will use (`-1` there means any).
/// A declared `-1` accepts anything.
fn check_shape(field: &str, declared: &[i64], engine: &[i64]) -> Result<(), ManifestError> {
    let fits = declared.len() == engine.len()
        && declared
            .iter()
            .zip(engine)
            .all(|(&d, &e)| d == -1 || e == -1 || d == e);
    if fits {
        Ok(())
    } else {
        Err(mismatch(
            field,
            format!("{engine:?} (-1: any)"),
            format!("{declared:?}"),
        ))
    }
}
