//! Provisioning the ONNX Runtime shared library from the PyPI wheels (`onnxruntime`, or
//! `onnxruntime-gpu` for CUDA) and placing it beside the bundles and the CLI, where the plugin
//! looks for it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::run;

/// The ONNX Runtime release `ort` 2.0.0-rc.15 is built for.
pub const VERSION: &str = "1.31.1";

/// The library files the plugin needs from the wheel.
const FILES: [&str; 2] = [
    "libonnxruntime.so.1.31.1",
    "libonnxruntime_providers_shared.so",
];

/// Downloads the wheel with pip (once) and extracts the libraries into
/// `target/onnxruntime/<cpu|cuda>/`, returning that folder.
pub fn fetch(root: &Path, cuda: bool) -> Result<PathBuf> {
    let flavour = if cuda { "cuda" } else { "cpu" };
    let dir = root.join("target/onnxruntime").join(flavour);
    if FILES.iter().all(|f| dir.join(f).exists()) {
        return Ok(dir);
    }
    let package = if cuda {
        "onnxruntime-gpu"
    } else {
        "onnxruntime"
    };
    let wheels = root.join("target/onnxruntime/wheels").join(flavour);
    std::fs::create_dir_all(&wheels)?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .arg(format!("{package}=={VERSION}"))
        .arg("--dest")
        .arg(&wheels))
    .with_context(|| format!("downloading the {package} {VERSION} wheel with pip"))?;
    let wheel = std::fs::read_dir(&wheels)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip left no wheel")?;
    std::fs::create_dir_all(&dir)?;
    let script = "import sys, zipfile, os\n\
                  wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]\n\
                  z = zipfile.ZipFile(wheel)\n\
                  for name in names:\n\
                  \x20   data = z.read('onnxruntime/capi/' + name)\n\
                  \x20   open(os.path.join(dest, name), 'wb').write(data)\n";
    run(Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&wheel)
        .arg(&dir)
        .args(FILES))?;
    if !FILES.iter().all(|f| dir.join(f).exists()) {
        bail!("the {package} wheel did not hold {FILES:?}");
    }
    Ok(dir)
}

/// Copies the libraries from `from` into each folder of `to`.
pub fn place(from: &Path, to: &[PathBuf]) -> Result<()> {
    for dir in to {
        std::fs::create_dir_all(dir)?;
        for file in FILES {
            std::fs::copy(from.join(file), dir.join(file))
                .with_context(|| format!("copying {file} to {}", dir.display()))?;
        }
    }
    Ok(())
}

/// The folder inside a VST3 bundle that holds the plugin binary on this platform.
pub fn vst3_binary_dir(bundle: &Path) -> PathBuf {
    bundle.join("Contents/x86_64-linux")
}
