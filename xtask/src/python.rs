//! The Python virtual environment for the tests that drive the VST3 bundle through pedalboard.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::run;

/// Python packages of the VST3 tests, pinned so CI is reproducible.
const REQUIREMENTS: &[&str] = &[
    "pedalboard==0.9.26",
    "numpy==2.4.6",
    "soundfile==0.14.0",
    "pytest==9.2.0",
    "pillow==13.0.0",
];

/// Creates `target/python-venv` with [`REQUIREMENTS`] unless it already has them, and returns
/// its path.
pub fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/python-venv");
    let stamp = venv.join("airlift-requirements.txt");
    let wanted = REQUIREMENTS.join("\n");
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
        .args(REQUIREMENTS))?;
    std::fs::write(&stamp, wanted)?;
    Ok(venv)
}
