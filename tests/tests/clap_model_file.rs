//! A user model file damaged or removed while the real `Airlift.clap` runs it: the running
//! instance is untouched (the session holds the model in memory); the next activation cannot
//! create a session from the damaged file, so SBR runs with its own latency, audio passes and
//! the log says why; with the file gone the embedded model runs; with the file back the next
//! activation runs it again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use airlift::dsp::stft::StftLayout;
use airlift::engine::ModelKind;
use airlift::params::AirliftParams;
use airlift_tests::clap_host::ClapPluginHost;
use airlift_tests::fixture::{error_db, expected_output, fixture_dir, fixture_input, CUTOFF_HZ};
use airlift_tests::render::delayed;
use airlift_tests::workspace_root;
use nice_plug::prelude::Param;

const RATE: u32 = 48_000;
const BLOCK: usize = 512;

/// A model folder of this process's own, holding a copy of the fixture; ONNX Runtime beside the
/// bundle; the plugin's log in a file. Set once, before the plugin is loaded.
fn setup() -> (PathBuf, PathBuf, PathBuf) {
    static SETUP: std::sync::OnceLock<(PathBuf, PathBuf, PathBuf)> = std::sync::OnceLock::new();
    SETUP
        .get_or_init(|| {
            let scratch = workspace_root()
                .join("target/test-scratch")
                .join(format!("clap-model-file-{}", std::process::id()));
            let models = scratch.join("models");
            std::fs::create_dir_all(&models).unwrap();
            for name in ["tenfold_magnitude.json", "tenfold_magnitude.onnx"] {
                std::fs::copy(fixture_dir().join(name), models.join(name)).unwrap();
            }
            let log = scratch.join("plugin.log");
            std::env::remove_var("ORT_DYLIB_PATH");
            std::env::set_var("AIRLIFT_MODEL_DIR", &models);
            std::env::set_var("NICE_LOG", &log);
            let bundle = workspace_root().join("target/bundled/Airlift.clap");
            assert!(bundle.exists(), "run `cargo xtask test` first");
            airlift_tests::clap_host::pin_library(&bundle).unwrap();
            (bundle, models, log)
        })
        .clone()
}

/// Plays `input` through the active `host` in real time but unhurried, and returns the output.
fn play(host: &mut ClapPluginHost, input: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let len = input[0].len();
    let mut output = vec![vec![0.0f32; len]; 2];
    for start in (0..len).step_by(BLOCK) {
        let end = (start + BLOCK).min(len);
        let inputs = [&input[0][start..end], &input[1][start..end]];
        let (left, right) = output.split_at_mut(1);
        let mut outputs = [&mut left[0][start..end], &mut right[0][start..end]];
        host.process(&inputs, &mut outputs, &[]).unwrap();
        std::thread::sleep(Duration::from_millis(12));
    }
    output
}

/// Whether `output` is the fixture's exact effect on `input` at `latency`.
fn is_fixture(output: &[Vec<f32>], input: &[Vec<f32>], latency: usize) -> bool {
    output.iter().zip(input).all(|(out, inp)| {
        let error = error_db(out, &expected_output(inp, RATE), latency, RATE);
        error < -60.0
    })
}

/// Restarts the instance, as a host does when the plugin asks or a session reopens.
fn reactivate(host: &mut ClapPluginHost) -> usize {
    host.deactivate();
    host.activate(RATE as f64, 1, BLOCK as u32).unwrap();
    host.latency_samples().unwrap() as usize
}

fn log_text(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn a_damaged_or_removed_model_file_is_survived_and_recovered_from() {
    let (bundle, models, log) = setup();
    let layout = StftLayout::for_sample_rate(RATE as f32);
    let model_latency = layout.fft_size + 3 * layout.hop_size;
    let input = fixture_input(RATE, 2.5, 91);

    let mut host = ClapPluginHost::load(&bundle).unwrap();
    let (auto, cutoff, model) = (
        host.param_id("Auto Cutoff").unwrap(),
        host.param_id("Cutoff").unwrap(),
        host.param_id("Model").unwrap(),
    );
    let unet = ModelKind::ALL
        .iter()
        .position(|&m| m == ModelKind::SpectralUnet)
        .unwrap() as f64;
    let cutoff_value = AirliftParams::default()
        .cutoff_hz
        .preview_normalized(CUTOFF_HZ) as f64;
    host.flush_params(&[(auto, 0.0), (cutoff, cutoff_value), (model, unet)])
        .unwrap();
    host.activate(RATE as f64, 1, BLOCK as u32).unwrap();
    assert_eq!(host.latency_samples().unwrap() as usize, model_latency);
    let first = play(&mut host, &input);
    assert!(is_fixture(&first, &input, model_latency));

    // Damaged while it runs: the running session has the model in memory, nothing changes.
    let onnx = models.join("tenfold_magnitude.onnx");
    let good = std::fs::read(&onnx).unwrap();
    let mut damaged = good.clone();
    for (i, byte) in damaged.iter_mut().enumerate().skip(16).step_by(7) {
        *byte ^= (i % 251) as u8 | 1;
    }
    std::fs::write(&onnx, &damaged).unwrap();
    let while_damaged = play(&mut host, &input);
    assert!(is_fixture(&while_damaged, &input, model_latency));

    // The next activation cannot create a session from it: SBR with its own latency, the low
    // band passes untouched, and the log says why.
    let latency = reactivate(&mut host);
    assert_eq!(latency, layout.fft_size, "SBR's latency");
    let with_sbr = play(&mut host, &input);
    assert!(with_sbr.iter().flatten().all(|y| y.is_finite()));
    let low = airlift_tests::filters::band_energy(&with_sbr[0][latency..], RATE, 0.0, 6000.0);
    let low_in = airlift_tests::filters::band_energy(
        &delayed(&input, latency)[0][latency..],
        RATE,
        0.0,
        6000.0,
    );
    assert!((low / low_in - 1.0).abs() < 1e-3, "{low} vs {low_in}");
    let said = log_text(&log);
    assert!(
        said.contains("ONNX Runtime") && said.contains("SBR runs instead"),
        "the log says nothing of it:\n{said}"
    );

    // Removed: the embedded Spectral U-Net takes its place.
    std::fs::remove_file(&onnx).unwrap();
    let latency = reactivate(&mut host);
    assert_eq!(latency, model_latency);
    let embedded = play(&mut host, &input);
    assert!(!is_fixture(&embedded, &input, latency));
    assert!(embedded.iter().flatten().all(|y| y.is_finite()));

    // Back: the next activation runs it again.
    std::fs::write(&onnx, &good).unwrap();
    let latency = reactivate(&mut host);
    let again = play(&mut host, &input);
    assert!(is_fixture(&again, &input, latency));
    host.deactivate();
}
