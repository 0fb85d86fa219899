//! The fixture model's exact effect, computed without ONNX Runtime, for the tests of the
//! neural path (engine, CLAP and VST3).

use std::path::PathBuf;

use crate::filters::filter_whole_signal;
use airlift::dsp::sbr::BandLayout;
use airlift::dsp::stft::StftLayout;

/// The cutoff the fixture tests use.
pub const CUTOFF_HZ: f32 = 8000.0;

/// The folder holding the fixture model and its manifest.
pub fn fixture_dir() -> PathBuf {
    crate::workspace_root().join("models/fixtures")
}

/// What the fixture must produce: the input with every bin above the ramp at half its level
/// (`1 - 0.5 · weight`), computed with one FFT over the whole signal and no ONNX Runtime.
pub fn expected_output(input: &[f32], rate: u32) -> Vec<f32> {
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
        1.0 - 0.5 * weight
    })
}

/// Error of `output` (aligned by `latency`) against `expected`, in dB relative to `expected`,
/// away from the edges.
pub fn error_db(output: &[f32], expected: &[f32], latency: usize) -> f64 {
    let (start, end) = (latency + 8192, output.len() - 8192);
    let (mut error, mut energy) = (0.0f64, 0.0f64);
    for t in start..end {
        let e = expected[t - latency] as f64;
        error += (output[t] as f64 - e).powi(2);
        energy += e * e;
    }
    10.0 * (error / energy).log10()
}
