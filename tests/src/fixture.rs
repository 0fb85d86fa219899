//! The fixture model's exact effect, computed without ONNX Runtime, for the tests of the
//! neural path (engine, CLAP and VST3).

use std::path::PathBuf;

use airlift::dsp::sbr::BandLayout;
use airlift::dsp::stft::StftLayout;
use realfft::RealFftPlanner;

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
    let len = input.len();
    let mut planner = RealFftPlanner::<f32>::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let mut buffer = input.to_vec();
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut buffer, &mut spectrum).unwrap();
    let engine_bin_hz = layout.bin_hz();
    for (k, bin) in spectrum.iter_mut().enumerate() {
        let position = k as f32 * rate as f32 / len as f32 / engine_bin_hz;
        let below = (position.floor() as usize).min(layout.num_bins() - 1);
        let above = (below + 1).min(layout.num_bins() - 1);
        let t = position - below as f32;
        let weight = (1.0 - t) * band.replace_weight[below] + t * band.replace_weight[above];
        *bin *= 1.0 - 0.5 * weight;
    }
    let mut output = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut output).unwrap();
    output.iter().map(|x| x / len as f32).collect()
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
