//! The STFT frame layout and the shared FFT plans of the streaming engine.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, FftError, RealFftPlanner, RealToComplex};

use super::window::hann_periodic;

/// Frames overlap by this factor: the hop is a quarter of the window, the smallest overlap for
/// which the squared Hann windows of analysis and synthesis overlap-add to a constant.
pub const OVERLAP: usize = 4;

/// FFT size at 44.1 and 48 kHz. Higher rates scale it by powers of two so that the frequency
/// resolution (and the latency in milliseconds) stays about the same.
pub const BASE_FFT_SIZE: usize = 2048;

/// Size and hop of the engine's STFT frames at one sample rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StftLayout {
    /// The host sample rate the layout was made for.
    pub sample_rate_hz: f32,
    /// Window and FFT length in samples.
    pub fft_size: usize,
    /// Distance between frame starts in samples.
    pub hop_size: usize,
}

impl StftLayout {
    /// The layout for a sample rate: 2048 up to 48 kHz, 4096 up to 96 kHz, 8192 above.
    pub fn for_sample_rate(sample_rate_hz: f32) -> Self {
        let mut fft_size = BASE_FFT_SIZE;
        while (sample_rate_hz / fft_size as f32) > 48_000.0 / BASE_FFT_SIZE as f32 + 1e-3 {
            fft_size *= 2;
        }
        Self {
            sample_rate_hz,
            fft_size,
            hop_size: fft_size / OVERLAP,
        }
    }

    /// Number of bins of the real FFT, DC and Nyquist included.
    pub fn num_bins(&self) -> usize {
        self.fft_size / 2 + 1
    }

    /// Width of one bin in Hz.
    pub fn bin_hz(&self) -> f32 {
        self.sample_rate_hz / self.fft_size as f32
    }

    /// Frames (hops) per second.
    pub fn frames_per_second(&self) -> f32 {
        self.sample_rate_hz / self.hop_size as f32
    }

    /// Half the sample rate, in Hz.
    pub fn nyquist_hz(&self) -> f32 {
        self.sample_rate_hz / 2.0
    }
}

/// FFT plans and windows for one layout, shared between channels (and engines) through `Arc`.
pub struct StftPlans {
    /// The layout these plans were made for.
    pub layout: StftLayout,
    /// Forward real FFT of `fft_size` points.
    forward: Arc<dyn RealToComplex<f32>>,
    /// Inverse real FFT of `fft_size` points.
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// Analysis window (Hann).
    pub analysis_window: Vec<f32>,
    /// Synthesis window (Hann) with the overlap-add and inverse-FFT normalization folded in, so
    /// that analysis, identity and synthesis reconstruct the input exactly. Hann rather than
    /// sqrt-Hann on both sides: its side lobes fall much faster, so a band generated above the
    /// ramp leaks far less into the low band.
    pub synthesis_window: Vec<f32>,
}

impl StftPlans {
    /// Plans the FFTs and builds the windows for `layout`.
    pub fn new(layout: StftLayout) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(layout.fft_size);
        let inverse = planner.plan_fft_inverse(layout.fft_size);
        let analysis_window = hann_periodic(layout.fft_size);
        // Squared Hann windows at a 75 % overlap sum to 1.5; the inverse FFT scales by
        // `fft_size`.
        let norm = 1.0 / (1.5 * layout.fft_size as f32);
        let synthesis_window = analysis_window.iter().map(|w| w * norm).collect();
        Self {
            layout,
            forward,
            inverse,
            analysis_window,
            synthesis_window,
        }
    }

    /// Scratch buffers sized for both transforms, to be made once at initialization.
    pub fn make_scratch(&self) -> StftScratch {
        StftScratch {
            time: self.forward.make_input_vec(),
            forward: self.forward.make_scratch_vec(),
            inverse: self.inverse.make_scratch_vec(),
        }
    }

    /// An empty spectrum buffer of `num_bins` bins.
    pub fn make_spectrum(&self) -> Vec<Complex<f32>> {
        self.forward.make_output_vec()
    }

    /// Transforms `scratch.time` (already windowed) into `spectrum`. `scratch.time` is
    /// clobbered.
    pub fn forward(
        &self,
        scratch: &mut StftScratch,
        spectrum: &mut [Complex<f32>],
    ) -> Result<(), FftError> {
        self.forward
            .process_with_scratch(&mut scratch.time, spectrum, &mut scratch.forward)
    }

    /// Transforms `spectrum` back into `scratch.time` (not yet windowed). `spectrum` is
    /// clobbered; the imaginary parts of its DC and Nyquist bins must be zero.
    pub fn inverse(
        &self,
        scratch: &mut StftScratch,
        spectrum: &mut [Complex<f32>],
    ) -> Result<(), FftError> {
        self.inverse
            .process_with_scratch(spectrum, &mut scratch.time, &mut scratch.inverse)
    }
}

/// Working buffers for one transform at a time, made by [`StftPlans::make_scratch`].
pub struct StftScratch {
    /// Time-domain frame: the windowed input before a forward transform and the raw output
    /// after an inverse one.
    pub time: Vec<f32>,
    /// realfft scratch for the forward transform.
    forward: Vec<Complex<f32>>,
    /// realfft scratch for the inverse transform.
    inverse: Vec<Complex<f32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_scales_with_rate() {
        assert_eq!(StftLayout::for_sample_rate(44_100.0).fft_size, 2048);
        assert_eq!(StftLayout::for_sample_rate(48_000.0).fft_size, 2048);
        assert_eq!(StftLayout::for_sample_rate(88_200.0).fft_size, 4096);
        assert_eq!(StftLayout::for_sample_rate(96_000.0).fft_size, 4096);
        assert_eq!(StftLayout::for_sample_rate(176_400.0).fft_size, 8192);
        assert_eq!(StftLayout::for_sample_rate(192_000.0).fft_size, 8192);
    }

    #[test]
    fn forward_then_inverse_reconstructs_the_frame() {
        let plans = StftPlans::new(StftLayout::for_sample_rate(48_000.0));
        let mut scratch = plans.make_scratch();
        let mut spectrum = plans.make_spectrum();
        let input: Vec<f32> = (0..2048)
            .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
            .collect();
        scratch.time.copy_from_slice(&input);
        plans.forward(&mut scratch, &mut spectrum).unwrap();
        plans.inverse(&mut scratch, &mut spectrum).unwrap();
        for (a, b) in scratch.time.iter().zip(&input) {
            assert!((a / 2048.0 - b).abs() < 1e-5);
        }
    }
}
