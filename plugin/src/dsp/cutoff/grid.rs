//! The log-frequency analysis grid the detector reads the spectrum on: points a twenty-fourth
//! of an octave apart from 500 Hz to just under Nyquist, each averaging the FFT bins within a
//! twelfth of an octave of it, and each placed on the warped axis of the bilinear transform too,
//! where a digital Butterworth low-pass falls as an analog one.

use crate::dsp::stft::StftLayout;

/// Spacing of the log-frequency analysis grid in octaves.
/// A design choice of the first engine (78ebf96), not tuned; a sub-grid refinement of the slope
/// corner was tried and found 684 against 686 (closing note of stop 15).
pub const GRID_OCTAVES: f32 = 1.0 / 24.0;

/// Each grid point averages the bins within this many octaves of it, on either side.
/// Widened from a 24th in faf52f2 on the synthetic cases of `tests/tests/detection.rs` (brick wall,
/// Butterworth 4 to 12 and MP3 within a sixth of an octave), for the detector of the time; not
/// measured again on recorded music.
const GRID_HALF_WIDTH_OCTAVES: f32 = 1.0 / 12.0;

/// Lowest grid frequency in Hz (the knee of a 2 kHz edge is fitted from half an octave lower,
/// and the music's level is read from 1 kHz).
/// A design choice of the first engine (78ebf96), not tuned: no measurement is on record.
const GRID_LOW_HZ: f32 = 500.0;

/// One point of the log-frequency grid.
#[derive(Debug, Clone, Copy)]
pub struct GridPoint {
    /// log2 of the centre frequency in Hz.
    pub log2_hz: f32,
    /// log2 of the centre frequency on the axis of the bilinear transform,
    /// `tan(π · f / sample rate)`: where a digital Butterworth low-pass falls as an analog one.
    pub warped_log2: f32,
    /// First bin averaged.
    pub lo_bin: usize,
    /// One past the last bin averaged.
    pub hi_bin: usize,
}

/// The grid for spectra of `layout`, from [`GRID_LOW_HZ`] up to 98 % of Nyquist. Allocates.
pub fn analysis_grid(layout: &StftLayout) -> Vec<GridPoint> {
    let bin_hz = layout.bin_hz();
    let top_hz = layout.nyquist_hz() * 0.98;
    let mut grid = Vec::new();
    let mut log2_hz = GRID_LOW_HZ.log2();
    while log2_hz.exp2() < top_hz {
        let lo_hz = (log2_hz - GRID_HALF_WIDTH_OCTAVES).exp2();
        let hi_hz = (log2_hz + GRID_HALF_WIDTH_OCTAVES).exp2().min(top_hz);
        let lo_bin = (lo_hz / bin_hz).round() as usize;
        let hi_bin = ((hi_hz / bin_hz).round() as usize).max(lo_bin + 1);
        let warped = (std::f32::consts::PI * log2_hz.exp2() / layout.sample_rate_hz).tan();
        grid.push(GridPoint {
            log2_hz,
            warped_log2: warped.log2(),
            lo_bin,
            hi_bin,
        });
        log2_hz += GRID_OCTAVES;
    }
    grid
}

/// Per FFT bin of `layout`, the point of `grid` nearest to it in log frequency. Allocates.
pub fn nearest_points(layout: &StftLayout, grid: &[GridPoint]) -> Vec<usize> {
    let bin_hz = layout.bin_hz();
    (0..layout.num_bins())
        .map(|k| {
            let log2_hz = (k.max(1) as f32 * bin_hz).log2();
            let from_low = ((log2_hz - GRID_LOW_HZ.log2()) / GRID_OCTAVES).round();
            (from_low.max(0.0) as usize).min(grid.len() - 1)
        })
        .collect()
}
