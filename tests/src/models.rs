//! The shipped models in the tests: ONNX Runtime as `cargo xtask test` places it, and engines
//! that run the embedded models.

use std::sync::OnceLock;

use airlift::dsp::stft::StftLayout;
use airlift::engine::{Engine, EngineSettings, ModelKind, ProcessingMode};
use airlift::inference::model::SessionSettings;
use airlift::inference::start_model;
use airlift::inference::worker::WorkerOptions;

use crate::workspace_root;

/// Points this process at ONNX Runtime from `cargo xtask test`, and at an empty user model
/// folder so that the embedded models are the ones found. Set once, before anything in the
/// process loads the runtime.
pub fn setup_runtime() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let library = workspace_root().join("target/onnxruntime/cpu/libonnxruntime.so.1.31.1");
        assert!(
            library.exists(),
            "{} is missing: run `cargo xtask test`",
            library.display()
        );
        let empty = std::env::temp_dir().join(format!("airlift-models-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        std::env::set_var("ORT_DYLIB_PATH", &library);
        std::env::set_var("AIRLIFT_MODEL_DIR", &empty);
    });
}

/// An engine running the embedded DDSP model on `channels` channels at `rate`.
pub fn ddsp_engine(
    rate: u32,
    channels: usize,
    settings: EngineSettings,
    mode: ProcessingMode,
) -> Engine {
    shipped_engine(ModelKind::Ddsp, rate, channels, settings, mode)
}

/// An engine running the embedded model of `kind` on `channels` channels at `rate` (the
/// settings' model is replaced by `kind`).
pub fn shipped_engine(
    kind: ModelKind,
    rate: u32,
    channels: usize,
    settings: EngineSettings,
    mode: ProcessingMode,
) -> Engine {
    setup_runtime();
    let layout = StftLayout::for_sample_rate(rate as f32);
    let link = start_model(
        kind,
        layout,
        channels,
        SessionSettings::default(),
        WorkerOptions::default(),
    )
    .unwrap_or_else(|e| panic!("the embedded {kind:?} model starts: {e}"));
    Engine::with_worker(
        rate as f32,
        channels,
        EngineSettings {
            model: kind,
            ..settings
        },
        Some((kind, link)),
        mode,
    )
    .unwrap()
}

/// A reference file the training pipeline wrote beside a model (`models/NAME`), parsed.
pub fn pipeline_reference(name: &str) -> serde_json::Value {
    let path = workspace_root().join("models").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A JSON array of numbers as `f32`.
pub fn floats(value: &serde_json::Value) -> Vec<f32> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number") as f32)
        .collect()
}

/// The validation vectors of a pipeline reference: each one's features and its expected outputs
/// under `outputs` (the network's outputs as PyTorch gave them). Asserts that there are at
/// least four, so that a parity test cannot pass on an empty reference.
pub fn reference_vectors(
    reference: &serde_json::Value,
    outputs: &str,
) -> Vec<(Vec<f32>, Vec<f32>)> {
    let vectors = reference["vectors"].as_array().expect("vectors");
    assert!(
        vectors.len() >= 4,
        "the reference holds {} vectors",
        vectors.len()
    );
    vectors
        .iter()
        .map(|vector| (floats(&vector["features"]), floats(&vector[outputs])))
        .collect()
}
