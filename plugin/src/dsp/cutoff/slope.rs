//! The corner of a gentle low-pass: the bright spectrum near the top of content is fitted, by
//! least squares, with the music's own straight trend times a Butterworth low-pass template of
//! some order, on the warped frequency axis of the bilinear transform (digital filters bend
//! towards Nyquist). The corner of the best fit is the edge.

use super::grid::{GridPoint, GRID_OCTAVES};

/// Butterworth orders of the low-pass templates a gentle edge is fitted with. A digital
/// low-pass of any kind falls like one of these near its corner.
/// A design choice of e0bb61c, not tuned order by order; the template fit as a whole took the
/// committed excerpts from 650 to 673 of 799 found (Butterworth 4 from 42 to 64).
const SLOPE_ORDERS: [u32; 9] = [2, 3, 4, 5, 6, 8, 10, 12, 16];

/// How far below the top of content the corner of a gentle edge is searched for, in octaves.
/// Set with the template fit in e0bb61c, measured only as a whole (673 of 799 found, was 650); no
/// other value is on record.
pub const SLOPE_SEARCH_OCTAVES: f32 = 3.0;

/// How far below a candidate corner the music's own trend is fitted, in octaves.
/// Set with the template fit in e0bb61c, measured only as a whole (673 of 799 found, was 650); no
/// other value is on record.
const SLOPE_FIT_BELOW_OCTAVES: f32 = 1.0;

/// The music's own trend under a gentle edge tilts between these (dB per octave): recorded
/// music's bright spectrum falls gently or rises a little where a low-pass sets in.
/// Set with the template fit in e0bb61c (673 of 799 found, was 650). A plain wider trend for orders
/// from 8 or from 10 up cost Butterworth 4 six to seven cases for no net gain (4fed0cc,
/// closing note of stop 19).
const TREND_MIN_DB_PER_OCTAVE: f32 = -12.0;

/// See [`TREND_MIN_DB_PER_OCTAVE`].
/// Set with [`TREND_MIN_DB_PER_OCTAVE`] in e0bb61c, measured only as a whole; no other value is on
/// record.
const TREND_MAX_DB_PER_OCTAVE: f32 = 6.0;

/// Under a steep template (order [`STEEP_ORDER`] or more) the music's own trend may fall as
/// fast as this (dB per octave): dark recordings fall 25 to 35 dB per octave above their own
/// knee, where a steep filter's bend still shows.
/// Set in 4fed0cc from that fall; no other value is on record. The rule as a whole is measured at
/// [`STEEP_TREND_ERROR_SHARE`].
const TREND_MIN_STEEP_DB_PER_OCTAVE: f32 = -36.0;

/// Lowest template order whose fit may take a trend steeper than [`TREND_MIN_DB_PER_OCTAVE`].
/// Set in 4fed0cc. A plain wider trend from order 8 or from order 10 up, without
/// [`STEEP_TREND_ERROR_SHARE`], cost Butterworth 4 six to seven cases for no net gain (closing note
/// of stop 19); no gated variant from 10 is on record.
const STEEP_ORDER: u32 = 8;

/// A fit with a trend steeper than [`TREND_MIN_DB_PER_OCTAVE`] wins only when its mean squared
/// error is below this share of the best fit within the usual trends: a gentle filter on
/// music that falls gently also fits a steep one on a steep trend, nearly as well.
/// Set in 4fed0cc on the committed excerpts: 0.3, 0.5 and 0.7 were tried and 0.3 kept (no figures
/// for the others are on record). With it 822 of 934 found (was 819) and 782 settled (was 769);
/// held out, 1127 of 1444 (was 1116), Butterworth 4 at 172 (was 178).
const STEEP_TREND_ERROR_SHARE: f32 = 0.3;

/// Resolution of the tabulated templates, in steps per octave of warped frequency.
/// A design choice of e0bb61c, not tuned; `templates_follow_the_butterworth_response` checks the
/// table against the exact response.
const TEMPLATE_STEPS_PER_OCTAVE: f32 = 128.0;

/// The templates are tabulated within this many octaves of the corner; beyond it they are 0 dB
/// below and their asymptote above.
/// A design choice of e0bb61c, not tuned; `templates_follow_the_butterworth_response` checks the
/// table and the asymptote beyond it against the exact response.
const TEMPLATE_SPAN_OCTAVES: f32 = 3.0;

/// Butterworth low-pass responses in dB, tabulated against the warped distance from the
/// corner in octaves, one row per order of [`SLOPE_ORDERS`], so that fitting needs no
/// logarithms on the audio thread.
pub struct SlopeTemplates {
    /// `rows[order][step]`: the response at `step / TEMPLATE_STEPS_PER_OCTAVE -
    /// TEMPLATE_SPAN_OCTAVES` octaves from the corner.
    rows: Vec<f32>,
    /// Steps per row.
    steps: usize,
}

impl Default for SlopeTemplates {
    fn default() -> Self {
        Self::new()
    }
}

impl SlopeTemplates {
    /// Tabulates every order. Allocates.
    pub fn new() -> Self {
        let steps = (2.0 * TEMPLATE_SPAN_OCTAVES * TEMPLATE_STEPS_PER_OCTAVE) as usize + 1;
        let mut rows = Vec::with_capacity(SLOPE_ORDERS.len() * steps);
        for order in SLOPE_ORDERS {
            for step in 0..steps {
                let octaves =
                    step as f64 / TEMPLATE_STEPS_PER_OCTAVE as f64 - TEMPLATE_SPAN_OCTAVES as f64;
                let power = 1.0 + (2.0 * order as f64 * octaves).exp2();
                rows.push((-10.0 * power.log10()) as f32);
            }
        }
        Self { rows, steps }
    }

    /// The response in dB of order number `row` at `octaves` (warped) from the corner.
    pub fn level_db(&self, row: usize, octaves: f32) -> f32 {
        if octaves <= -TEMPLATE_SPAN_OCTAVES {
            return 0.0;
        }
        if octaves >= TEMPLATE_SPAN_OCTAVES {
            // 10 · log10(2) dB per doubling of the power ratio.
            return -3.0103 * 2.0 * SLOPE_ORDERS[row] as f32 * octaves;
        }
        let position = (octaves + TEMPLATE_SPAN_OCTAVES) * TEMPLATE_STEPS_PER_OCTAVE;
        let below = (position as usize).min(self.steps - 2);
        let t = position - below as f32;
        let row = &self.rows[row * self.steps..(row + 1) * self.steps];
        row[below] + t * (row[below + 1] - row[below])
    }
}

/// The corner of a gentle edge between grid points `from` and `top`: for every candidate
/// corner and template order, the levels from [`SLOPE_FIT_BELOW_OCTAVES`] below the corner to
/// `top`, less the template, are fitted with a straight music trend (its tilt kept within
/// [`TREND_MIN_DB_PER_OCTAVE`] and [`TREND_MAX_DB_PER_OCTAVE`]); the corner with the smallest
/// mean squared error wins. Templates of [`STEEP_ORDER`] and up are also fitted with a trend
/// down to [`TREND_MIN_STEEP_DB_PER_OCTAVE`] (the fall of a dark recording above its own
/// knee), and the best such fit wins instead when its error is below
/// [`STEEP_TREND_ERROR_SHARE`] of the other's. Bounded work (a few tens of thousands of table
/// look-ups), no allocation.
pub fn slope_corner(
    grid: &[GridPoint],
    levels: &[f32],
    templates: &SlopeTemplates,
    from: usize,
    top: usize,
) -> Option<f32> {
    let below_points = (SLOPE_FIT_BELOW_OCTAVES / GRID_OCTAVES).round() as usize;
    let mut best: Option<(f32, usize)> = None;
    let mut best_steep: Option<(f32, usize)> = None;
    for corner in from..top {
        let start = corner.saturating_sub(below_points);
        let points = &grid[start..=top];
        let values = &levels[start..=top];
        let n = points.len() as f32;
        if points.len() < 6 {
            continue;
        }
        let (mut sx, mut sxx) = (0.0f32, 0.0f32);
        for point in points {
            let x = point.log2_hz - grid[corner].log2_hz;
            sx += x;
            sxx += x * x;
        }
        let denominator = n * sxx - sx * sx;
        for (row, &order) in SLOPE_ORDERS.iter().enumerate() {
            let (mut sr, mut sxr, mut srr) = (0.0f32, 0.0f32, 0.0f32);
            for (point, &level) in points.iter().zip(values) {
                let x = point.log2_hz - grid[corner].log2_hz;
                let warped = point.warped_log2 - grid[corner].warped_log2;
                let r = level - templates.level_db(row, warped);
                sr += r;
                sxr += x * r;
                srr += r * r;
            }
            let free = (n * sxr - sx * sr) / denominator;
            let error_with = |slope: f32| {
                let a = (sr - slope * sx) / n;
                (srr - 2.0 * a * sr - 2.0 * slope * sxr
                    + n * a * a
                    + 2.0 * a * slope * sx
                    + slope * slope * sxx)
                    / n
            };
            let error = error_with(free.clamp(TREND_MIN_DB_PER_OCTAVE, TREND_MAX_DB_PER_OCTAVE));
            if best.is_none_or(|(e, _)| error < e) {
                best = Some((error, corner));
            }
            if order >= STEEP_ORDER && free < TREND_MIN_DB_PER_OCTAVE {
                let error = error_with(free.max(TREND_MIN_STEEP_DB_PER_OCTAVE));
                if best_steep.is_none_or(|(e, _)| error < e) {
                    best_steep = Some((error, corner));
                }
            }
        }
    }
    let best = match (best, best_steep) {
        (Some((error, _)), Some((steep_error, corner)))
            if steep_error < STEEP_TREND_ERROR_SHARE * error =>
        {
            Some((steep_error, corner))
        }
        (best, _) => best,
    };
    best.map(|(_, corner)| grid[corner].log2_hz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::cutoff::edge::MIN_EDGE_HZ;
    use crate::dsp::cutoff::grid::analysis_grid;
    use crate::dsp::stft::StftLayout;

    /// The analysis grid at `sample_rate_hz`.
    fn grid_at(sample_rate_hz: f32) -> Vec<GridPoint> {
        analysis_grid(&StftLayout::for_sample_rate(sample_rate_hz))
    }

    fn index_of(grid: &[GridPoint], hz: f32) -> usize {
        grid.partition_point(|p| p.log2_hz < hz.log2())
    }

    #[test]
    fn templates_follow_the_butterworth_response() {
        let templates = SlopeTemplates::new();
        for (row, &order) in SLOPE_ORDERS.iter().enumerate() {
            assert!(
                (templates.level_db(row, 0.0) + 3.0103).abs() < 1e-3,
                "order {order}"
            );
            assert!(templates.level_db(row, -4.0) == 0.0);
            let one_octave = -10.0 * (1.0 + (2.0 * order as f32).exp2()).log10();
            assert!((templates.level_db(row, 1.0) - one_octave).abs() < 0.05);
            // The asymptote beyond the table continues it.
            let inside = templates.level_db(row, TEMPLATE_SPAN_OCTAVES - 0.01);
            let outside = templates.level_db(row, TEMPLATE_SPAN_OCTAVES + 0.01);
            assert!(
                (outside - inside).abs() < 0.2 * order as f32,
                "order {order}"
            );
        }
    }

    /// A bright spectrum falling `trend_db_per_octave` with a digital Butterworth low-pass of
    /// `order` at `corner_hz` on top: the slope fit finds the corner within a grid step.
    fn corner_found(sample_rate_hz: f32, order: u32, corner_hz: f32, trend_db_per_octave: f32) {
        let grid = &grid_at(sample_rate_hz);
        let warp = |hz: f32| (std::f32::consts::PI * hz / sample_rate_hz).tan();
        let levels: Vec<f32> = grid
            .iter()
            .map(|p| {
                let ratio = warp(p.log2_hz.exp2()) / warp(corner_hz);
                let filter_db = -10.0 * (1.0 + ratio.powi(2 * order as i32)).log10();
                let trend_db = trend_db_per_octave * (p.log2_hz - 1000f32.log2());
                (trend_db + filter_db).max(-100.0)
            })
            .collect();
        let top = (0..grid.len()).rev().find(|&i| levels[i] > -85.0).unwrap();
        let from = index_of(grid, MIN_EDGE_HZ).max(top.saturating_sub(72));
        let found = slope_corner(grid, &levels, &SlopeTemplates::new(), from, top).unwrap();
        assert!(
            (found - corner_hz.log2()).abs() <= GRID_OCTAVES,
            "order {order} at {corner_hz} Hz: found {:.0} Hz",
            found.exp2()
        );
    }

    #[test]
    fn the_corner_of_a_gentle_low_pass_is_found_on_a_tilted_spectrum() {
        corner_found(44_100.0, 4, 5_000.0, -6.0);
        corner_found(44_100.0, 4, 3_000.0, 0.0);
        corner_found(48_000.0, 8, 9_000.0, -10.0);
        corner_found(48_000.0, 2, 12_000.0, 3.0);
    }

    #[test]
    fn a_steep_filter_on_dark_music_reads_at_its_corner_not_at_the_music_knee() {
        // Dark music: level up to its own knee, then a fall of 30 or 34 dB per octave, steeper
        // than the usual trends; an 8th- or 12th-order Butterworth on top. Within the usual
        // trends the music's own knee fits better, a quarter of an octave to 1.6 octaves below
        // the filter's corner.
        let rate = 44_100.0;
        let grid = &grid_at(rate);
        let warp = |hz: f32| (std::f32::consts::PI * hz / rate).tan();
        // (music's knee in Hz, its fall in dB per octave, filter order, filter corner in Hz)
        let cases = [
            (3_000.0, 34.0, 12, 11_000.0),
            (3_000.0, 34.0, 8, 11_000.0),
            (5_000.0, 30.0, 8, 14_000.0),
            (2_500.0, 30.0, 8, 8_000.0),
        ];
        for (knee_hz, fall_db_per_octave, order, corner_hz) in cases {
            let levels: Vec<f32> = grid
                .iter()
                .map(|p| {
                    let hz = p.log2_hz.exp2();
                    let music_db =
                        -fall_db_per_octave / 2.0 * (1.0 + (hz / knee_hz).powi(2)).log2();
                    let filter_db =
                        -10.0 * (1.0 + (warp(hz) / warp(corner_hz)).powi(2 * order)).log10();
                    (music_db + filter_db).max(-100.0)
                })
                .collect();
            let top = (0..grid.len()).rev().find(|&i| levels[i] > -88.0).unwrap();
            let from = index_of(grid, MIN_EDGE_HZ).max(top.saturating_sub(72));
            let found = slope_corner(grid, &levels, &SlopeTemplates::new(), from, top)
                .unwrap()
                .exp2();
            assert!(
                (found / corner_hz).log2().abs() < 1.0 / 6.0,
                "order {order} at {corner_hz} Hz on music falling from {knee_hz} Hz: {found:.0} Hz"
            );
        }
    }
}
