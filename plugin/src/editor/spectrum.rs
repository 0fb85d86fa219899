//! The live spectra the editor draws, handed from the audio thread through a triple buffer.
//!
//! The engine keeps the power per bin of its latest synthesized frame, input and output, but
//! only while the editor is open (the plugin reads that from the editor state's atomic), so the
//! display costs nothing while it is closed. On the audio thread [`SpectrumTap`] smooths it to
//! a sixth of an octave on a fixed log-frequency grid (a triangular kernel, at least one bin
//! wide, so the lowest octaves are interpolated rather than a staircase of bins), averages it
//! over time, keeps a peak hold that decays, and publishes it; the editor's [`SpectrumReader`]
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

/// Width of the smoothing kernel at half height, in octaves.
pub const SMOOTHING_OCTAVES: f32 = 1.0 / 6.0;

/// Time constant of the averaged spectra, in seconds.
pub const AVERAGE_SECONDS: f32 = 0.3;

/// How fast a peak falls back, in dB per second.
pub const PEAK_DECAY_DB_PER_SECOND: f32 = 12.0;

/// One picture of the spectra: levels in dB at [`DISPLAY_POINTS`] log-spaced frequencies.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumFrame {
    /// Input level per point, averaged over [`AVERAGE_SECONDS`].
    pub input_db: [f32; DISPLAY_POINTS],
    /// Output level per point, averaged over [`AVERAGE_SECONDS`].
    pub output_db: [f32; DISPLAY_POINTS],
    /// Highest recent input level per point, falling at [`PEAK_DECAY_DB_PER_SECOND`].
    pub input_peak_db: [f32; DISPLAY_POINTS],
    /// Highest recent output level per point, falling at [`PEAK_DECAY_DB_PER_SECOND`].
    pub output_peak_db: [f32; DISPLAY_POINTS],
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
            input_peak_db: [DISPLAY_FLOOR_DB; DISPLAY_POINTS],
            output_peak_db: [DISPLAY_FLOOR_DB; DISPLAY_POINTS],
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
            kernel_starts: vec![0; DISPLAY_POINTS + 1],
            kernel_bins: Vec::new(),
            kernel_weights: Vec::new(),
            input: Levels::default(),
            output: Levels::default(),
            top_hz: 22_050.0,
            power_norm: 1.0,
            average_keep: 0.0,
            peak_fall_db: 0.0,
            frames: 0,
        },
        SpectrumReader { reader: output },
    )
}

/// The running levels of one signal on the grid.
struct Levels {
    /// Power per point, averaged over time.
    average_power: [f32; DISPLAY_POINTS],
    /// Peak hold per point, in dB.
    peak_db: [f32; DISPLAY_POINTS],
}

impl Default for Levels {
    fn default() -> Self {
        Self {
            average_power: [0.0; DISPLAY_POINTS],
            peak_db: [DISPLAY_FLOOR_DB; DISPLAY_POINTS],
        }
    }
}

impl Levels {
    /// Takes the smoothed power of `point` in this frame.
    fn update(&mut self, point: usize, power: f32, average_keep: f32, peak_fall_db: f32) {
        let average = &mut self.average_power[point];
        *average = average_keep * *average + (1.0 - average_keep) * power;
        self.peak_db[point] = to_db(power).max(self.peak_db[point] - peak_fall_db);
    }
}

/// The audio thread's end.
pub struct SpectrumTap {
    /// Where frames are published.
    writer: Input<SpectrumFrame>,
    /// Per display point `p`, its kernel is entries `kernel_starts[p]..kernel_starts[p + 1]`.
    kernel_starts: Vec<usize>,
    /// The bin of each kernel entry.
    kernel_bins: Vec<u32>,
    /// The weight of each kernel entry; a point's weights sum to 1.
    kernel_weights: Vec<f32>,
    /// The input's running levels.
    input: Levels,
    /// The output's running levels.
    output: Levels,
    /// Highest frequency shown.
    top_hz: f32,
    /// Scales bin power so that a full-scale sine reads 0 dB (a Hann-windowed sine of
    /// amplitude `a` peaks at `a · fft_size / 4`).
    power_norm: f32,
    /// Share of the average kept per frame.
    average_keep: f32,
    /// dB a peak falls per frame.
    peak_fall_db: f32,
    /// Frames published.
    frames: u64,
}

impl SpectrumTap {
    /// Lays the smoothing kernels out for the engine's bins and starts afresh. Allocates: call
    /// it in `activate`, never in `process`.
    pub fn configure(&mut self, layout: &StftLayout) {
        self.top_hz = layout.nyquist_hz().min(24_000.0);
        self.power_norm = 16.0 / (layout.fft_size as f32).powi(2);
        let frame_seconds = layout.hop_size as f32 / layout.sample_rate_hz;
        self.average_keep = (-frame_seconds / AVERAGE_SECONDS).exp();
        self.peak_fall_db = PEAK_DECAY_DB_PER_SECOND * frame_seconds;
        let bin_hz = layout.bin_hz();
        let last = layout.num_bins() - 1;
        self.kernel_starts.clear();
        self.kernel_bins.clear();
        self.kernel_weights.clear();
        for point in 0..DISPLAY_POINTS {
            self.kernel_starts.push(self.kernel_bins.len());
            let centre_hz = point_hz(point, self.top_hz);
            // A triangle as wide at half height as the smoothing, and at least one bin to each
            // side, so that between bins it interpolates.
            let half_width_hz = (centre_hz * (SMOOTHING_OCTAVES.exp2() - 1.0)).max(bin_hz * 1.0001);
            let lo = (((centre_hz - half_width_hz) / bin_hz).ceil().max(0.0) as usize).min(last);
            let hi = (((centre_hz + half_width_hz) / bin_hz).floor() as usize).min(last);
            let first = self.kernel_weights.len();
            for bin in lo..=hi {
                let weight = 1.0 - (bin as f32 * bin_hz - centre_hz).abs() / half_width_hz;
                if weight > 0.0 {
                    self.kernel_bins.push(bin as u32);
                    self.kernel_weights.push(weight);
                }
            }
            let total: f32 = self.kernel_weights[first..].iter().sum();
            if total > 0.0 {
                for weight in &mut self.kernel_weights[first..] {
                    *weight /= total;
                }
            } else {
                self.kernel_bins.push(last as u32);
                self.kernel_weights.push(1.0);
            }
        }
        self.kernel_starts.push(self.kernel_bins.len());
        self.input = Levels::default();
        self.output = Levels::default();
    }

    /// Smooths one frame's power per bin onto the grid, updates the averages and peaks, and
    /// publishes them. Real-time safe.
    pub fn publish(&mut self, input: &[f32], output: &[f32]) {
        let frame = self.writer.input_buffer_mut();
        for point in 0..DISPLAY_POINTS {
            let entries = self.kernel_starts[point]..self.kernel_starts[point + 1];
            let (mut input_power, mut output_power) = (0.0, 0.0);
            for (&bin, &weight) in self.kernel_bins[entries.clone()]
                .iter()
                .zip(&self.kernel_weights[entries])
            {
                input_power += weight * input[bin as usize];
                output_power += weight * output[bin as usize];
            }
            let (keep, fall) = (self.average_keep, self.peak_fall_db);
            self.input
                .update(point, input_power * self.power_norm, keep, fall);
            self.output
                .update(point, output_power * self.power_norm, keep, fall);
            frame.input_db[point] = to_db(self.input.average_power[point]);
            frame.output_db[point] = to_db(self.output.average_power[point]);
            frame.input_peak_db[point] = self.input.peak_db[point];
            frame.output_peak_db[point] = self.output.peak_db[point];
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

    /// The peak bin power of a full-scale sine, which reads 0 dB.
    fn full_scale(layout: &StftLayout) -> f32 {
        (layout.fft_size as f32 / 4.0).powi(2)
    }

    fn configured() -> (SpectrumTap, SpectrumReader, StftLayout) {
        let (mut tap, reader) = spectrum_channel();
        let layout = StftLayout::for_sample_rate(48_000.0);
        tap.configure(&layout);
        (tap, reader, layout)
    }

    #[test]
    fn a_steady_spectrum_reaches_the_reader_at_its_level() {
        let (mut tap, mut reader, layout) = configured();
        assert_eq!(reader.latest().frames, 0);
        let bins = layout.num_bins();
        let input: Vec<f32> = (0..bins)
            .map(|k| if k < 300 { full_scale(&layout) } else { 0.0 })
            .collect();
        let output = vec![full_scale(&layout); bins];
        for _ in 0..400 {
            tap.publish(&input, &output);
        }
        let frame = reader.latest();
        assert_eq!(frame.frames, 400);
        assert_eq!(frame.top_hz, 24_000.0);
        assert!(frame.input_db[10].abs() < 0.01, "{}", frame.input_db[10]);
        assert!(frame.input_peak_db[10].abs() < 0.01);
        assert_eq!(frame.input_db[DISPLAY_POINTS - 1], DISPLAY_FLOOR_DB);
        assert!(frame.output_db[DISPLAY_POINTS - 1].abs() < 0.01);
    }

    #[test]
    fn a_tone_is_smoothed_to_a_sixth_of_an_octave_and_the_low_end_has_no_steps() {
        let (mut tap, mut reader, layout) = configured();
        let bins = layout.num_bins();
        // One bin at 6 kHz: the curve is a sixth of an octave wide at half power.
        let tone_bin = (6000.0 / layout.bin_hz()).round() as usize;
        let mut power = vec![0.0; bins];
        power[tone_bin] = full_scale(&layout);
        for _ in 0..400 {
            tap.publish(&power, &power);
        }
        let frame = reader.latest().clone();
        let peak = frame.input_db.iter().cloned().fold(f32::MIN, f32::max);
        let above_half: Vec<f32> = (0..DISPLAY_POINTS)
            .filter(|&p| frame.input_db[p] > peak - 3.0)
            .map(|p| frame.point_hz(p))
            .collect();
        let width_octaves = (above_half[above_half.len() - 1] / above_half[0]).log2();
        assert!(
            (0.1..0.25).contains(&width_octaves),
            "{width_octaves} octaves at half power"
        );

        // Below 100 Hz a bin spans several display points: with interpolation, neighbouring
        // points differ instead of repeating one bin's level.
        let rising: Vec<f32> = (0..bins).map(|k| 1.0 + k as f32).collect();
        let (mut tap, mut reader, _) = configured();
        for _ in 0..400 {
            tap.publish(&rising, &rising);
        }
        let frame = reader.latest();
        let low: Vec<f32> = (0..DISPLAY_POINTS)
            .filter(|&p| frame.point_hz(p) > 30.0 && frame.point_hz(p) < 100.0)
            .map(|p| frame.input_db[p])
            .collect();
        assert!(low.len() > 10);
        for pair in low.windows(2) {
            assert!(pair[1] > pair[0], "a step in {low:?}");
        }
    }

    #[test]
    fn the_peak_holds_above_the_average_and_decays() {
        let (mut tap, mut reader, layout) = configured();
        let bins = layout.num_bins();
        let loud = vec![full_scale(&layout); bins];
        let silent = vec![0.0; bins];
        // One loud frame (a hit), then silence.
        tap.publish(&loud, &loud);
        let frame = reader.latest().clone();
        assert!(frame.output_peak_db[100].abs() < 0.01);
        assert!(frame.output_db[100] < -10.0, "the average jumped");
        let frames_per_second = layout.sample_rate_hz / layout.hop_size as f32;
        let second = frames_per_second.round() as usize;
        for _ in 0..second {
            tap.publish(&silent, &silent);
        }
        let frame = reader.latest();
        let fallen = -frame.output_peak_db[100];
        assert!(
            (PEAK_DECAY_DB_PER_SECOND - 0.5..PEAK_DECAY_DB_PER_SECOND + 0.5).contains(&fallen),
            "fell {fallen} dB in a second"
        );
        assert!(frame.output_db[100] < frame.output_peak_db[100] - 10.0);
    }
}
