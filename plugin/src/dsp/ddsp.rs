//! The DDSP harmonic-plus-noise synthesizer: turns one frame of model controls (fundamentals,
//! harmonic magnitudes, noise band gains) into that frame's high-band spectrum, in the engine's
//! STFT domain, so the overlap-add makes continuous oscillators and smooth noise of it.
//!
//! For source `j` (fundamental `f0[j]` bins, fundamental phase `phi[j]` cycles at the frame
//! centre) and harmonic `h` (frequency `h·f0[j]`, peak magnitude `mag[j][h]`):
//!
//! ```text
//! X[k] += mag · kernel(k − h·f0) · (−1)^k · exp(2πi · frac(h·phi))
//! ```
//!
//! over the `2·kernel_half_bins` bins nearest the harmonic, where `kernel` is the periodic
//! Hann window's transform normalized to 1 at its centre. That is the STFT of a sinusoid of
//! amplitude `4·mag / fft_size`. Between frames each fundamental phase advances by the mean of
//! the old and new fundamental times `hop / fft_size` cycles. The noise adds
//! `noise_scale · gain[k] · u[k]`, with `u` unit-power complex Gaussian noise drawn anew each
//! frame and `gain` interpolated in log-frequency from the band gains. The PyTorch training
//! synthesizer (`models/airlift_train/networks/synth.py`) implements the same, and a test replays its
//! reference output.

use realfft::num_complex::Complex;

/// How the synthesizer is laid out: the part of a model's manifest that it reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthLayout {
    /// Harmonic sources (fundamentals) per frame.
    pub sources: usize,
    /// Harmonics per source.
    pub harmonics: usize,
    /// Bins on each side of a harmonic that its kernel reaches.
    pub kernel_half_bins: usize,
    /// Factor from a noise gain to the magnitude of the frame's noise (2: independent noise
    /// frames overlap-add to a quarter of their power).
    pub noise_scale: f32,
    /// Bin of the lowest envelope band centre.
    pub envelope_lowest_bin: f32,
    /// Bin of the highest envelope band centre.
    pub envelope_highest_bin: f32,
    /// Envelope band centres, evenly spaced in log-frequency.
    pub envelope_bands: usize,
    /// Bins per spectrum.
    pub bins: usize,
    /// Hop as a fraction of the FFT size (the phase advance per hop is `f0 · hop_fraction`).
    pub hop_fraction: f32,
}

impl SynthLayout {
    /// Where `bin` falls on the envelope grid, clamped to its ends: the band centre below it
    /// and the fraction of the way to the next one.
    fn envelope_position(&self, bin: f32) -> (usize, f32) {
        let step = (self.envelope_highest_bin / self.envelope_lowest_bin).ln()
            / (self.envelope_bands - 1) as f32;
        let pos = ((bin.max(1e-3).ln() - self.envelope_lowest_bin.ln()) / step)
            .clamp(0.0, (self.envelope_bands - 1) as f32);
        let lower = (pos.floor() as usize).min(self.envelope_bands - 2);
        (lower, pos - lower as f32)
    }
}

/// The periodic Hann window's transform at `delta` bins from its centre, normalized to 1 at 0:
/// `sinc(delta) / (1 − delta²)`, the large-FFT form, with its limit 0.5 at ±1.
pub fn hann_kernel(delta: f64) -> f64 {
    let d = delta.abs();
    if (d - 1.0).abs() < 1e-4 {
        return 0.5;
    }
    if d < 1e-9 {
        return 1.0;
    }
    let x = std::f64::consts::PI * d;
    x.sin() / x / (1.0 - d * d)
}

/// One frame of controls from the model, for one channel.
#[derive(Debug, Clone, Copy)]
pub struct FrameControls<'a> {
    /// Fundamental of each source, in bins.
    pub f0_bins: &'a [f32],
    /// Peak magnitude of each harmonic, `[sources][harmonics]` row-major; 0 skips it.
    pub harmonic_mags: &'a [f32],
    /// Log-magnitude of the noise at each envelope band centre.
    pub noise_log_mags: &'a [f32],
}

/// The synthesizer of one channel: its oscillator phases and noise generator carry over from
/// frame to frame. Sized at construction; rendering never allocates.
#[derive(Debug, Clone)]
pub struct HarmonicNoiseSynth {
    /// The layout it was made for.
    layout: SynthLayout,
    /// Phase of each fundamental at the centre of the last frame, in cycles (`[0, 1)`).
    phase_cycles: Vec<f64>,
    /// Fundamental of each source in the last frame, in bins.
    previous_f0_bins: Vec<f32>,
    /// Whether a frame was rendered since the start (or the phases were set).
    has_previous: bool,
    /// The noise generator's state (xorshift64*).
    noise_state: u64,
    /// The seed `reset` returns the noise generator to.
    noise_seed: u64,
    /// Per bin, where it falls on the envelope grid (fixed by the layout, so found once).
    envelope_grid: Vec<(usize, f32)>,
}

impl HarmonicNoiseSynth {
    /// A synthesizer at rest for `layout`; `noise_seed` makes channels' noise independent.
    pub fn new(layout: SynthLayout, noise_seed: u64) -> Self {
        let noise_seed = noise_seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Self {
            layout,
            phase_cycles: vec![0.0; layout.sources],
            previous_f0_bins: vec![0.0; layout.sources],
            has_previous: false,
            noise_state: noise_seed,
            noise_seed,
            envelope_grid: (0..layout.bins)
                .map(|bin| layout.envelope_position(bin as f32))
                .collect(),
        }
    }

    /// The noise magnitude at `bin` from the band log-magnitudes: linear interpolation of the
    /// logs between band centres, held beyond the ends.
    pub fn noise_gain(&self, noise_log_mags: &[f32], bin: usize) -> f32 {
        let (lower, frac) = self.envelope_grid[bin];
        (noise_log_mags[lower] * (1.0 - frac) + noise_log_mags[lower + 1] * frac).exp()
    }

    /// Back to rest: phases zero, no previous frame, the noise generator at its seed.
    pub fn reset(&mut self) {
        self.phase_cycles.fill(0.0);
        self.has_previous = false;
        self.noise_state = self.noise_seed;
    }

    /// Sets the fundamental phases of the next frame (for tests that replay a reference): the
    /// next frame keeps them instead of advancing.
    pub fn set_phase_cycles(&mut self, phase_cycles: &[f64]) {
        self.phase_cycles.copy_from_slice(phase_cycles);
        self.has_previous = false;
    }

    /// The fundamental phases at the centre of the last frame, in cycles.
    pub fn phase_cycles(&self) -> &[f64] {
        &self.phase_cycles
    }

    /// Advances the oscillators to the next frame with fundamentals `f0_bins`; the first
    /// frame keeps the phases as they stand.
    fn advance(&mut self, f0_bins: &[f32]) {
        if self.has_previous {
            for ((phase, &old), &new) in self
                .phase_cycles
                .iter_mut()
                .zip(&self.previous_f0_bins)
                .zip(f0_bins)
            {
                let step = self.layout.hop_fraction as f64 * 0.5 * (old as f64 + new as f64);
                *phase = (*phase + step).rem_euclid(1.0);
            }
        }
        self.previous_f0_bins.copy_from_slice(f0_bins);
        self.has_previous = true;
    }

    /// The next unit-power complex Gaussian sample (real and imaginary parts of variance ½).
    fn gaussian_pair(&mut self) -> Complex<f32> {
        let mut uniform = || {
            self.noise_state ^= self.noise_state >> 12;
            self.noise_state ^= self.noise_state << 25;
            self.noise_state ^= self.noise_state >> 27;
            let bits = self.noise_state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
            (bits as f64 + 0.5) / (1u64 << 53) as f64
        };
        let (u1, u2) = (uniform(), uniform());
        let radius = (-u1.ln()).sqrt();
        let angle = 2.0 * std::f64::consts::PI * u2;
        Complex::new((radius * angle.cos()) as f32, (radius * angle.sin()) as f32)
    }

    /// Synthesizes the next frame into `spectrum[from_bin..to_bin]` (overwritten; the rest is
    /// untouched): the harmonics from `from_bin`, the noise from `noise_from_bin` (none when it
    /// is `to_bin` or more). Real-time safe.
    pub fn render(
        &mut self,
        controls: FrameControls<'_>,
        from_bin: usize,
        noise_from_bin: usize,
        to_bin: usize,
        spectrum: &mut [Complex<f32>],
    ) {
        let layout = self.layout;
        let to_bin = to_bin.min(layout.bins);
        self.advance(controls.f0_bins);
        for bin in &mut spectrum[from_bin..to_bin] {
            *bin = Complex::new(0.0, 0.0);
        }
        let half = layout.kernel_half_bins as i64;
        for (source, (&f0, &phase)) in controls.f0_bins.iter().zip(&self.phase_cycles).enumerate() {
            let mags =
                &controls.harmonic_mags[source * layout.harmonics..(source + 1) * layout.harmonics];
            for (h, &mag) in mags.iter().enumerate() {
                if mag == 0.0 {
                    continue;
                }
                let number = (h + 1) as f64;
                let freq = number * f0 as f64;
                let turn = 2.0 * std::f64::consts::PI * (number * phase).rem_euclid(1.0);
                let rotor = Complex::new(turn.cos(), turn.sin());
                let first = freq.floor() as i64 - half + 1;
                for k in first.max(from_bin as i64)..(first + 2 * half).min(to_bin as i64) {
                    let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                    let weight = mag as f64 * hann_kernel(k as f64 - freq) * sign;
                    let value = rotor * weight;
                    spectrum[k as usize] += Complex::new(value.re as f32, value.im as f32);
                }
            }
        }
        let noise_from_bin = noise_from_bin.max(from_bin);
        for (k, bin) in spectrum
            .iter_mut()
            .enumerate()
            .take(to_bin)
            .skip(noise_from_bin)
        {
            let gain = layout.noise_scale * self.noise_gain(controls.noise_log_mags, k);
            *bin += self.gaussian_pair() * gain;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::stft::{StftLayout, StftPlans};

    /// The layout of the shipped model at 48 kHz.
    fn layout() -> SynthLayout {
        SynthLayout {
            sources: 2,
            harmonics: 256,
            kernel_half_bins: 4,
            noise_scale: 2.0,
            envelope_lowest_bin: 32.0,
            envelope_highest_bin: 1024.0,
            envelope_bands: 24,
            bins: 1025,
            hop_fraction: 0.25,
        }
    }

    /// Renders one frame of fixed controls over `bins` (harmonics and noise from its start)
    /// into a fresh spectrum whose other bins hold `fill`.
    fn render_frame(
        synth: &mut HarmonicNoiseSynth,
        f0_bins: &[f32],
        harmonic_mags: &[f32],
        noise_log_mags: &[f32],
        bins: std::ops::Range<usize>,
        fill: Complex<f32>,
    ) -> Vec<Complex<f32>> {
        let mut spectrum = vec![fill; synth.layout.bins];
        let controls = FrameControls {
            f0_bins,
            harmonic_mags,
            noise_log_mags,
        };
        synth.render(controls, bins.start, bins.start, bins.end, &mut spectrum);
        spectrum
    }

    fn floats(value: &serde_json::Value) -> Vec<f64> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    }

    #[test]
    fn matches_the_pytorch_synthesizer_on_fixed_controls() {
        let reference: serde_json::Value =
            serde_json::from_str(include_str!("../../../models/ddsp.synth_reference.json"))
                .unwrap();
        let layout = layout();
        let mut synth = HarmonicNoiseSynth::new(layout, 0);
        let frames = reference["frames"].as_array().unwrap();
        synth.set_phase_cycles(&floats(&frames[0]["phase_cycles"]));
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); layout.bins];
        let noise_log_mags = vec![0.0f32; layout.envelope_bands];
        for frame in frames {
            let f0: Vec<f32> = floats(&frame["f0_bins"])
                .iter()
                .map(|&v| v as f32)
                .collect();
            let mags: Vec<f32> = floats(&frame["harmonic_mags"])
                .iter()
                .map(|&v| v as f32)
                .collect();
            let controls = FrameControls {
                f0_bins: &f0,
                harmonic_mags: &mags,
                noise_log_mags: &noise_log_mags,
            };
            synth.render(controls, 0, layout.bins, layout.bins, &mut spectrum);
            // The phases advanced exactly as the reference's did.
            for (ours, theirs) in synth
                .phase_cycles()
                .iter()
                .zip(floats(&frame["phase_cycles"]))
            {
                // The fundamentals are f32 here and f64 there.
                assert!((ours - theirs).abs() < 1e-6, "phase {ours} vs {theirs}");
            }
            let (re, im) = (floats(&frame["spectrum_re"]), floats(&frame["spectrum_im"]));
            let peak = re.iter().map(|v| v.abs()).fold(0.0, f64::max);
            for k in 0..layout.bins {
                let error = ((spectrum[k].re as f64 - re[k]).powi(2)
                    + (spectrum[k].im as f64 - im[k]).powi(2))
                .sqrt();
                assert!(error < 1e-4 * peak, "bin {k}: error {error} (peak {peak})");
            }
        }
        let noise_log_mags: Vec<f32> = floats(&reference["noise_log_mags"])
            .iter()
            .map(|&v| v as f32)
            .collect();
        for (bin, theirs) in floats(&reference["noise_gain_per_bin"])
            .into_iter()
            .enumerate()
        {
            let ours = synth.noise_gain(&noise_log_mags, bin);
            assert!(
                (ours as f64 - theirs).abs() < 1e-4 * theirs,
                "{ours} vs {theirs}"
            );
        }
    }

    #[test]
    fn the_engine_stft_gives_the_log_magnitudes_training_used() {
        let reference: serde_json::Value =
            serde_json::from_str(include_str!("../../../models/ddsp.synth_reference.json"))
                .unwrap();
        let signal: Vec<f32> = floats(&reference["stft_signal"])
            .iter()
            .map(|&v| v as f32)
            .collect();
        let plans = StftPlans::new(StftLayout::for_sample_rate(48_000.0));
        for (t, expected) in reference["stft_log_mag"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let spectrum = analyse(&plans, &signal, t * plans.layout.hop_size);
            for (bin, want) in spectrum.iter().zip(floats(expected)) {
                // The worker's feature: ln(|X| + 1e-9).
                let ours = (bin.norm() + crate::inference::manifest::LOG_FLOOR).ln() as f64;
                let tolerance = if want > -6.0 { 1e-4 } else { 2e-2 };
                assert!(
                    (ours - want).abs() < tolerance,
                    "frame {t}: {ours} vs {want}"
                );
            }
        }
    }

    /// The STFT (engine windows) of `signal`'s frame starting at `start`.
    fn analyse(plans: &StftPlans, signal: &[f32], start: usize) -> Vec<Complex<f32>> {
        let mut scratch = plans.make_scratch();
        let mut spectrum = plans.make_spectrum();
        let n = plans.layout.fft_size;
        for (i, slot) in scratch.time.iter_mut().enumerate() {
            *slot = signal[start + i] * plans.analysis_window[i];
        }
        plans.forward(&mut scratch, &mut spectrum).unwrap();
        assert_eq!(spectrum.len(), n / 2 + 1);
        spectrum
    }

    /// Overlap-adds synthesized frames the way the engine does; frame `t` starts at `t · hop`.
    fn overlap_add(plans: &StftPlans, frames: &[Vec<Complex<f32>>]) -> Vec<f32> {
        let n = plans.layout.fft_size;
        let hop = plans.layout.hop_size;
        let mut out = vec![0.0f32; n + hop * frames.len()];
        let mut scratch = plans.make_scratch();
        for (t, frame) in frames.iter().enumerate() {
            let mut spectrum = frame.clone();
            plans.inverse(&mut scratch, &mut spectrum).unwrap();
            for i in 0..n {
                out[t * hop + i] += scratch.time[i] * plans.synthesis_window[i];
            }
        }
        out
    }

    #[test]
    fn a_harmonic_is_the_stft_of_a_sinusoid_and_overlap_adds_into_one() {
        let layout = layout();
        let plans = StftPlans::new(StftLayout::for_sample_rate(48_000.0));
        let n = plans.layout.fft_size;
        let (f0_bins, mag, phase) = (100.37f32, 3.0f32, 0.3f64);
        let mut mags = vec![0.0f32; layout.sources * layout.harmonics];
        mags[0] = mag;
        let f0 = [f0_bins, 50.0];
        let noise = vec![-30.0f32; layout.envelope_bands];
        let mut synth = HarmonicNoiseSynth::new(layout, 0);
        synth.set_phase_cycles(&[phase, 0.0]);
        let mut frames = Vec::new();
        for _ in 0..24 {
            let mut spectrum = vec![Complex::new(0.0f32, 0.0); layout.bins];
            let controls = FrameControls {
                f0_bins: &f0,
                harmonic_mags: &mags,
                noise_log_mags: &noise,
            };
            synth.render(controls, 0, layout.bins, layout.bins, &mut spectrum);
            frames.push(spectrum);
        }
        // The sinusoid the first frame stands for, centred on that frame.
        let amplitude = 4.0 * mag / n as f32;
        let sinusoid: Vec<f32> = (0..n)
            .map(|t| {
                let cycles = f0_bins as f64 * (t as f64 - n as f64 / 2.0) / n as f64 + phase;
                amplitude * (2.0 * std::f64::consts::PI * cycles).cos() as f32
            })
            .collect();
        let expected = analyse(&plans, &sinusoid, 0);
        let peak = expected.iter().map(|c| c.norm()).fold(0.0, f32::max);
        // Exact to 60 dB within the kernel's reach; beyond it only the Hann side lobes are
        // missing, which lie 46 dB or more below the peak.
        let reach = (f0_bins.floor() as usize - 3)..(f0_bins.floor() as usize + 5);
        for k in 0..layout.bins {
            let error = (frames[0][k] - expected[k]).norm();
            let limit = if reach.contains(&k) { 1e-3 } else { 5e-3 };
            assert!(error < limit * peak, "bin {k}: {error} of {peak}");
        }
        // In steady state the overlap-add is one sinusoid of that amplitude and frequency.
        let out = overlap_add(&plans, &frames);
        let steady = &out[n..out.len() - 2 * n];
        let rms = (steady.iter().map(|x| x * x).sum::<f32>() / steady.len() as f32).sqrt();
        let expected_rms = amplitude / 2f32.sqrt();
        assert!(
            (rms / expected_rms - 1.0).abs() < 0.01,
            "rms {rms} vs {expected_rms}"
        );
        let spectrum = analyse(&plans, &out, 2 * n);
        let loudest = (0..layout.bins)
            .max_by(|&a, &b| spectrum[a].norm().total_cmp(&spectrum[b].norm()))
            .unwrap();
        assert_eq!(loudest, f0_bins.round() as usize);
    }

    #[test]
    fn noise_measures_at_its_band_gains() {
        let layout = layout();
        let plans = StftPlans::new(StftLayout::for_sample_rate(48_000.0));
        let noise_log_mags = vec![0.5f32; layout.envelope_bands];
        let (f0, mags) = ([10.0f32, 10.0], vec![0.0f32; 512]);
        let mut synth = HarmonicNoiseSynth::new(layout, 7);
        let frames: Vec<_> = (0..400)
            .map(|_| {
                let zero = Complex::new(0.0, 0.0);
                render_frame(&mut synth, &f0, &mags, &noise_log_mags, 100..900, zero)
            })
            .collect();
        let out = overlap_add(&plans, &frames);
        let hop = plans.layout.hop_size;
        let mut power = 0.0f64;
        let mut count = 0;
        for start in (4 * hop..out.len() - 8 * hop).step_by(hop) {
            let spectrum = analyse(&plans, &out, start);
            for bin in &spectrum[200..800] {
                power += bin.norm_sqr() as f64;
                count += 1;
            }
        }
        let measured = (power / count as f64).sqrt();
        let gain = 0.5f64.exp();
        assert!(
            (measured / gain - 1.0).abs() < 0.05,
            "noise measures {measured}, its gain is {gain}"
        );
    }

    #[test]
    fn rendering_reaches_only_the_bins_asked_for_and_reset_repeats_itself() {
        let layout = layout();
        let noise = vec![0.0f32; layout.envelope_bands];
        let mags = vec![1.0f32; 512];
        let f0 = [7.5f32, 9.25];
        let render = |synth: &mut HarmonicNoiseSynth| {
            render_frame(synth, &f0, &mags, &noise, 300..700, Complex::new(9.0, 9.0))
        };
        let mut synth = HarmonicNoiseSynth::new(layout, 3);
        let first = render(&mut synth);
        assert!(first[..300]
            .iter()
            .chain(&first[700..])
            .all(|c| *c == Complex::new(9.0, 9.0)));
        assert!(first[300..700]
            .iter()
            .all(|c| c.re.is_finite() && *c != Complex::new(9.0, 9.0)));
        let second = render(&mut synth);
        assert!(first != second, "the noise is drawn anew each frame");
        synth.reset();
        assert!(render(&mut synth) == first);
    }
}
