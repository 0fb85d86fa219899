//! One ONNX model, loaded, checked against its manifest, warmed up and ready to run.

use ort::ep::CUDA;
use ort::session::Session;
use ort::value::TensorRef;

use super::manifest::{
    model_bins, ManifestError, ModelManifest, CUTOFF_BIN_INPUT, F0_OUTPUT, HARMONIC_MAGS_OUTPUT,
    HIGH_LOG_MAG_OUTPUT, KIND_HARMONIC_NOISE, LOG_FLOOR, LOG_MAG_INPUT, NOISE_LOG_MAGS_OUTPUT,
    STATE_INPUT, STATE_OUTPUT,
};
use super::runtime::{runtime, RuntimeError};
use crate::dsp::stft::StftLayout;

/// Where inference should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderChoice {
    /// CUDA when it works, else CPU.
    #[default]
    Auto,
    /// Always the CPU.
    Cpu,
    /// CUDA; falls back to CPU (and says so) when CUDA is not available.
    Cuda,
}

/// How a session is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// Execution provider choice.
    pub provider: ProviderChoice,
    /// Threads ONNX Runtime may use inside one operator. One keeps the DAW's other cores free.
    pub intra_threads: usize,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            provider: ProviderChoice::Auto,
            intra_threads: 1,
        }
    }
}

/// Why a model could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    /// No ONNX Runtime.
    Runtime(RuntimeError),
    /// The manifest does not fit the engine or the model.
    Manifest(ManifestError),
    /// ONNX Runtime rejected the model or failed to run it.
    Onnx(String),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::Runtime(e) => write!(f, "{e}"),
            ModelError::Manifest(e) => write!(f, "{e}"),
            ModelError::Onnx(message) => write!(f, "ONNX Runtime: {message}"),
        }
    }
}

impl std::error::Error for ModelError {}

impl From<ManifestError> for ModelError {
    fn from(e: ManifestError) -> Self {
        ModelError::Manifest(e)
    }
}

fn onnx(e: impl std::fmt::Display) -> ModelError {
    ModelError::Onnx(e.to_string())
}

/// A session with its manifest, ready for frames.
pub struct LoadedModel {
    /// The ONNX Runtime session.
    session: Session,
    /// What the model is.
    pub manifest: ModelManifest,
    /// The execution provider it runs on ("CPU" or "CUDA").
    pub provider: &'static str,
    /// Why the provider differs from the one asked for, if it does.
    pub provider_note: Option<String>,
}

impl LoadedModel {
    /// Loads `bytes` (an `.onnx` file) described by `manifest` for `layout`, checks both against
    /// each other and the engine, and runs it once on silence so the first real frame is not
    /// slow. Blocks: call it off the audio thread.
    pub fn load(
        bytes: &[u8],
        manifest: ModelManifest,
        layout: &StftLayout,
        settings: SessionSettings,
    ) -> Result<Self, ModelError> {
        manifest.check_engine(layout)?;
        let runtime = runtime().map_err(|e| ModelError::Runtime(e.clone()))?;
        let want_cuda = settings.provider != ProviderChoice::Cpu;
        let mut provider = "CPU";
        let mut provider_note = None;
        let mut session = None;
        if want_cuda {
            let attempt = Session::builder(&runtime.environment)
                .map_err(onnx)?
                .with_intra_threads(settings.intra_threads)
                .map_err(onnx)?
                .with_execution_providers([CUDA::default().build().error_on_failure()]);
            match attempt {
                Ok(mut builder) => match builder.commit_from_memory(bytes) {
                    Ok(cuda_session) => {
                        provider = "CUDA";
                        session = Some(cuda_session);
                    }
                    Err(e) => {
                        provider_note = Some(format!("CUDA unavailable ({e}); running on the CPU"))
                    }
                },
                Err(e) => {
                    provider_note = Some(format!("CUDA unavailable ({e}); running on the CPU"))
                }
            }
            if settings.provider == ProviderChoice::Auto && provider_note.is_some() {
                // Auto never promised CUDA: no need to explain the CPU.
                provider_note = None;
            }
        }
        let session = match session {
            Some(session) => session,
            None => Session::builder(&runtime.environment)
                .map_err(onnx)?
                .with_intra_threads(settings.intra_threads)
                .map_err(onnx)?
                .commit_from_memory(bytes)
                .map_err(onnx)?,
        };
        check_session(&session, &manifest)?;
        let mut model = Self {
            session,
            manifest,
            provider,
            provider_note,
        };
        let frames = model.manifest.frames();
        let bins = model_bins(layout);
        let silence = vec![LOG_FLOOR.ln(); frames * bins];
        if model.manifest.kind == KIND_HARMONIC_NOISE {
            let mut controls = HarmonicNoiseControls::for_manifest(&model.manifest, 1);
            let state = vec![0.0; controls.state.len()];
            let cutoff_bin = [bins as f32 / 2.0];
            model.run_harmonic_noise(&silence, &cutoff_bin, &state, 1, bins, &mut controls)?;
        } else {
            let mut output = vec![0.0; bins];
            model.run(&silence, &[bins as f32 / 2.0], 1, bins, &mut output)?;
        }
        Ok(model)
    }

    /// Runs one step of a harmonic-noise model: `log_mag` is `[batch, frames, bins]`,
    /// `cutoff_bin` `[batch]`, `state_in` `[batch, state_size]`; the controls and the next
    /// state land in `controls`. Allocates inside ONNX Runtime: worker thread only.
    pub fn run_harmonic_noise(
        &mut self,
        log_mag: &[f32],
        cutoff_bin: &[f32],
        state_in: &[f32],
        batch: usize,
        bins: usize,
        controls: &mut HarmonicNoiseControls,
    ) -> Result<(), ModelError> {
        let frames = self.manifest.frames();
        let state_size = state_in.len() / batch.max(1);
        let log_mag = TensorRef::from_array_view(([batch, frames, bins], log_mag)).map_err(onnx)?;
        let cutoff = TensorRef::from_array_view(([batch, 1], cutoff_bin)).map_err(onnx)?;
        let state = TensorRef::from_array_view(([batch, state_size], state_in)).map_err(onnx)?;
        let outputs = self
            .session
            .run(ort::inputs![
                LOG_MAG_INPUT => log_mag,
                CUTOFF_BIN_INPUT => cutoff,
                STATE_INPUT => state
            ])
            .map_err(onnx)?;
        extract(&outputs, F0_OUTPUT, &mut controls.f0_bins)?;
        extract(&outputs, HARMONIC_MAGS_OUTPUT, &mut controls.harmonic_mags)?;
        extract(
            &outputs,
            NOISE_LOG_MAGS_OUTPUT,
            &mut controls.noise_log_mags,
        )?;
        extract(&outputs, STATE_OUTPUT, &mut controls.state)
    }

    /// Runs one step of a spectral model: `log_mag` is `[batch, frames, bins]`, `cutoff_bin`
    /// `[batch]` (passed on only to a model that takes it), `high_log_mag` receives
    /// `[batch, bins]`. Allocates inside ONNX Runtime: worker thread only.
    pub fn run(
        &mut self,
        log_mag: &[f32],
        cutoff_bin: &[f32],
        batch: usize,
        bins: usize,
        high_log_mag: &mut [f32],
    ) -> Result<(), ModelError> {
        let frames = self.manifest.frames();
        let input = TensorRef::from_array_view(([batch, frames, bins], log_mag)).map_err(onnx)?;
        let outputs = if self.manifest.takes_cutoff() {
            let cutoff = TensorRef::from_array_view(([batch, 1], cutoff_bin)).map_err(onnx)?;
            self.session
                .run(ort::inputs![LOG_MAG_INPUT => input, CUTOFF_BIN_INPUT => cutoff])
                .map_err(onnx)?
        } else {
            self.session
                .run(ort::inputs![LOG_MAG_INPUT => input])
                .map_err(onnx)?
        };
        let (shape, values) = outputs[HIGH_LOG_MAG_OUTPUT]
            .try_extract_tensor::<f32>()
            .map_err(onnx)?;
        if values.len() != high_log_mag.len() {
            return Err(ModelError::Manifest(ManifestError {
                field: "outputs.high_log_mag.shape".into(),
                expected: format!("[{batch}, {bins}]"),
                found: format!("{:?}", &shape[..]),
            }));
        }
        high_log_mag.copy_from_slice(values);
        Ok(())
    }
}

/// The outputs of a harmonic-noise model for one batch (one row per channel), sized once.
#[derive(Debug, Clone)]
pub struct HarmonicNoiseControls {
    /// `[batch, sources]` fundamentals in bins.
    pub f0_bins: Vec<f32>,
    /// `[batch, sources, harmonics]` peak magnitudes.
    pub harmonic_mags: Vec<f32>,
    /// `[batch, envelope_bands]` noise log-magnitudes.
    pub noise_log_mags: Vec<f32>,
    /// `[batch, state_size]` recurrent state to carry.
    pub state: Vec<f32>,
}

impl HarmonicNoiseControls {
    /// Buffers for `batch` rows of a manifest's outputs (empty for a model without synthesis).
    pub fn for_manifest(manifest: &ModelManifest, batch: usize) -> Self {
        let (sources, harmonics, bands, state) =
            manifest.synthesis.as_ref().map_or((0, 0, 0, 0), |s| {
                (s.sources, s.harmonics, s.envelope_bands, s.state_size)
            });
        Self {
            f0_bins: vec![0.0; batch * sources],
            harmonic_mags: vec![0.0; batch * sources * harmonics],
            noise_log_mags: vec![0.0; batch * bands],
            state: vec![0.0; batch * state],
        }
    }
}

/// Copies an output tensor into `destination`, checking its size.
fn extract(
    outputs: &ort::session::SessionOutputs<'_>,
    name: &str,
    destination: &mut [f32],
) -> Result<(), ModelError> {
    let (shape, values) = outputs[name].try_extract_tensor::<f32>().map_err(onnx)?;
    if values.len() != destination.len() {
        return Err(ModelError::Manifest(ManifestError {
            field: format!("outputs.{name}.shape"),
            expected: format!("{} values", destination.len()),
            found: format!("{:?}", &shape[..]),
        }));
    }
    destination.copy_from_slice(values);
    Ok(())
}

/// Checks that the session has the tensors the manifest names, with compatible shapes.
fn check_session(session: &Session, manifest: &ModelManifest) -> Result<(), ManifestError> {
    let outlets = [
        ("inputs", session.inputs(), &manifest.inputs),
        ("outputs", session.outputs(), &manifest.outputs),
    ];
    for (side, outlets, specs) in outlets {
        for spec in specs {
            let outlet = outlets
                .iter()
                .find(|o| o.name() == spec.name)
                .ok_or_else(|| ManifestError {
                    field: format!("{side}.{}", spec.name),
                    expected: "a tensor of that name in the model".into(),
                    found: format!("{:?}", outlets.iter().map(|o| o.name()).collect::<Vec<_>>()),
                })?;
            let Some(shape) = outlet.dtype().tensor_shape() else {
                continue;
            };
            let fits = shape.len() == spec.shape.len()
                && shape
                    .iter()
                    .zip(&spec.shape)
                    .all(|(&m, &s)| m < 0 || s < 0 || m == s);
            if !fits {
                return Err(ManifestError {
                    field: format!("{side}.{}.shape", spec.name),
                    expected: format!("{:?} (the model's)", &shape[..]),
                    found: format!("{:?}", spec.shape),
                });
            }
        }
    }
    Ok(())
}
