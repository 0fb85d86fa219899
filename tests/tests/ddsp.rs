//! The shipped DDSP model (`models/ddsp.onnx`, compiled into the plugin): the embedded copy is
//! the committed file, ONNX Runtime in Rust reproduces PyTorch's reference steps, and in the
//! engine it leaves the low band untouched, keeps silence silent, generates the band, gives the
//! same samples for any block size and in offline mode, and runs on through a bypass.

use std::path::PathBuf;

use airlift::dsp::stft::StftLayout;
use airlift::engine::{CutoffMode, Engine, EngineSettings, ModelKind, ProcessingMode};
use airlift::inference::model::{HarmonicNoiseControls, LoadedModel, SessionSettings};
use airlift::inference::registry::find_model;
use airlift_tests::filters::brick_wall;
use airlift_tests::models::setup_runtime;
use airlift_tests::render::{assert_band_filled, stream, VARYING_BLOCKS};
use airlift_tests::signals::music_like;
use airlift_tests::workspace_root;

fn models_dir() -> PathBuf {
    workspace_root().join("models")
}

fn ddsp_engine(rate: u32, cutoff_hz: f32, mode: ProcessingMode) -> Engine {
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(cutoff_hz),
        model: ModelKind::Ddsp,
        mix: 1.0,
        output_gain_db: 0.0,
        ..EngineSettings::default()
    };
    airlift_tests::models::ddsp_engine(rate, 1, settings, mode)
}

#[test]
fn the_embedded_model_is_the_committed_one_and_matches_pytorch() {
    setup_runtime();
    let source = find_model(ModelKind::Ddsp).unwrap();
    assert_eq!(source.origin, "embedded ddsp");
    let committed = std::fs::read(models_dir().join("ddsp.onnx")).unwrap();
    assert!(source.bytes[..] == committed[..]);
    assert!(
        committed.len() <= 5 * 1024 * 1024,
        "{} bytes",
        committed.len()
    );
    let bins = StftLayout::for_sample_rate(48_000.0).num_bins();
    let mut model = LoadedModel::load(
        &source.bytes,
        source.manifest.clone(),
        &StftLayout::for_sample_rate(48_000.0),
        SessionSettings::default(),
    )
    .unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(models_dir().join("ddsp.reference.json")).unwrap(),
    )
    .unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    let steps = reference["steps"].as_array().unwrap();
    assert!(steps.len() >= 4);
    let batch = 2;
    let mut controls = HarmonicNoiseControls::for_manifest(&source.manifest, batch);
    let mut state = floats(&steps[0]["inputs"]["state_in"]);
    for step in steps {
        // The state is carried by this side, as the worker does: it must stay on the reference.
        let log_mag = floats(&step["inputs"]["log_mag"]);
        let cutoff = floats(&step["inputs"]["cutoff_bin"]);
        model
            .run_harmonic_noise(&log_mag, &cutoff, &state, batch, bins, &mut controls)
            .unwrap();
        let outputs = &step["outputs"];
        let pairs = [
            ("f0_bins", &controls.f0_bins),
            ("harmonic_mags", &controls.harmonic_mags),
            ("noise_log_mags", &controls.noise_log_mags),
            ("state_out", &controls.state),
        ];
        for (name, ours) in pairs {
            let theirs = floats(&outputs[name]);
            assert_eq!(ours.len(), theirs.len(), "{name}");
            for (a, b) in ours.iter().zip(&theirs) {
                // PyTorch's float arithmetic differs from ONNX Runtime's in the last digits.
                let scale = b.abs().max(1.0);
                assert!((a - b).abs() / scale < 2e-4, "{name}: {a} vs {b}");
            }
        }
        state.clone_from(&controls.state);
    }
}

#[test]
fn in_the_engine_the_low_band_is_untouched_and_the_band_is_generated() {
    for rate in [44_100u32, 48_000, 88_200, 96_000, 176_400, 192_000] {
        for cutoff_hz in [4000.0f32, 8000.0, 12_000.0] {
            let original = music_like(rate, 3.0, 21);
            let input = brick_wall(&original, rate, cutoff_hz);
            let mut engine = ddsp_engine(rate, cutoff_hz, ProcessingMode::Offline);
            let layout = StftLayout::for_sample_rate(rate as f32);
            let latency = engine.latency_samples() as usize;
            assert_eq!(latency, layout.fft_size + 3 * layout.hop_size);
            let output = stream(&mut engine, std::slice::from_ref(&input), &[512]);
            assert!(engine.status().model_frames > 0);
            assert_eq!(engine.status().dropouts, 0);
            let output = &output[0][latency..];
            let delayed = &input[..input.len() - latency];
            let (error_db, generated_db) =
                assert_band_filled(output, delayed, &original, rate, cutoff_hz);
            eprintln!(
                "{rate} Hz, cutoff {cutoff_hz}: low band {error_db:.1} dB, generated band \
                 {generated_db:.1} dB re original"
            );
        }
    }
}

#[test]
fn silence_stays_exactly_silent() {
    let mut engine = ddsp_engine(48_000, 6000.0, ProcessingMode::Offline);
    let output = stream(&mut engine, &[vec![0.0; 48_000]], &VARYING_BLOCKS);
    assert!(output[0].iter().all(|&y| y == 0.0));
}

#[test]
fn any_block_size_and_offline_give_the_same_samples() {
    let rate = 48_000;
    let input = vec![brick_wall(&music_like(rate, 2.0, 5), rate, 7000.0)];
    let mut offline = ddsp_engine(rate, 7000.0, ProcessingMode::Offline);
    let reference = stream(&mut offline, &input, &[512]);
    let mut varying = ddsp_engine(rate, 7000.0, ProcessingMode::Offline);
    assert!(stream(&mut varying, &input, &VARYING_BLOCKS) == reference);
    // Real time, unhurried (the worker gets far more time than each block lasts).
    let mut realtime = ddsp_engine(rate, 7000.0, ProcessingMode::Realtime);
    let mut output = input.clone();
    for start in (0..input[0].len()).step_by(256) {
        let end = (start + 256).min(input[0].len());
        realtime.process(&mut [&mut output[0][start..end]]);
        std::thread::sleep(std::time::Duration::from_millis(8));
    }
    assert_eq!(realtime.status().dropouts, 0);
    assert!(output == reference);
}

#[test]
fn the_model_runs_on_through_a_bypass_so_nothing_warms_up_after_it() {
    // DDSP carries a recurrent state from frame to frame: had it stopped during the bypass,
    // the band after it would differ from an engine that was never bypassed.
    let rate = 48_000;
    let input = music_like(rate, 3.0, 23);
    let mut plain = ddsp_engine(rate, 6000.0, ProcessingMode::Offline);
    let expected = stream(&mut plain, std::slice::from_ref(&input), &[480]);
    let mut engine = ddsp_engine(rate, 6000.0, ProcessingMode::Offline);
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(6000.0),
        model: ModelKind::Ddsp,
        ..EngineSettings::default()
    };
    let mut output = input.clone();
    let mut frames_before_bypass = 0;
    for start in (0..input.len()).step_by(480) {
        let bypass = (48_000..96_000).contains(&start);
        if start == 48_000 {
            frames_before_bypass = engine.status().model_frames;
        }
        if start == 96_000 {
            // About one frame per hop (512 samples at 48 kHz) while bypassed.
            let frames = engine.status().model_frames - frames_before_bypass;
            assert!(
                frames >= 90,
                "{frames} model frames during a second of bypass"
            );
        }
        engine.set_settings(EngineSettings { bypass, ..settings });
        let end = (start + 480).min(input.len());
        engine.process(&mut [&mut output[start..end]]);
    }
    let after_crossfade = 96_000 + 960;
    assert_eq!(output[after_crossfade..], expected[0][after_crossfade..]);
}
