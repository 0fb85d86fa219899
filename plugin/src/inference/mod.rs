//! The neural path: loading ONNX Runtime, finding and checking models, and the worker thread
//! that runs them beside the audio thread.

pub mod generator;
pub mod harmonic_noise;
pub mod manifest;
pub mod model;
pub mod registry;
pub mod runtime;
pub mod spectral;
pub mod worker;

use crate::dsp::stft::StftLayout;
use crate::model_kind::ModelKind;
use model::{LoadedModel, ModelError, SessionSettings};
use registry::RegistryError;
use runtime::RuntimeError;
use worker::{WorkerLink, WorkerOptions};

/// Why a model did not start: a few words for people and the whole story for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct StartError {
    /// The cause in a few words, with no path ("ONNX Runtime not found"), for the editor.
    pub cause: &'static str,
    /// The whole reason, with paths and library messages, for the log and the CLI.
    pub detail: String,
}

impl StartError {
    /// One short sentence for the editor: which model is unavailable, why, and that SBR runs.
    pub fn sentence(&self, kind: ModelKind) -> String {
        format!(
            "{} unavailable: {}. Using SBR.",
            kind.display_name(),
            self.cause
        )
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for StartError {}

impl From<StartError> for String {
    fn from(error: StartError) -> Self {
        error.detail
    }
}

/// The few words for people that say why a model could not be loaded.
fn load_cause(error: &ModelError) -> &'static str {
    match error {
        ModelError::Runtime(RuntimeError::NotFound { .. }) => "ONNX Runtime not found",
        ModelError::Runtime(RuntimeError::Load { .. }) => "ONNX Runtime could not be loaded",
        ModelError::Manifest(_) => "its model file does not fit this version",
        ModelError::Onnx(_) => "ONNX Runtime rejected its model file",
    }
}

/// Finds, loads, checks and warms up the model for `kind` and starts its worker. Blocks: call
/// it from `activate` or the CLI. The error says why SBR runs instead, in a few words and in
/// full.
pub fn start_model(
    kind: ModelKind,
    layout: StftLayout,
    channels: usize,
    settings: SessionSettings,
    options: WorkerOptions,
) -> Result<WorkerLink, StartError> {
    let source = registry::find_model(kind).map_err(|e| StartError {
        cause: match e {
            RegistryError::NotInstalled { .. } => "not installed",
            RegistryError::Broken { .. } => "its model file is damaged",
        },
        detail: e.to_string(),
    })?;
    let model =
        LoadedModel::load(&source.bytes, source.manifest, &layout, settings).map_err(|e| {
            StartError {
                cause: load_cause(&e),
                detail: format!("{} ({}): {e}", kind.display_name(), source.origin),
            }
        })?;
    WorkerLink::spawn(model, layout, channels, options).map_err(|e| StartError {
        cause: "its inference thread could not start",
        detail: format!("could not start the inference thread: {e}"),
    })
}
