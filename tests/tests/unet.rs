//! The shipped Spectral U-Net (`models/unet.onnx`, compiled into the plugin): the embedded copy
//! is the committed file within its size budget, ONNX Runtime in Rust reproduces PyTorch's
//! reference steps, and in the engine, at every supported rate, it reports its latency exactly,
//! leaves the low band untouched, keeps silence silent, generates the band, gives the same
//! samples for any block size, offline and in an unhurried real-time run, and never allocates
//! on the audio thread.

use airlift::dsp::stft::StftLayout;
use airlift::engine::{CutoffMode, Engine, EngineSettings, ModelKind, ProcessingMode};
use airlift::inference::manifest::model_bins;
use airlift::inference::model::{LoadedModel, SessionSettings};
use airlift::inference::registry::find_model;
use airlift_tests::filters::brick_wall;
use airlift_tests::models::{setup_runtime, shipped_engine};
use airlift_tests::render::{
    assert_band_filled, process_without_allocating, stream, VARYING_BLOCKS,
};
use airlift_tests::signals::{music_like, music_like_stereo};
use airlift_tests::workspace_root;

/// Every rate the plugin runs at.
const RATES_HZ: [u32; 6] = [44_100, 48_000, 88_200, 96_000, 176_400, 192_000];

fn unet_engine(rate: u32, cutoff_hz: f32, mode: ProcessingMode) -> Engine {
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(cutoff_hz),
        model: ModelKind::SpectralUnet,
        mix: 1.0,
        output_gain_db: 0.0,
        ..EngineSettings::default()
    };
    shipped_engine(ModelKind::SpectralUnet, rate, 1, settings, mode)
}

#[test]
fn the_embedded_model_is_the_committed_one_and_matches_pytorch() {
    setup_runtime();
    let source = find_model(ModelKind::SpectralUnet).unwrap();
    assert_eq!(source.origin, "embedded unet");
    let models = workspace_root().join("models");
    let committed = std::fs::read(models.join("unet.onnx")).unwrap();
    assert!(source.bytes[..] == committed[..]);
    assert!(
        committed.len() <= 20 * 1024 * 1024,
        "{} bytes",
        committed.len()
    );
    let layout = StftLayout::for_sample_rate(48_000.0);
    let bins = model_bins(&layout);
    let mut model = LoadedModel::load(
        &source.bytes,
        source.manifest.clone(),
        &layout,
        SessionSettings::default(),
    )
    .unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models.join("unet.reference.json")).unwrap())
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
    let mut output = vec![0.0; batch * bins];
    for step in steps {
        let log_mag = floats(&step["inputs"]["log_mag"]);
        let cutoff = floats(&step["inputs"]["cutoff_bin"]);
        model
            .run(&log_mag, &cutoff, batch, bins, &mut output)
            .unwrap();
        let theirs = floats(&step["outputs"]["high_log_mag"]);
        assert_eq!(output.len(), theirs.len());
        for (a, b) in output.iter().zip(&theirs) {
            // PyTorch's float arithmetic differs from ONNX Runtime's in the last digits.
            let scale = b.abs().max(1.0);
            assert!((a - b).abs() / scale < 2e-4, "{a} vs {b}");
        }
    }
}

#[test]
fn at_every_rate_the_latency_is_exact_the_low_band_untouched_and_the_band_generated() {
    for rate in RATES_HZ {
        for cutoff_hz in [4000.0f32, 11_000.0] {
            let original = music_like(rate, 2.0, 21);
            let input = brick_wall(&original, rate, cutoff_hz);
            let mut engine = unet_engine(rate, cutoff_hz, ProcessingMode::Offline);
            let layout = StftLayout::for_sample_rate(rate as f32);
            let latency = engine.latency_samples() as usize;
            // One look-ahead frame and the worker's slack, as DDSP.
            assert_eq!(latency, layout.fft_size + 3 * layout.hop_size);
            let output = stream(&mut engine, std::slice::from_ref(&input), &[512]);
            assert!(engine.status().model_frames > 0, "{rate} Hz");
            assert_eq!(engine.status().active_model, ModelKind::SpectralUnet);
            assert_eq!(engine.status().dropouts, 0);
            let output = &output[0][latency..];
            let delayed = &input[..input.len() - latency];
            let (error_db, generated_db) =
                assert_band_filled(output, delayed, &original, rate, cutoff_hz);
            let impulse_in: Vec<f32> = (0..rate as usize / 2)
                .map(|i| if i == 1000 { 1.0 } else { 0.0 })
                .collect();
            let mut impulse_engine = unet_engine(rate, cutoff_hz, ProcessingMode::Offline);
            let impulse_out = stream(&mut impulse_engine, &[impulse_in], &[333]);
            let peak = impulse_out[0]
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap()
                .0;
            assert_eq!(peak, 1000 + latency, "{rate} Hz: impulse out of place");
            eprintln!(
                "{rate} Hz, cutoff {cutoff_hz}: latency {latency}, low band {error_db:.1} dB, \
                 generated band {generated_db:.1} dB re original"
            );
        }
    }
}

#[test]
fn silence_stays_exactly_silent() {
    for rate in [48_000, 96_000] {
        let mut engine = unet_engine(rate, 6000.0, ProcessingMode::Offline);
        let output = stream(&mut engine, &[vec![0.0; rate as usize]], &VARYING_BLOCKS);
        assert!(output[0].iter().all(|&y| y == 0.0));
    }
}

#[test]
fn any_block_size_offline_and_real_time_give_the_same_samples() {
    for rate in [44_100, 192_000] {
        let input = vec![brick_wall(&music_like(rate, 1.5, 5), rate, 7000.0)];
        let mut offline = unet_engine(rate, 7000.0, ProcessingMode::Offline);
        let reference = stream(&mut offline, &input, &[512]);
        let mut varying = unet_engine(rate, 7000.0, ProcessingMode::Offline);
        assert!(stream(&mut varying, &input, &VARYING_BLOCKS) == reference);
        // Real time, unhurried (the worker gets far more time than each block lasts).
        let mut realtime = unet_engine(rate, 7000.0, ProcessingMode::Realtime);
        let mut output = input.clone();
        let block = 256 * (rate as usize / 48_000).max(1);
        for start in (0..input[0].len()).step_by(block) {
            let end = (start + block).min(input[0].len());
            realtime.process(&mut [&mut output[0][start..end]]);
            // Far more than a block lasts: a frame would have to wait some 100 ms for the
            // worker to be late, longer than this shared machine stalls a thread.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(realtime.status().dropouts, 0, "{rate} Hz");
        assert!(output == reference, "{rate} Hz");
    }
}

#[test]
fn processing_with_the_unet_never_allocates() {
    #[global_allocator]
    static ALLOCATOR: nice_assert_no_alloc::AllocDisabler = nice_assert_no_alloc::AllocDisabler;
    for rate in [48_000, 96_000] {
        let input = music_like_stereo(rate, 1.0, 36);
        let settings = EngineSettings {
            cutoff: CutoffMode::Auto,
            model: ModelKind::SpectralUnet,
            mix: 1.0,
            output_gain_db: 0.0,
            ..EngineSettings::default()
        };
        let mut engine = shipped_engine(
            ModelKind::SpectralUnet,
            rate,
            2,
            settings,
            ProcessingMode::Realtime,
        );
        process_without_allocating(&mut engine, &input);
        assert!(engine.status().model_frames + engine.status().dropouts > 0);
    }
}
