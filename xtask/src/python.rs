//! The Python virtual environments: one for the tests that drive the VST3 bundle through
//! pedalboard, one for the corpus and the quality measurement, one for training the models.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::run;

/// Python packages of the Python tests (the VST3 through pedalboard, the editor's screenshot,
/// the training package's examples), pinned so CI is reproducible.
pub const TEST_REQUIREMENTS: &[&str] = &[
    "pedalboard==0.9.26",
    "numpy==2.4.6",
    "scipy==1.17.1",
    "soundfile==0.14.0",
    "pytest==9.2.0",
    "pillow==13.0.0",
];

/// Python packages of the corpus builder, the quality measurement on the excerpts and the
/// README's spectrograms.
pub const CORPUS_REQUIREMENTS: &[&str] = &[
    "numpy==2.4.6",
    "scipy==1.17.1",
    "soundfile==0.14.0",
    "matplotlib==3.10.8",
];

/// Python packages of the training pipeline (`models/airlift_train`), pinned so a training run
/// can be repeated. onnxruntime is the version the plugin ships, for the parity check.
pub const TRAIN_REQUIREMENTS: &[&str] = &[
    "torch==2.15.0",
    "onnx==1.19.1",
    "onnxscript==0.7.2",
    "onnxruntime==1.31.1",
    "numpy==2.4.6",
    "scipy==1.17.1",
    "soundfile==0.14.0",
];

/// Creates `target/<name>` with `requirements` unless it already has them, and returns its
/// path.
pub fn ensure_venv(root: &Path, name: &str, requirements: &[&str]) -> Result<PathBuf> {
    let venv = root.join("target").join(name);
    let stamp = venv.join("airlift-requirements.txt");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(&python).args(["-m", "venv"]).arg(&venv))
        .with_context(|| format!("creating a venv with {python} (install python3-venv)"))?;
    let pip = venv.join("bin/pip");
    run(Command::new(&pip).args(["install", "--quiet", "--upgrade", "pip"]))?;
    run(Command::new(&pip)
        .args(["install", "--quiet"])
        .args(requirements))?;
    std::fs::write(&stamp, wanted)?;
    Ok(venv)
}
