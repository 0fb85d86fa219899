//! The neural path: loading ONNX Runtime, finding and checking models, and the worker thread
//! that runs them beside the audio thread.

pub mod manifest;
pub mod model;
pub mod registry;
pub mod runtime;
pub mod worker;

use crate::dsp::stft::StftLayout;
use crate::engine::ModelKind;
use model::{LoadedModel, SessionSettings};
use worker::{WorkerLink, WorkerOptions};

/// Finds, loads, checks and warms up the model for `kind` and starts its worker. Blocks: call
/// it from `activate` or the CLI. The error says, in one line, why SBR runs instead.
pub fn start_model(
    kind: ModelKind,
    layout: StftLayout,
    channels: usize,
    settings: SessionSettings,
    options: WorkerOptions,
) -> Result<WorkerLink, String> {
    let source = registry::find_model(kind).map_err(|e| e.to_string())?;
    let model = LoadedModel::load(&source.bytes, source.manifest, &layout, settings)
        .map_err(|e| format!("{} ({}): {e}", kind.display_name(), source.origin))?;
    WorkerLink::spawn(model, layout, channels, options)
        .map_err(|e| format!("could not start the inference thread: {e}"))
}
