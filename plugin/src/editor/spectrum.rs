//! The live spectra the editor draws, handed from the audio thread through a triple buffer.
//!
//! The engine keeps the power per bin of its latest synthesized frame, input and output, but
//! only while the editor is open (the plugin reads that from the editor state's atomic). On the audio thread [`SpectrumTap`] folds it onto a fixed
//! log-frequency grid with a peak-hold decay and publishes it; the editor's [`SpectrumReader`]
//! reads the latest one. Nothing allocates after [`SpectrumTap::configure`], which runs in
//! `activate`.

use triple_buffer::{triple_buffer, Input, Output};

use crate::dsp::stft::StftLayout;

/// Points of the display grid.
pub const DISPLAY_POINTS: usize = 256;

/// Lowest frequency shown, in Hz.
pub const DISPLAY_LOW_HZ: f32 = 20.0;

/// Level shown for silence, in dB.
pub const DISPLAY_FLOOR_DB: f32 = -120.0;

/// How fast a peak falls back per published frame (about 20 dB per second at 86 frames/s).
const PEAK_DECAY: f32 = 0.95;

/// One picture of the spectra: levels in dB at [`DISPLAY_POINTS`] log-spaced frequencies.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumFrame {
    /// Input level per point.
    pub input_db: [f32; DISPLAY_POINTS],
    /// Output level per point.
    pub output_db: [f32; DISPLAY_POINTS],
    /// Highest frequency shown (Nyquist, at most 24 kHz), in Hz.
    pub top_hz: f32,
    /// Frames published so far; 0 means nothing has been heard yet.
    pub frames: u64,
}

impl Default for SpectrumFrame {
    fn default() -> Self {
        Self {
            input_db: [DISPLAY_FLOOR_DB; DISPLAY_POINTS],
            output_db: [DISPLAY_FLOOR_DB; DISPLAY_POINTS],
            top_hz: 22_050.0,
            frames: 0,
        }
    }
}

impl SpectrumFrame {
    /// The frequency of point `index`, in Hz.
    pub fn point_hz(&self, index: usize) -> f32 {
        point_hz(index, self.top_hz)
    }
}

/// The frequency of grid point `index` for a grid ending at `top_hz`.
fn point_hz(index: usize, top_hz: f32) -> f32 {
    let t = index as f32 / (DISPLAY_POINTS - 1) as f32;
    DISPLAY_LOW_HZ * (top_hz / DISPLAY_LOW_HZ).powf(t)
}

/// Makes the two ends of the spectrum hand-over.
pub fn spectrum_channel() -> (SpectrumTap, SpectrumReader) {
    let (input, output) = triple_buffer(&SpectrumFrame::default());
    (
        SpectrumTap {
            writer: input,
            ranges: vec![(0, 1); DISPLAY_POINTS],
            input_power: [0.0; DISPLAY_POINTS],
            output_power: [0.0; DISPLAY_POINTS],
            top_hz: 22_050.0,
            power_norm: 1.0,
            frames: 0,
        },
        SpectrumReader { reader: output },
    )
}

/// The audio thread's end.
pub struct SpectrumTap {
    /// Where frames are published.
    writer: Input<SpectrumFrame>,
    /// Per display point, the bins `[lo, hi)` it covers.
    ranges: Vec<(usize, usize)>,
    /// Peak-held input power per point.
    input_power: [f32; DISPLAY_POINTS],
    /// Peak-held output power per point.
    output_power: [f32; DISPLAY_POINTS],
    /// Highest frequency shown.
    top_hz: f32,
    /// Scales bin power so that a full-scale sine reads 0 dB (a Hann-windowed sine of
    /// amplitude `a` peaks at `a · fft_size / 4`).
    power_norm: f32,
    /// Frames published.
    frames: u64,
}

impl SpectrumTap {
    /// Lays the grid out for the engine's bins. Allocation-free; call it in `activate`.
    pub fn configure(&mut self, layout: &StftLayout) {
        self.top_hz = layout.nyquist_hz().min(24_000.0);
        self.power_norm = 16.0 / (layout.fft_size as f32).powi(2);
        let bin_hz = layout.bin_hz();
        let last = layout.num_bins() - 1;
        for (index, range) in self.ranges.iter_mut().enumerate() {
            let lo_hz = point_hz(index, self.top_hz) * (-0.5f32 / 24.0).exp2();
            let hi_hz = point_hz(index, self.top_hz) * (0.5f32 / 24.0).exp2();
            let lo = ((lo_hz / bin_hz).round() as usize).min(last);
            let hi = ((hi_hz / bin_hz).round() as usize).clamp(lo + 1, last + 1);
            *range = (lo, hi);
        }
        self.input_power = [0.0; DISPLAY_POINTS];
        self.output_power = [0.0; DISPLAY_POINTS];
    }

    /// Folds one frame's power per bin onto the grid and publishes it. Real-time safe.
    pub fn publish(&mut self, input: &[f32], output: &[f32]) {
        let norm = self.power_norm;
        let frame = self.writer.input_buffer_mut();
        for (index, &(lo, hi)) in self.ranges.iter().enumerate() {
            let mean = |power: &[f32]| power[lo..hi].iter().sum::<f32>() / (hi - lo) as f32 * norm;
            self.input_power[index] = mean(input).max(self.input_power[index] * PEAK_DECAY);
            self.output_power[index] = mean(output).max(self.output_power[index] * PEAK_DECAY);
            frame.input_db[index] = to_db(self.input_power[index]);
            frame.output_db[index] = to_db(self.output_power[index]);
        }
        self.frames += 1;
        frame.top_hz = self.top_hz;
        frame.frames = self.frames;
        self.writer.publish();
    }
}

/// Power to dB, floored at [`DISPLAY_FLOOR_DB`].
fn to_db(power: f32) -> f32 {
    (10.0 * power.max(1e-30).log10()).max(DISPLAY_FLOOR_DB)
}

/// The editor's end.
pub struct SpectrumReader {
    /// Published frames.
    reader: Output<SpectrumFrame>,
}

impl SpectrumReader {
    /// The latest picture.
    pub fn latest(&mut self) -> &SpectrumFrame {
        self.reader.read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_frame_reaches_the_reader() {
        let (mut tap, mut reader) = spectrum_channel();
        let layout = StftLayout::for_sample_rate(48_000.0);
        tap.configure(&layout);
        assert_eq!(reader.latest().frames, 0);
        let bins = layout.num_bins();
        // The peak bin power of a full-scale sine: it reads 0 dB.
        let full_scale = (layout.fft_size as f32 / 4.0).powi(2);
        let input: Vec<f32> = (0..bins)
            .map(|k| if k < 300 { full_scale } else { 0.0 })
            .collect();
        let output = vec![full_scale; bins];
        tap.publish(&input, &output);
        let frame = reader.latest();
        assert_eq!(frame.frames, 1);
        assert_eq!(frame.top_hz, 24_000.0);
        assert!(frame.input_db[10].abs() < 0.01, "{}", frame.input_db[10]);
        assert_eq!(frame.input_db[DISPLAY_POINTS - 1], DISPLAY_FLOOR_DB);
        assert!(frame.output_db[DISPLAY_POINTS - 1].abs() < 0.01);
    }
}
