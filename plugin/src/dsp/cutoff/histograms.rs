//! Each grid point's level over time: an exponentially weighted histogram per point of the
//! analysis grid, so that the detector can read the brightest moments (a high percentile) and
//! the missing-band judgement how far a band moves (the spread between percentiles), with no
//! allocation and bounded work per frame.

use super::grid::GridPoint;

/// Time constant of the level histograms, in seconds: older frames weigh less and less.
/// From the first engine (78ebf96). 3 s was tried: 682 of 799 found against 686, settling unchanged
/// (closing note of stop 15).
pub const LONG_TERM_SECONDS: f32 = 4.0;

/// Lowest level the histograms hold, in dB (power of an FFT bin, unnormalized).
/// A design choice of fa226bf, not tuned: no measurement is on record.
pub const HISTOGRAM_FLOOR_DB: f32 = -200.0;

/// Width of one histogram cell in dB.
/// A design choice of fa226bf, not tuned: no measurement is on record.
const HISTOGRAM_CELL_DB: f32 = 1.0;

/// Cells of each grid point's level histogram (up to +160 dB).
/// A design choice of fa226bf, not tuned: no measurement is on record.
const HISTOGRAM_CELLS: usize = 360;

/// Histogram weights are rescaled when the newest frame's weight passes this.
/// A numerical safeguard of fa226bf, not tuned: far below the largest `f32` (about 3.4e38).
const WEIGHT_RESCALE: f32 = 1e30;

/// The level histograms of every grid point.
pub struct LevelHistograms {
    /// Per grid point, an exponentially weighted histogram of its level over time
    /// (`HISTOGRAM_CELLS` cells each, in grid order).
    cells: Vec<f32>,
    /// Weight of the next frame in the histograms; it grows by `weight_growth` every frame,
    /// which decays the older frames relative to it without touching them.
    frame_weight: f32,
    /// Growth of the frame weight per frame.
    weight_growth: f32,
}

impl LevelHistograms {
    /// Empty histograms for `points` grid points fed a frame every `hop_seconds`. Allocates.
    pub fn new(points: usize, hop_seconds: f32) -> Self {
        Self {
            cells: vec![0.0; points * HISTOGRAM_CELLS],
            frame_weight: 1.0,
            weight_growth: (hop_seconds / LONG_TERM_SECONDS).exp(),
        }
    }

    /// Forgets every frame.
    pub fn reset(&mut self) {
        self.cells.fill(0.0);
        self.frame_weight = 1.0;
    }

    /// Adds a frame's level at every point of `grid` (the mean of `frame_power` over the
    /// point's bins) to that point's histogram.
    pub fn add_frame(&mut self, grid: &[GridPoint], frame_power: &[f32]) {
        let weight = self.frame_weight;
        for (point, histogram) in grid
            .iter()
            .zip(self.cells.chunks_exact_mut(HISTOGRAM_CELLS))
        {
            let bins = &frame_power[point.lo_bin..point.hi_bin];
            let mean = bins.iter().sum::<f32>() / bins.len() as f32;
            let level_db = 10.0 * (mean + 1e-30).log10();
            let cell = ((level_db - HISTOGRAM_FLOOR_DB) / HISTOGRAM_CELL_DB)
                .clamp(0.0, (HISTOGRAM_CELLS - 1) as f32) as usize;
            histogram[cell] += weight;
        }
        self.frame_weight *= self.weight_growth;
        if self.frame_weight > WEIGHT_RESCALE {
            let scale = 1.0 / self.frame_weight;
            self.cells.iter_mut().for_each(|w| *w *= scale);
            self.frame_weight = 1.0;
        }
    }

    /// The histogram of grid point `index`.
    pub fn point(&self, index: usize) -> &[f32] {
        &self.cells[index * HISTOGRAM_CELLS..(index + 1) * HISTOGRAM_CELLS]
    }

    /// Each grid point's histogram, in grid order.
    pub fn points(&self) -> std::slice::ChunksExact<'_, f32> {
        self.cells.chunks_exact(HISTOGRAM_CELLS)
    }
}

/// The level in dB below which `fraction` of a histogram's weight lies, interpolated within its
/// cell; the lowest level the histograms hold when it is empty.
pub fn percentile_db(histogram: &[f32], fraction: f32) -> f32 {
    let total: f32 = histogram.iter().sum();
    let wanted = fraction * total;
    let mut below = 0.0;
    for (cell, &weight) in histogram.iter().enumerate() {
        if weight > 0.0 && below + weight >= wanted {
            let within = ((wanted - below) / weight).clamp(0.0, 1.0);
            return HISTOGRAM_FLOOR_DB + (cell as f32 + within) * HISTOGRAM_CELL_DB;
        }
        below += weight;
    }
    HISTOGRAM_FLOOR_DB
}

/// [`percentile_db`] of `histogram` at each of `fractions` (ascending) into `levels`, in one
/// pass over the cells: the same values as one call per fraction.
pub fn percentiles_db(histogram: &[f32], fractions: &[f32], levels: &mut [f32]) {
    let total: f32 = histogram.iter().sum();
    levels.fill(HISTOGRAM_FLOOR_DB);
    let mut next = 0;
    let mut below = 0.0;
    for (cell, &weight) in histogram.iter().enumerate() {
        while next < fractions.len() && weight > 0.0 && below + weight >= fractions[next] * total {
            let within = ((fractions[next] * total - below) / weight).clamp(0.0, 1.0);
            levels[next] = HISTOGRAM_FLOOR_DB + (cell as f32 + within) * HISTOGRAM_CELL_DB;
            next += 1;
        }
        if next == fractions.len() {
            return;
        }
        below += weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_in_one_pass_are_those_of_one_call_each() {
        let mut histogram = vec![0.0; HISTOGRAM_CELLS];
        for (cell, weight) in [(40, 0.3), (41, 2.0), (90, 0.0), (120, 1.7), (300, 0.4)] {
            histogram[cell] = weight;
        }
        let fractions = [0.0, 0.1, 0.5, 0.95, 1.0];
        let mut levels = [0.0; 5];
        percentiles_db(&histogram, &fractions, &mut levels);
        for (level, &fraction) in levels.iter().zip(&fractions) {
            assert_eq!(*level, percentile_db(&histogram, fraction), "at {fraction}");
        }
        percentiles_db(&[0.0; HISTOGRAM_CELLS], &fractions, &mut levels);
        assert!(levels.iter().all(|&l| l == HISTOGRAM_FLOOR_DB));
    }
}
