//! The neural path through the real `Airlift.clap`: ONNX Runtime found beside the bundle, the
//! fixture model from the user model folder applied exactly at the reported latency, and a
//! model change asking the host for a restart.

use std::path::PathBuf;
use std::time::Duration;

use airlift::dsp::stft::StftLayout;
use airlift::engine::ModelKind;
use airlift::params::AirliftParams;
use airlift_tests::clap_host::{ClapId, ClapPluginHost};
use airlift_tests::fixture::{error_db, expected_output, fixture_dir, fixture_input, CUTOFF_HZ};
use airlift_tests::workspace_root;
use nice_plug::prelude::Param;

fn bundle() -> PathBuf {
    static PINNED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PINNED
        .get_or_init(|| {
            // The plugin must find ONNX Runtime beside itself: no override here.
            std::env::remove_var("ORT_DYLIB_PATH");
            std::env::set_var("AIRLIFT_MODEL_DIR", fixture_dir());
            let path = workspace_root().join("target/bundled/Airlift.clap");
            assert!(
                path.exists(),
                "{} is missing: run `cargo xtask test`",
                path.display()
            );
            assert!(
                workspace_root()
                    .join("target/bundled/libonnxruntime.so.1.31.1")
                    .exists(),
                "ONNX Runtime is not beside the bundle: run `cargo xtask test`"
            );
            airlift_tests::clap_host::pin_library(&path).unwrap();
            path
        })
        .clone()
}

fn model_value(model: ModelKind) -> f64 {
    ModelKind::ALL.iter().position(|&m| m == model).unwrap() as f64
}

/// Runs `input` through a fresh plugin instance with the fixture at a manual cutoff, in real
/// time but unhurried (each block gets far more wall time than it lasts), and returns its
/// output, its reported latency and the still active instance.
fn render_with_fixture(input: &[Vec<f32>], rate: u32) -> (Vec<Vec<f32>>, usize, ClapPluginHost) {
    let mut host = ClapPluginHost::load(&bundle()).unwrap();
    let id = |host: &mut ClapPluginHost, name: &str| -> ClapId { host.param_id(name).unwrap() };
    let (auto, cutoff, model) = (
        id(&mut host, "Auto Cutoff"),
        id(&mut host, "Cutoff"),
        id(&mut host, "Model"),
    );
    let cutoff_value = AirliftParams::default()
        .cutoff_hz
        .preview_normalized(CUTOFF_HZ) as f64;
    host.flush_params(&[
        (auto, 0.0),
        (cutoff, cutoff_value),
        (model, model_value(ModelKind::SpectralUnet)),
    ])
    .unwrap();
    host.activate(rate as f64, 1, 512).unwrap();
    let latency = host.latency_samples().unwrap() as usize;
    let len = input[0].len();
    let mut output = vec![vec![0.0f32; len]; 2];
    for start in (0..len).step_by(512) {
        let end = (start + 512).min(len);
        let inputs = [&input[0][start..end], &input[1][start..end]];
        let (left, right) = output.split_at_mut(1);
        let mut outputs = [&mut left[0][start..end], &mut right[0][start..end]];
        host.process(&inputs, &mut outputs, &[]).unwrap();
        std::thread::sleep(Duration::from_millis(12));
    }
    (output, latency, host)
}

#[test]
fn two_plugin_instances_at_once_match_each_alone() {
    let rate = 48_000u32;
    let inputs = [fixture_input(rate, 2.5, 42), fixture_input(rate, 2.5, 43)];
    let together: Vec<Vec<Vec<f32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|input| scope.spawn(move || render_with_fixture(input, rate).0))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (input, output) in inputs.iter().zip(&together) {
        let (alone, latency, _) = render_with_fixture(input, rate);
        assert!(alone == *output);
        for (out, inp) in output.iter().zip(input) {
            assert!(error_db(out, &expected_output(inp, rate), latency, rate) < -60.0);
        }
    }
}

#[test]
fn the_fixture_runs_in_the_plugin_at_the_reported_latency() {
    let rate = 48_000u32;
    let layout = StftLayout::for_sample_rate(rate as f32);
    let input = fixture_input(rate, 2.5, 41);
    let (output, latency, mut host) = render_with_fixture(&input, rate);
    assert_eq!(latency, layout.fft_size + 3 * layout.hop_size);
    for (out, inp) in output.iter().zip(&input) {
        let error = error_db(out, &expected_output(inp, rate), latency, rate);
        assert!(error < -60.0, "error {error:.1} dB");
    }
    let model = host.param_id("Model").unwrap();

    // Choosing another model asks the host for a restart; after it, SBR runs with its latency.
    let _ = host.take_host_requests();
    let silence = vec![vec![0.0f32; 512]; 2];
    let inputs = [&silence[0][..], &silence[1][..]];
    let mut scratch = vec![vec![0.0f32; 512]; 2];
    let (left, right) = scratch.split_at_mut(1);
    host.process(
        &inputs,
        &mut [&mut left[0][..], &mut right[0][..]],
        &[(0, model, model_value(ModelKind::Sbr))],
    )
    .unwrap();
    assert!(
        host.take_host_requests().restart,
        "no restart was requested"
    );
    host.deactivate();
    host.activate(rate as f64, 1, 512).unwrap();
    assert_eq!(host.latency_samples().unwrap() as usize, layout.fft_size);
}
