//! A hundred model switches in the real `Airlift.clap`, as an engineer auditioning models
//! does: each asks the host for a restart, and each activation builds a new ONNX Runtime
//! session and worker thread and drops the old ones. None may leak: the process's thread
//! count returns to the same value after every activation, and its resident memory stops
//! growing once the first switches have warmed the allocators. One test alone in its process,
//! so that no other test's threads or memory are counted.

use std::time::Duration;

use airlift::engine::ModelKind;
use airlift::params::AirliftParams;
use airlift_tests::clap_host::ClapPluginHost;
use airlift_tests::fixture::fixture_input;
use airlift_tests::workspace_root;
use nice_plug::prelude::Param;

const RATE: u32 = 48_000;
const BLOCK: usize = 512;

/// Switches made.
const SWITCHES: usize = 100;

/// Switches after which the memory is taken as the baseline.
const WARM_SWITCHES: usize = 10;

/// How much the resident memory may grow between the baseline and the last switch: far less
/// than one model's session (the U-Net's weights alone are 5 MB), so a session or a worker
/// that is never freed shows within a few switches.
const MAX_GROWTH_BYTES: u64 = 4 << 20;

/// The process's thread count and resident memory in bytes, from `/proc/self/status`, once
/// the allocator has handed back what is free (so that what is left is what is held).
fn threads_and_resident() -> (u64, u64) {
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe { libc::malloc_trim(0) };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("Threads:"), field("VmRSS:") * 1024)
}

#[test]
fn a_hundred_model_switches_leak_no_thread_and_no_memory() {
    // The embedded models, with ONNX Runtime beside the bundle.
    let no_models = workspace_root()
        .join("target/test-scratch")
        .join(format!("no-models-{}", std::process::id()));
    std::fs::create_dir_all(&no_models).unwrap();
    std::env::set_var("AIRLIFT_MODEL_DIR", &no_models);
    std::env::remove_var("ORT_DYLIB_PATH");
    let bundle = workspace_root().join("target/bundled/Airlift.clap");
    assert!(bundle.exists(), "run `cargo xtask test` first");
    airlift_tests::clap_host::pin_library(&bundle).unwrap();

    let mut host = ClapPluginHost::load(&bundle).unwrap();
    let (auto, cutoff, model) = (
        host.param_id("Auto Cutoff").unwrap(),
        host.param_id("Cutoff").unwrap(),
        host.param_id("Model").unwrap(),
    );
    let cutoff_value = AirliftParams::default()
        .cutoff_hz
        .preview_normalized(8000.0) as f64;
    host.flush_params(&[(auto, 0.0), (cutoff, cutoff_value)])
        .unwrap();
    host.activate(RATE as f64, 1, BLOCK as u32).unwrap();
    let input = fixture_input(RATE, 0.25, 5);
    let mut output = vec![vec![0.0f32; BLOCK]; 2];
    let mut seen = Vec::new();
    for switch in 0..=SWITCHES {
        let kind = ModelKind::ALL[switch % ModelKind::ALL.len()];
        let value = ModelKind::ALL.iter().position(|&m| m == kind).unwrap() as f64;
        // The change arrives as automation; the plugin asks for a restart, the host restarts it.
        for (i, start) in (0..input[0].len() - BLOCK).step_by(BLOCK).enumerate() {
            let inputs = [
                &input[0][start..start + BLOCK],
                &input[1][start..start + BLOCK],
            ];
            let (left, right) = output.split_at_mut(1);
            let changes = if i == 0 {
                vec![(0, model, value)]
            } else {
                Vec::new()
            };
            host.process(
                &inputs,
                &mut [&mut left[0][..], &mut right[0][..]],
                &changes,
            )
            .unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(output.iter().flatten().all(|y| y.is_finite()));
        if host.take_host_requests().restart {
            host.deactivate();
            host.activate(RATE as f64, 1, BLOCK as u32).unwrap();
        }
        let (threads, resident) = threads_and_resident();
        seen.push((switch, kind, threads, resident));
    }
    // Per model running (each holds its own session), from the warm baseline to the end.
    let mib = |bytes: u64| bytes as f64 / 1048576.0;
    let mut worker_threads = Vec::new();
    for kind in ModelKind::ALL {
        let runs: Vec<_> = seen
            .iter()
            .filter(|&&(switch, k, _, _)| k == kind && switch >= WARM_SWITCHES)
            .collect();
        let (first, last) = (runs[0], runs[runs.len() - 1]);
        eprintln!(
            "{kind:?} running: after switch {}: {} threads, {:.2} MiB; after switch {}: {} threads, {:.2} MiB",
            first.0,
            first.2,
            mib(first.3),
            last.0,
            last.2,
            mib(last.3)
        );
        assert!(
            runs.iter().all(|r| r.2 == first.2),
            "{kind:?}: the thread count changed: {runs:?}"
        );
        assert!(
            last.3 <= first.3 + MAX_GROWTH_BYTES,
            "{kind:?}: resident memory grew by {:.2} MiB",
            mib(last.3) - mib(first.3)
        );
        worker_threads.push((kind, first.2));
    }
    let threads_of = |kind| worker_threads.iter().find(|(k, _)| *k == kind).unwrap().1;
    assert_eq!(
        threads_of(ModelKind::SpectralUnet),
        threads_of(ModelKind::Sbr) + 1,
        "a model runs on one worker thread, SBR on none"
    );
    assert_eq!(threads_of(ModelKind::Ddsp), threads_of(ModelKind::Sbr) + 1);
    host.deactivate();
}
