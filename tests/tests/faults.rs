//! Fault injection on the neural path, with the fixture model (whose exact output is known):
//! a model that stalls for a second mid-stream, an ONNX Runtime error on one frame, and a
//! worker that dies part-way. Each must end in the SBR band with a crossfade and no other
//! discontinuity, say what happened in the status, and recover: the model takes over again
//! when it is back, and a new activation starts a new worker.

use std::time::Duration;

use airlift::dsp::stft::StftLayout;
use airlift::engine::{CutoffMode, Engine, EngineSettings, ModelKind, ProcessingMode};
use airlift::inference::model::SessionSettings;
use airlift::inference::start_model;
use airlift::inference::worker::{InjectedFaults, WorkerOptions};
use airlift_tests::fixture::{fixture_input, use_fixture_models, CUTOFF_HZ};
use airlift_tests::render::stream;

const RATE: u32 = 48_000;

/// Frame at which each fault is injected (1.6 s in).
const FAULT_FRAME: u32 = 150;

fn engine(mode: ProcessingMode, faults: InjectedFaults) -> Engine {
    use_fixture_models();
    let layout = StftLayout::for_sample_rate(RATE as f32);
    let options = WorkerOptions {
        faults,
        ..WorkerOptions::default()
    };
    let link = start_model(
        ModelKind::SpectralUnet,
        layout,
        2,
        SessionSettings::default(),
        options,
    )
    .expect("the fixture model starts");
    let settings = EngineSettings {
        cutoff: CutoffMode::Manual(CUTOFF_HZ),
        model: ModelKind::SpectralUnet,
        ..EngineSettings::default()
    };
    Engine::with_worker(
        RATE as f32,
        2,
        settings,
        Some((ModelKind::SpectralUnet, link)),
        mode,
    )
    .unwrap()
}

/// Streams `input` in real time but unhurried (each 512-sample block of 10.7 ms gets 20 ms, so
/// that a frame is late only when the worker is held up for some 60 ms: an injected fault, not
/// the shared machine), calling `during` after every block with the block's first sample.
fn paced(
    engine: &mut Engine,
    input: &[Vec<f32>],
    mut during: impl FnMut(&Engine, usize),
) -> Vec<Vec<f32>> {
    let mut output = input.to_vec();
    for start in (0..input[0].len()).step_by(512) {
        let end = (start + 512).min(input[0].len());
        let (left, right) = output.split_at_mut(1);
        engine.process(&mut [&mut left[0][start..end], &mut right[0][start..end]]);
        during(engine, start);
        std::thread::sleep(Duration::from_millis(20));
    }
    output
}

/// The output with the model on every frame (offline: it waits, so no frame is late), and
/// the output with SBR on every frame at the same latency (a worker dead from the start).
fn references(input: &[Vec<f32>]) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let mut model = engine(ProcessingMode::Offline, InjectedFaults::default());
    let with_model = stream(&mut model, input, &[512]);
    let mut dead = engine(
        ProcessingMode::Realtime,
        InjectedFaults {
            panic_at: Some(0),
            ..InjectedFaults::default()
        },
    );
    // Dead or not yet known to be (a panic takes a while), its every frame is SBR's.
    let with_sbr = stream(&mut dead, input, &[512]);
    assert_eq!(dead.status().model_frames, 0);
    // The two differ everywhere past the start: a fault shows.
    let second = RATE as usize;
    assert!(!same(&with_model, &with_sbr, second..second + 64));
    (with_model, with_sbr)
}

/// The output sample where frame `frame`'s correction is centred.
fn sample_of_frame(frame: u32, latency: usize) -> usize {
    let layout = StftLayout::for_sample_rate(RATE as f32);
    frame as usize * layout.hop_size + latency - layout.fft_size / 2
}

/// Whether `a` and `b` agree exactly on every channel over `range`.
fn same(a: &[Vec<f32>], b: &[Vec<f32>], range: std::ops::Range<usize>) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x[range.clone()] == y[range.clone()])
}

/// The largest step between neighbouring samples.
fn max_step(signal: &[Vec<f32>]) -> f32 {
    signal
        .iter()
        .flat_map(|c| c.windows(2).map(|w| (w[1] - w[0]).abs()))
        .fold(0.0, f32::max)
}

/// The output never steps further than the larger of the two clean renders does: the switches
/// between model and SBR are crossfaded by the overlap-add.
fn assert_no_click(output: &[Vec<f32>], with_model: &[Vec<f32>], with_sbr: &[Vec<f32>]) {
    assert!(output.iter().flatten().all(|y| y.is_finite()));
    let bound = max_step(with_model).max(max_step(with_sbr));
    let step = max_step(output);
    assert!(step <= 1.05 * bound, "step {step} against {bound}");
}

#[test]
fn a_model_that_stalls_for_a_second_is_filled_by_sbr_and_takes_over_again() {
    let input = fixture_input(RATE, 5.0, 71);
    let (with_model, with_sbr) = references(&input);
    let mut engine = engine(
        ProcessingMode::Realtime,
        InjectedFaults {
            stall: Some((FAULT_FRAME, Duration::from_secs(1))),
            ..InjectedFaults::default()
        },
    );
    let latency = engine.latency_samples() as usize;
    let mut stalled_said = false;
    let output = paced(&mut engine, &input, |engine, _| {
        let status = engine.status();
        if status.model_stalled {
            stalled_said = true;
            assert!(status.fallback_reason().unwrap().contains("not keeping up"));
        }
    });
    let status = engine.status();
    assert!(stalled_said, "the status never said the model stalled");
    assert!(!status.model_stalled, "{status:?}");
    assert_eq!(status.model_errors, 0);
    assert!(!status.model_stopped);
    // The second of the stall at 20 ms a frame: about 50 frames came late.
    assert!((30..=80).contains(&status.dropouts), "{status:?}");
    assert_eq!(status.active_model, ModelKind::SpectralUnet);

    let fault = sample_of_frame(FAULT_FRAME, latency);
    let second = RATE as usize;
    assert!(same(&output, &with_model, 0..fault - 4096));
    // Well inside the stall (its 50 frames are half a second of audio): SBR alone.
    assert!(same(
        &output,
        &with_sbr,
        fault + second / 8..fault + 3 * second / 8
    ));
    // Well after it: the model alone again.
    let end = input[0].len();
    assert!(same(&output, &with_model, fault + 2 * second..end));
    assert_no_click(&output, &with_model, &with_sbr);
}

#[test]
fn an_onnx_runtime_error_on_one_frame_gives_that_frame_sbr() {
    let input = fixture_input(RATE, 3.0, 72);
    let (with_model, with_sbr) = references(&input);
    let mut engine = engine(
        ProcessingMode::Realtime,
        InjectedFaults {
            error_at: Some(FAULT_FRAME),
            ..InjectedFaults::default()
        },
    );
    let latency = engine.latency_samples() as usize;
    let output = paced(&mut engine, &input, |_, _| {});
    let status = engine.status();
    assert_eq!(status.model_errors, 1, "{status:?}");
    assert_eq!(status.dropouts, 0, "{status:?}");
    assert!(!status.model_stopped && !status.model_stalled);
    assert_eq!(status.active_model, ModelKind::SpectralUnet);

    // One frame's window: the model before and after, SBR crossfaded in between.
    let fault = sample_of_frame(FAULT_FRAME, latency);
    let window = StftLayout::for_sample_rate(RATE as f32).fft_size;
    assert!(same(&output, &with_model, 0..fault - window / 2));
    assert!(same(
        &output,
        &with_model,
        fault + window / 2..input[0].len()
    ));
    assert!(!same(&output, &with_model, fault - 64..fault + 64));
    assert_no_click(&output, &with_model, &with_sbr);

    // Offline, the failed frame gets SBR too: a bounce never waits forever on an error.
    let mut offline = engine_offline_with_error();
    let bounced = stream(&mut offline, &input, &[512]);
    assert_eq!(offline.status().model_errors, 1);
    assert!(same(&bounced, &output, 0..input[0].len()));
}

fn engine_offline_with_error() -> Engine {
    engine(
        ProcessingMode::Offline,
        InjectedFaults {
            error_at: Some(FAULT_FRAME),
            ..InjectedFaults::default()
        },
    )
}

#[test]
fn a_worker_that_dies_leaves_sbr_until_the_next_activation() {
    let input = fixture_input(RATE, 3.0, 73);
    let (with_model, with_sbr) = references(&input);
    let faults = InjectedFaults {
        panic_at: Some(FAULT_FRAME),
        ..InjectedFaults::default()
    };
    for mode in [ProcessingMode::Realtime, ProcessingMode::Offline] {
        let mut engine = engine(mode, faults);
        let latency = engine.latency_samples() as usize;
        let output = paced(&mut engine, &input, |_, _| {});
        let status = engine.status();
        assert!(status.model_stopped, "{mode:?}: {status:?}");
        assert_eq!(status.active_model, ModelKind::Sbr);
        assert_eq!(status.provider, None);
        assert!(status
            .fallback_reason()
            .unwrap()
            .contains("stopped working"));
        // The frames in flight when it died are late, then none: it is not waited for.
        assert!(status.dropouts <= 4, "{mode:?}: {status:?}");

        let fault = sample_of_frame(FAULT_FRAME, latency);
        let window = StftLayout::for_sample_rate(RATE as f32).fft_size;
        assert!(same(&output, &with_model, 0..fault - window));
        assert!(same(&output, &with_sbr, fault + window..input[0].len()));
        assert_no_click(&output, &with_model, &with_sbr);
    }

    // The next activation starts a new worker, and the model runs again.
    let mut next = engine(ProcessingMode::Offline, InjectedFaults::default());
    let again = stream(&mut next, &input, &[512]);
    assert!(!next.status().model_stopped);
    assert!(same(&again, &with_model, 0..input[0].len()));
}
