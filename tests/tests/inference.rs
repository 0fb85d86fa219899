//! The neural path with the fixture model (`models/fixtures/tenfold_magnitude.onnx`, whose
//! generated bins are ten times the input's, with its phase): parity with its Python reference, manifest checks
//! that name the field, exact application at the reported latency, offline equal to an
//! unhurried real-time run, forced dropouts, two engines at once, and a worker that sleeps
//! until a request wakes it.

use std::path::PathBuf;
use std::time::Duration;

use airlift::dsp::stft::StftLayout;
use airlift::engine::{CutoffMode, Engine, EngineSettings, ModelKind, ProcessingMode};
use airlift::inference::manifest::ModelManifest;
use airlift::inference::model::{LoadedModel, SessionSettings};
use airlift::inference::start_model;
use airlift::inference::worker::WorkerOptions;
use airlift_tests::fixture::{
    error_db, expected_output, fixture_input, use_fixture_models, CUTOFF_HZ,
};
use airlift_tests::render::{process_without_allocating, stream, VARYING_BLOCKS};
use airlift_tests::signals::music_like_stereo;

/// Points ONNX Runtime and the model folder at the fixture's.
fn setup() -> PathBuf {
    use_fixture_models()
}

fn settings() -> EngineSettings {
    EngineSettings {
        cutoff: CutoffMode::Manual(CUTOFF_HZ),
        model: ModelKind::SpectralUnet,
        mix: 1.0,
        output_gain_db: 0.0,
        ..EngineSettings::default()
    }
}

fn fixture_engine(
    rate: u32,
    channels: usize,
    mode: ProcessingMode,
    options: WorkerOptions,
) -> Engine {
    setup();
    let layout = StftLayout::for_sample_rate(rate as f32);
    let link = start_model(
        ModelKind::SpectralUnet,
        layout,
        channels,
        SessionSettings::default(),
        options,
    )
    .expect("the fixture model starts");
    Engine::with_worker(
        rate as f32,
        channels,
        settings(),
        Some((ModelKind::SpectralUnet, link)),
        mode,
    )
    .unwrap()
}

#[test]
fn the_fixture_matches_its_python_reference() {
    let fixtures = setup();
    let manifest = ModelManifest::from_json(
        &std::fs::read_to_string(fixtures.join("tenfold_magnitude.json")).unwrap(),
    )
    .unwrap();
    let bytes = std::fs::read(fixtures.join("tenfold_magnitude.onnx")).unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("tenfold_magnitude.reference.json")).unwrap(),
    )
    .unwrap();
    let floats = |key: &str| -> Vec<f32> {
        reference[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect()
    };
    let shape: Vec<usize> = reference["log_mag_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let (batch, bins) = (shape[0], shape[2]);
    let mut model = LoadedModel::load(
        &bytes,
        manifest,
        &StftLayout::for_sample_rate(48_000.0),
        SessionSettings::default(),
    )
    .unwrap();
    let mut output = vec![0.0; batch * bins];
    model
        .run(
            &floats("log_mag"),
            &vec![0.0; batch],
            batch,
            bins,
            &mut output,
        )
        .unwrap();
    for (a, b) in output.iter().zip(floats("high_log_mag")) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert_eq!(model.provider, "CPU");
}

#[test]
fn a_manifest_that_does_not_fit_names_the_field() {
    let fixtures = setup();
    let text = std::fs::read_to_string(fixtures.join("tenfold_magnitude.json")).unwrap();
    let bytes = std::fs::read(fixtures.join("tenfold_magnitude.onnx")).unwrap();
    let layout = StftLayout::for_sample_rate(48_000.0);
    type Change = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: [(&str, Change); 5] = [
        (
            "inputs.log_mag.shape",
            Box::new(|m| m["context_frames"] = 5.into()),
        ),
        (
            "field `inputs`: expected a tensor named log_mag",
            Box::new(|m| m["inputs"][0]["name"] = "spectrum".into()),
        ),
        (
            "sample_rates_hz",
            Box::new(|m| m["sample_rates_hz"] = serde_json::json!([22050])),
        ),
        ("hop_fraction", Box::new(|m| m["hop_fraction"] = 0.5.into())),
        ("slot", Box::new(|m| m["slot"] = "sbr".into())),
    ];
    for (field, change) in cases {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        change(&mut value);
        let manifest: ModelManifest = serde_json::from_value(value).unwrap();
        let error = LoadedModel::load(&bytes, manifest, &layout, SessionSettings::default())
            .err()
            .unwrap();
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    // A broken model file is an ONNX Runtime error, not a crash.
    let manifest = ModelManifest::from_json(&text).unwrap();
    let error = LoadedModel::load(
        b"not a model",
        manifest,
        &layout,
        SessionSettings::default(),
    )
    .err()
    .unwrap();
    assert!(error.to_string().starts_with("ONNX Runtime:"), "{error}");
}

#[test]
fn the_engine_applies_exactly_the_fixture_at_the_reported_latency() {
    for rate in [44_100u32, 96_000] {
        let input = fixture_input(rate, 2.5, 31);
        for blocks in [&[64usize][..], &[1024], &VARYING_BLOCKS] {
            let mut engine =
                fixture_engine(rate, 2, ProcessingMode::Offline, WorkerOptions::default());
            let layout = StftLayout::for_sample_rate(rate as f32);
            let latency = engine.latency_samples() as usize;
            // Window + look-ahead (1 frame) + slack (2 frames).
            assert_eq!(latency, layout.fft_size + 3 * layout.hop_size);
            let output = stream(&mut engine, &input, blocks);
            let status = engine.status();
            assert_eq!(status.active_model, ModelKind::SpectralUnet);
            assert_eq!(status.dropouts, 0);
            assert!(status.model_frames > 0);
            for (out, inp) in output.iter().zip(&input) {
                let error = error_db(out, &expected_output(inp, rate), latency, rate);
                assert!(
                    error < -60.0,
                    "rate {rate}, blocks {blocks:?}: error {error:.1} dB"
                );
                eprintln!("rate {rate}, blocks {blocks:?}: error {error:.1} dB");
                // One hop early or late would be far off.
                let early = error_db(
                    out,
                    &expected_output(inp, rate),
                    latency - layout.hop_size,
                    rate,
                );
                assert!(early > -20.0, "misalignment went unnoticed ({early:.1} dB)");
            }
        }
    }
}

#[test]
fn offline_equals_an_unhurried_real_time_run() {
    let rate = 48_000;
    let input = music_like_stereo(rate, 1.5, 32);
    let mut offline = fixture_engine(rate, 2, ProcessingMode::Offline, WorkerOptions::default());
    let expected = stream(&mut offline, &input, &[512]);

    let mut realtime = fixture_engine(rate, 2, ProcessingMode::Realtime, WorkerOptions::default());
    let mut output = input.clone();
    for start in (0..input[0].len()).step_by(512) {
        let end = (start + 512).min(input[0].len());
        let (left, right) = output.split_at_mut(1);
        realtime.process(&mut [&mut left[0][start..end], &mut right[0][start..end]]);
        // Unhurried: give the worker far more time than a hop.
        std::thread::sleep(Duration::from_millis(15));
    }
    assert_eq!(realtime.status().dropouts, 0);
    assert!(output == expected);
}

#[test]
fn late_frames_fall_back_to_sbr_without_clicks_and_offline_still_waits() {
    let rate = 48_000;
    let input = music_like_stereo(rate, 2.0, 33);
    let slow = WorkerOptions {
        injected_delay: Duration::from_millis(40),
        ..WorkerOptions::default()
    };

    // Real time, fed far faster than the worker can answer: dropouts, but clean audio.
    let mut realtime = fixture_engine(rate, 2, ProcessingMode::Realtime, slow);
    let output = stream(&mut realtime, &input, &[512]);
    let status = realtime.status();
    assert!(status.dropouts > 10, "{status:?}");
    assert!(output.iter().flatten().all(|y| y.is_finite()));
    let (sbr, _) = airlift_tests::render::render(
        rate,
        &input,
        EngineSettings {
            model: ModelKind::Sbr,
            ..settings()
        },
        &[512],
    );
    let max_step = |signal: &[Vec<f32>]| {
        signal
            .iter()
            .flat_map(|c| c.windows(2).map(|w| (w[1] - w[0]).abs()))
            .fold(0.0f32, f32::max)
    };
    assert!(
        max_step(&output) <= 1.25 * max_step(&sbr),
        "{} vs {}",
        max_step(&output),
        max_step(&sbr)
    );

    // Offline with a slow worker: it waits, so the result is the unhurried one exactly.
    let slightly_slow = WorkerOptions {
        injected_delay: Duration::from_millis(2),
        ..WorkerOptions::default()
    };
    let mut offline = fixture_engine(rate, 2, ProcessingMode::Offline, slightly_slow);
    let waited = stream(&mut offline, &input, &[512]);
    let mut reference = fixture_engine(rate, 2, ProcessingMode::Offline, WorkerOptions::default());
    let unhurried = stream(&mut reference, &input, &[512]);
    assert_eq!(offline.status().dropouts, 0);
    assert!(waited == unhurried);
}

#[test]
fn two_engines_at_once_match_each_alone() {
    let rate = 44_100;
    let inputs = [
        music_like_stereo(rate, 1.5, 34),
        music_like_stereo(rate, 1.5, 35),
    ];
    let alone: Vec<Vec<Vec<f32>>> = inputs
        .iter()
        .map(|input| {
            stream(
                &mut fixture_engine(rate, 2, ProcessingMode::Offline, WorkerOptions::default()),
                input,
                &[256],
            )
        })
        .collect();
    let together: Vec<Vec<Vec<f32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|input| {
                scope.spawn(move || {
                    stream(
                        &mut fixture_engine(
                            rate,
                            2,
                            ProcessingMode::Offline,
                            WorkerOptions::default(),
                        ),
                        input,
                        &[256],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(alone == together);
}

#[test]
fn processing_with_a_model_never_allocates() {
    #[global_allocator]
    static ALLOCATOR: nice_assert_no_alloc::AllocDisabler = nice_assert_no_alloc::AllocDisabler;
    let rate = 48_000;
    let input = music_like_stereo(rate, 1.0, 36);
    let mut engine = fixture_engine(rate, 2, ProcessingMode::Realtime, WorkerOptions::default());
    process_without_allocating(&mut engine, &input);
    assert!(engine.status().model_frames + engine.status().dropouts > 0);
}

/// Voluntary context switches (each one a sleep and a wake-up) of the thread with kernel id
/// `tid`.
fn wakeups(tid: u64) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn an_idle_worker_sleeps_until_a_request_wakes_it() {
    let rate = 48_000;
    let input = music_like_stereo(rate, 0.5, 40);
    let mut engine = fixture_engine(rate, 2, ProcessingMode::Offline, WorkerOptions::default());
    let timings = engine.worker_timings().unwrap();
    let tid = loop {
        match timings
            .os_thread_id
            .load(std::sync::atomic::Ordering::Acquire)
        {
            0 => std::thread::yield_now(),
            tid => break tid,
        }
    };
    std::thread::sleep(Duration::from_millis(50));
    let before = wakeups(tid);
    std::thread::sleep(Duration::from_millis(300));
    // A worker that polled every 200 µs would wake about 1200 times here.
    let idle = wakeups(tid) - before;
    assert!(idle <= 2, "the idle worker woke {idle} times in 300 ms");
    // Requests wake it: offline, every frame comes from the model.
    stream(&mut engine, &input, &[512]);
    let status = engine.status();
    assert!(status.model_frames > 0);
    assert_eq!(status.dropouts, 0);
}
