//! The fixture model's exact effect, computed without ONNX Runtime, for the tests of the
//! neural path (engine, CLAP and VST3).

use std::path::PathBuf;

use crate::filters::filter_whole_signal;
use airlift::dsp::fill::fill_share;
use airlift::dsp::sbr::BandLayout;
use airlift::dsp::stft::StftLayout;

/// The cutoff the fixture tests use.
pub const CUTOFF_HZ: f32 = 8000.0;

/// The folder holding the fixture model and its manifest.
pub fn fixture_dir() -> PathBuf {
    crate::workspace_root().join("models/fixtures")
}

/// Points ONNX Runtime and the model folder at the ones `cargo xtask test` prepared (the
/// fixture model wins over the embedded U-Net), once, before anything in this process loads
/// the runtime. Returns the fixture folder.
pub fn use_fixture_models() -> PathBuf {
    static FIXTURES: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FIXTURES
        .get_or_init(|| {
            let root = crate::workspace_root();
            let library = root.join("target/onnxruntime/cpu/libonnxruntime.so.1.31.1");
            assert!(
                library.exists(),
                "{} is missing: run `cargo xtask test`",
                library.display()
            );
            let fixtures = fixture_dir();
            // SAFETY (edition 2021: safe): set once, before any thread reads them.
            std::env::set_var("ORT_DYLIB_PATH", &library);
            std::env::set_var("AIRLIFT_MODEL_DIR", &fixtures);
            fixtures
        })
        .clone()
}

/// The fixture's generated magnitude relative to the input's, at every bin.
pub const FIXTURE_GAIN: f32 = 10.0;

/// What the fixture must produce: its generated band is the input's bins times
/// [`FIXTURE_GAIN`] (same phase), so the fill adds the same share of it at every bin and the
/// output above the ramp is the input times `1 + weight · gain · √share`. Computed with one FFT
/// over the whole signal and no ONNX Runtime.
pub fn expected_output(input: &[f32], rate: u32) -> Vec<f32> {
    let added = FIXTURE_GAIN * fill_share(1.0, (FIXTURE_GAIN as f64).powi(2), 1.0, 0.0).sqrt();
    let layout = StftLayout::for_sample_rate(rate as f32);
    let mut band = BandLayout::with_capacity(&layout);
    assert!(band.configure(&layout, CUTOFF_HZ));
    let last_bin = layout.num_bins() - 1;
    filter_whole_signal(input, rate, |hz| {
        let position = hz / layout.bin_hz();
        let below = (position.floor() as usize).min(last_bin);
        let above = (below + 1).min(last_bin);
        let t = position - below as f32;
        let weight = (1.0 - t) * band.replace_weight[below] + t * band.replace_weight[above];
        1.0 + added * weight
    })
}

/// Input for the fixture's exact-effect tests: independent pink noise per channel. It holds
/// still over time in every band, so the detector finds the whole band above the cutoff
/// missing (`CutoffDetector::write_fill_weights`) but no band limit that would vouch for it,
/// and the fill takes the same share of the fixture at every bin: the output is one known
/// filter of the input.
pub fn fixture_input(sample_rate_hz: u32, seconds: f32, seed: u64) -> Vec<Vec<f32>> {
    let len = (seconds * sample_rate_hz as f32) as usize;
    (0..2)
        .map(|c| crate::signals::pink_noise(len, seed * 2 + c))
        .collect()
}

/// Seconds at the start of a fixture render that the error leaves out: until the detector's
/// first estimate nothing counts as missing, so nothing is added.
pub const SETTLE_SECONDS: f32 = 1.0;

/// Error of `output` (aligned by `latency`) against `expected`, in dB relative to `expected`,
/// from [`SETTLE_SECONDS`] on and away from the end.
pub fn error_db(output: &[f32], expected: &[f32], latency: usize, sample_rate_hz: u32) -> f64 {
    let settle = (SETTLE_SECONDS * sample_rate_hz as f32) as usize;
    let (start, end) = (latency + settle, output.len() - 8192);
    let (mut error, mut energy) = (0.0f64, 0.0f64);
    for t in start..end {
        let e = expected[t - latency] as f64;
        error += (output[t] as f64 - e).powi(2);
        energy += e * e;
    }
    10.0 * (error / energy).log10()
}
