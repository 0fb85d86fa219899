//! Model manifests: what a model file is, what it expects and what it returns.

use serde::{Deserialize, Serialize};

use crate::dsp::ddsp::SynthLayout;
use crate::dsp::stft::{StftLayout, BASE_FFT_SIZE};
use crate::model_kind::ModelKind;

/// The input names the engine knows how to feed.
pub const KNOWN_INPUTS: [&str; 3] = [LOG_MAG_INPUT, CUTOFF_BIN_INPUT, STATE_INPUT];

/// A model whose output is the generated band's log-magnitude per bin.
pub const KIND_SPECTRAL: &str = "spectral";

/// A model whose outputs drive the harmonic-plus-noise synthesizer ([`crate::dsp::ddsp`]).
pub const KIND_HARMONIC_NOISE: &str = "harmonic_noise";

/// The cutoff in bins (Hz over the bin width), `[batch, 1]`: harmonic-noise models.
pub const CUTOFF_BIN_INPUT: &str = "cutoff_bin";

/// The recurrent state after the previous frame, `[batch, state_size]`: harmonic-noise models.
pub const STATE_INPUT: &str = "state_in";

/// The recurrent state to carry to the next frame, `[batch, state_size]`.
pub const STATE_OUTPUT: &str = "state_out";

/// Fundamental of each harmonic source in bins, `[batch, sources]`.
pub const F0_OUTPUT: &str = "f0_bins";

/// Peak STFT magnitude of each harmonic, `[batch, sources, harmonics]`.
pub const HARMONIC_MAGS_OUTPUT: &str = "harmonic_mags";

/// Log-magnitude of the noise at the envelope band centres, `[batch, envelope_bands]`.
pub const NOISE_LOG_MAGS_OUTPUT: &str = "noise_log_mags";

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
    /// SBR places it), `input` (the input's own high band) or `propagated` (a steady
    /// sinusoid's advance at each bin's centre).
    #[serde(default = "default_phase")]
    pub phase: String,
    /// The synthesizer's layout: harmonic-noise models only.
    #[serde(default)]
    pub synthesis: Option<SynthesisSpec>,
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

/// How a harmonic-noise model's controls are synthesized (see [`crate::dsp::ddsp`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthesisSpec {
    /// Harmonic sources per frame.
    pub sources: usize,
    /// Harmonics per source.
    pub harmonics: usize,
    /// Size of the recurrent state carried between frames.
    pub state_size: usize,
    /// Bins on each side of a harmonic that its kernel reaches.
    pub kernel_half_bins: usize,
    /// Factor from a noise gain to the frame's noise magnitude.
    pub noise_scale: f32,
    /// Bin of the lowest envelope band centre.
    pub envelope_lowest_bin: f32,
    /// Bin of the highest envelope band centre.
    pub envelope_highest_bin: f32,
    /// Envelope band centres, evenly spaced in log-frequency.
    pub envelope_bands: usize,
}

impl SynthesisSpec {
    /// The synthesizer layout for spectra of `bins` bins and a hop of `hop_fraction`.
    pub fn layout(&self, bins: usize, hop_fraction: f32) -> SynthLayout {
        SynthLayout {
            sources: self.sources,
            harmonics: self.harmonics,
            kernel_half_bins: self.kernel_half_bins,
            noise_scale: self.noise_scale,
            envelope_lowest_bin: self.envelope_lowest_bin,
            envelope_highest_bin: self.envelope_highest_bin,
            envelope_bands: self.envelope_bands,
            bins,
            hop_fraction,
        }
    }
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

/// Phase propagated from frame to frame as for a steady sinusoid at each bin's centre (a
/// random start, then a quarter turn per bin and hop), whatever the input holds.
pub const PHASE_PROPAGATED: &str = "propagated";

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

    /// Whether the model is told the cutoff (`cutoff_bin`, in bins). A harmonic-noise model
    /// always is; a spectral model may be.
    pub fn takes_cutoff(&self) -> bool {
        self.inputs.iter().any(|t| t.name == CUTOFF_BIN_INPUT)
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
        if self.kind != KIND_SPECTRAL && self.kind != KIND_HARMONIC_NOISE {
            return Err(mismatch(
                "kind",
                format!("\"{KIND_SPECTRAL}\" or \"{KIND_HARMONIC_NOISE}\""),
                &self.kind,
            ));
        }
        if ![PHASE_COPY_UP, PHASE_INPUT, PHASE_PROPAGATED].contains(&self.phase.as_str()) {
            return Err(mismatch(
                "phase",
                "\"copy_up\", \"input\" or \"propagated\"",
                &self.phase,
            ));
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
        let bins = model_bins(layout) as i64;
        self.check_tensor(
            &self.inputs,
            "inputs",
            LOG_MAG_INPUT,
            &[-1, self.frames() as i64, bins],
        )?;
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
        if self.kind == KIND_SPECTRAL {
            if let Some(extra) = self
                .inputs
                .iter()
                .find(|t| t.name != LOG_MAG_INPUT && t.name != CUTOFF_BIN_INPUT)
            {
                return Err(mismatch(
                    "inputs",
                    format!(
                        "only {LOG_MAG_INPUT} and {CUTOFF_BIN_INPUT} for a {KIND_SPECTRAL} model"
                    ),
                    &extra.name,
                ));
            }
            if self.takes_cutoff() {
                self.check_tensor(&self.inputs, "inputs", CUTOFF_BIN_INPUT, &[-1, 1])?;
            }
            return self.check_tensor(&self.outputs, "outputs", HIGH_LOG_MAG_OUTPUT, &[-1, bins]);
        }
        let synthesis = self
            .synthesis
            .as_ref()
            .ok_or_else(|| mismatch("synthesis", "the synthesizer's layout", "none"))?;
        if synthesis.sources == 0 || synthesis.harmonics == 0 || synthesis.envelope_bands < 2 {
            return Err(mismatch(
                "synthesis",
                "at least one source and harmonic, two envelope bands",
                format!("{synthesis:?}"),
            ));
        }
        let (sources, harmonics) = (synthesis.sources as i64, synthesis.harmonics as i64);
        let state = synthesis.state_size as i64;
        self.check_tensor(&self.inputs, "inputs", CUTOFF_BIN_INPUT, &[-1, 1])?;
        self.check_tensor(&self.inputs, "inputs", STATE_INPUT, &[-1, state])?;
        self.check_tensor(&self.outputs, "outputs", F0_OUTPUT, &[-1, sources])?;
        self.check_tensor(
            &self.outputs,
            "outputs",
            HARMONIC_MAGS_OUTPUT,
            &[-1, sources, harmonics],
        )?;
        self.check_tensor(
            &self.outputs,
            "outputs",
            NOISE_LOG_MAGS_OUTPUT,
            &[-1, synthesis.envelope_bands as i64],
        )?;
        self.check_tensor(&self.outputs, "outputs", STATE_OUTPUT, &[-1, state])
    }

    /// Checks that `tensors` has one named `name` with a shape that fits `engine`.
    fn check_tensor(
        &self,
        tensors: &[TensorSpec],
        side: &str,
        name: &str,
        engine: &[i64],
    ) -> Result<(), ManifestError> {
        let tensor = tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| mismatch(side, format!("a tensor named {name}"), "none"))?;
        check_shape(&format!("{side}.{name}.shape"), &tensor.shape, engine)
    }
}

/// The bins a model sees at `layout`: all of them at 44.1 and 48 kHz, and the same ones (up
/// to 22.05 or 24 kHz) at the higher rates, where the engine's FFT grows with the rate so the
/// bin width stays the same. One model serves every rate, and nothing is generated above
/// 24 kHz anyway.
pub fn model_bins(layout: &StftLayout) -> usize {
    layout.num_bins().min(BASE_FFT_SIZE / 2 + 1)
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
