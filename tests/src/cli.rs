//! The `airlift` command-line binary in the tests of this crate: files rendered and measured
//! exactly as users run them (`airlift render`, `airlift eval`).

use std::path::{Path, PathBuf};
use std::process::Command;

use airlift::audio_file::{read_audio, write_wav_f32, AudioData};

use crate::models::setup_runtime;

/// The `airlift` binary of the profile these tests were built with (`target/<profile>/`, one
/// folder above the test executable's `deps/`). `cargo xtask test` builds it before the tests.
pub fn airlift_cli() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    let cli = profile_dir.join("airlift");
    assert!(
        cli.is_file(),
        "{} is missing: build it with `cargo build -p airlift --bin airlift` (cargo xtask test does)",
        cli.display()
    );
    cli
}

/// Writes `channels` at `sample_rate_hz` to `path` as 32-bit float WAV.
pub fn write_wav(path: &Path, sample_rate_hz: u32, channels: &[Vec<f32>]) {
    let audio = AudioData {
        sample_rate_hz,
        channels: channels.to_vec(),
    };
    write_wav_f32(path, &audio).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// `airlift render input output --cutoff cutoff_hz --model model` with the embedded models
/// (see [`setup_runtime`]); returns the output's channels. Panics with the CLI's message when
/// it fails or when it says it ran another model instead.
pub fn render_with_cli(input: &Path, output: &Path, cutoff_hz: f32, model: &str) -> Vec<Vec<f32>> {
    setup_runtime();
    let done = Command::new(airlift_cli())
        .arg("render")
        .arg(input)
        .arg(output)
        .args(["--cutoff", &format!("{cutoff_hz:.0}"), "--model", model])
        .args(["--overwrite"])
        .output()
        .expect("the airlift binary runs");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "airlift render failed: {stderr}");
    assert!(
        !stderr.contains("instead"),
        "airlift render did not run {model}: {stderr}"
    );
    read_audio(output)
        .unwrap_or_else(|e| panic!("reading {}: {e}", output.display()))
        .channels
}

/// LSD-HF of `estimate` against `reference` by `airlift eval --cutoff --band-edge --json`
/// (0 when the band above the cutoff is empty).
pub fn lsd_hf_with_cli(
    reference: &Path,
    estimate: &Path,
    cutoff_hz: f32,
    band_edge_hz: Option<f32>,
) -> f64 {
    let mut command = Command::new(airlift_cli());
    command.arg("eval").arg(reference).arg(estimate).args([
        "--cutoff",
        &format!("{cutoff_hz}"),
        "--json",
    ]);
    if let Some(edge_hz) = band_edge_hz {
        command.args(["--band-edge", &format!("{edge_hz}")]);
    }
    let done = command.output().expect("the airlift binary runs");
    assert!(
        done.status.success(),
        "airlift eval failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&done.stdout).expect("airlift eval --json prints one object");
    report["lsd_hf"].as_f64().unwrap_or(0.0)
}
