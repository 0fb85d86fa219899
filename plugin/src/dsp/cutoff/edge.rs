//! The edge search: where, in a bright spectrum on the analysis grid, the music ends. From the
//! top down: the floor, the top of content, then a deep cliff or a cliff (brick walls, codecs'
//! low-passes, steep and elliptic filters), else, where the spectrum approaches the floor as a
//! filter's slope does, the corner of a gentle low-pass ([`super::slope`]) or a deep slope (a
//! low-order elliptic filter). A natural roll-off is no edge.

use super::grid::{GridPoint, GRID_OCTAVES};
use super::slope::{slope_corner, SlopeTemplates, SLOPE_SEARCH_OCTAVES};

/// Lowest edge the detector looks for, in Hz.
/// A design choice of the first engine (78ebf96), not tuned: below the lowest band limit the tests
/// apply (3 kHz in `tests/tests/real_music.rs`).
pub const MIN_EDGE_HZ: f32 = 2_000.0;

/// A file whose 1 to 2 kHz level is less than this many dB above its floor has no edge to find.
/// Set in fa226bf, measured only with the detector as a whole (663 of 840 found on the committed
/// excerpts); no measurement of this value alone is on record.
pub const MIN_RANGE_DB: f32 = 30.0;

/// Content is what lies more than this many dB above the floor.
/// Set in fa226bf, measured only with the detector as a whole (663 of 840 found on the committed
/// excerpts); no measurement of this value alone is on record.
pub const CONTENT_MARGIN_DB: f32 = 12.0;

/// A drop of this many dB within a twelfth of an octave is a cliff: no Butterworth filter of
/// order 12 or less is that steep away from Nyquist, brick walls and codec low-passes are.
/// Set in fa226bf above that response (a 12th-order Butterworth falls at most 6 dB in a twelfth of
/// an octave there), measured only with the detector as a whole (663 of 840 found); no measurement
/// of this value alone is on record.
pub const CLIFF_DROP_DB: f32 = 15.0;

/// A cliff starts at least this many dB above the floor.
/// Set in fa226bf, measured only with the detector as a whole (663 of 840 found on the committed
/// excerpts); no measurement of this value alone is on record.
const CLIFF_FROM_DB: f32 = 20.0;

/// A cliff whose shoulder lies this many dB or more below the loudest level of the octave
/// under it is the foot of a filter slope, not a band limit of its own.
/// Set with [`SHEER_MARGIN_DB`] in b26040a on the committed excerpts: 682 of 799 found, was 669
/// (Butterworth 8 from 104 to 110, 12 from 121 to 125), nothing lost on brick walls or MP3. No
/// other value is on record.
const CLIFF_FOOT_DB: f32 = 30.0;

/// A cliff is sheer when, a sixth of an octave above its shoulder, the unsmoothed level lies
/// less than this many dB above the floor: a brick wall or a codec's low-pass has fallen to
/// it, while the foot of a filter slope is still falling.
/// Set with [`CLIFF_FOOT_DB`] in b26040a (682 of 799 found, was 669); no other value is on record.
/// Sending sheer cliffs from 15 kHz up through the foot check too found 683 against 686 and failed
/// the unfiltered-excerpt test (closing note of stop 15).
const SHEER_MARGIN_DB: f32 = 3.0;

/// How far below the top of content a cliff is searched for, in octaves.
/// Set in fa226bf, measured only with the detector as a whole (663 of 840 found on the committed
/// excerpts); no measurement of this value alone is on record.
const CLIFF_SEARCH_OCTAVES: f32 = 0.5;

/// While walking down from a cliff to its shoulder, a twelfth of an octave that falls by this
/// many dB or more is still part of the descent (72 dB per octave).
/// Set in fa226bf. 4 or 3 dB for every cliff was tried: brick walls and MP3 lost what Butterworth 8
/// gained (closing note of stop 15), so only cliffs that are not sheer take [`SLOPE_DESCENT_DB`].
const DESCENT_DB: f32 = 6.0;

/// Below a cliff that is not sheer (a digital filter's slope steepening towards Nyquist), a
/// twelfth of an octave that falls by this many dB or more is still part of the descent (48 dB
/// per octave).
/// Set in 02f6a43 on the committed excerpts: 686 of 799 found (was 682); an 8th-order filter at
/// 14 kHz had read 14.6 kHz. No other value is on record.
const SLOPE_DESCENT_DB: f32 = 4.0;

/// A deep cliff: a drop of at least this many dB within a third of an octave...
/// Set with [`DEEP_RESIDUE_DB`] in 17bf1f2: `an_elliptic_stopband_above_the_floor_is_no_music`
/// (15.3 kHz without the rule) and the committed excerpts (687 of 799 found, was 686; unfiltered
/// ones still clean). No other value is on record.
pub const DEEP_DROP_DB: f32 = 40.0;

/// ...above which nothing comes within this many dB of the level where the drop starts. An
/// elliptic low-pass leaves the music 50 to 80 dB down in its stopband, where it still moves
/// with the music and can lie well above the floor near Nyquist; no natural roll-off falls
/// that far that fast and stays down.
/// Set with [`DEEP_DROP_DB`] in 17bf1f2 (see there); no other value is on record. The elliptic
/// cases added to the excerpt test later were found in 132 of 135 (327fe12).
pub const DEEP_RESIDUE_DB: f32 = 35.0;

/// A deep slope: a fall of at least this many dB within an octave (a low-order elliptic
/// filter, whose transition spans half an octave or more before its stopband)...
/// Set with [`DEEP_SLOPE_RESIDUE_DB`] in 2569f56 on the validation split's elliptic 4 kHz row (SBR
/// LSD-HF 1.843, was 2.251) and `a_wide_elliptic_transition_above_the_floor_is_no_music`;
/// committed-excerpt figures unchanged. No other value is on record.
pub const DEEP_SLOPE_DROP_DB: f32 = 50.0;

/// ...above which nothing comes within this many dB of the level where the fall starts, all
/// the way to the top of content. The bright spectrum of recorded music falls that far that
/// fast only through a filter.
/// Set with [`DEEP_SLOPE_DROP_DB`] in 2569f56 (see there); no other value is on record.
pub const DEEP_SLOPE_RESIDUE_DB: f32 = 45.0;

/// How far below the shoulder the edge lies: the -3 dB point.
/// Not tuned (since 78ebf96): the cutoff of a Butterworth low-pass is its -3 dB point.
const EDGE_DROP_DB: f32 = 3.0;

/// A gentle edge must approach the floor at least this steeply over the half octave below the
/// top of content (dB per octave); a slower approach is a natural roll-off.
/// Set in fa226bf. Without the gate (0) Butterworth 4 gained 4 cases but 5 unfiltered excerpts got
/// false edges (closing note of stop 15); no other value is on record.
pub const MIN_APPROACH_DB_PER_OCTAVE: f32 = 40.0;

/// The edge in log2 Hz in a bright spectrum `levels` on `grid` (`raw_levels` before smoothing,
/// for the steepness of cliffs) whose floor is `floor` (the level just below grid point
/// `n_full`, the top of the spectrum), or `None` when the music reaches the top or ends in a
/// natural roll-off. Gentle edges are fitted with `templates`.
pub fn find_edge(
    grid: &[GridPoint],
    levels: &[f32],
    raw_levels: &[f32],
    templates: &SlopeTemplates,
    floor: f32,
    n_full: usize,
) -> Option<f32> {
    let steps = |octaves: f32| (octaves / GRID_OCTAVES).round() as usize;
    let index_of = |log2_hz: f32| grid.partition_point(|p| p.log2_hz < log2_hz);
    let min_edge = index_of(MIN_EDGE_HZ.log2());
    if min_edge + 4 >= n_full {
        return None;
    }
    let music = &levels[index_of(1_000f32.log2())..=min_edge];
    let music_db = music.iter().sum::<f32>() / music.len() as f32;
    if music_db - floor < MIN_RANGE_DB {
        return None;
    }
    let content = floor + CONTENT_MARGIN_DB;
    let top = (min_edge + 1..n_full)
        .rev()
        .find(|&i| levels[i] > content && levels[i - 1] > content)?;
    if top + 2 >= n_full {
        return None;
    }
    if let Some(edge) = deep_cliff_edge(grid, levels, raw_levels, floor, top, min_edge) {
        return Some(edge);
    }
    if let Some((edge, shoulder, sheer)) =
        cliff_edge(grid, levels, raw_levels, floor, top, min_edge)
    {
        // A drop that does not fall to the floor, from a shoulder far below the music of the
        // octave under it, is the foot of a filter's slope (a tonal peak in the transition
        // band, falling off): the edge is the slope's corner. A brick wall or a codec's
        // low-pass falls to the floor at once, however quiet the music above it was.
        let octave_below = shoulder.saturating_sub(steps(1.0)).max(min_edge);
        let music_below = levels[octave_below..shoulder]
            .iter()
            .fold(f32::MIN, |a, &b| a.max(b));
        if sheer || music_below - levels[shoulder] < CLIFF_FOOT_DB {
            return Some(edge);
        }
        let from = min_edge.max(shoulder.saturating_sub(steps(SLOPE_SEARCH_OCTAVES)));
        return slope_corner(grid, levels, templates, from, shoulder);
    }
    let approach = steps(0.5);
    let approach_db_per_octave = (levels[top.saturating_sub(approach)] - levels[top]) / 0.5;
    if approach_db_per_octave < MIN_APPROACH_DB_PER_OCTAVE {
        return deep_slope_edge(grid, levels, templates, top, min_edge);
    }
    let from = min_edge.max(top.saturating_sub(steps(SLOPE_SEARCH_OCTAVES)));
    slope_corner(grid, levels, templates, from, top)
}

/// A deep fall of the bright spectrum: at least `drop_db` within `span` grid steps, with nothing
/// above it, up to the top of content, within `residue_db` of where it starts.
struct DeepFall {
    span: usize,
    drop_db: f32,
    residue_db: f32,
}

impl DeepFall {
    /// The lowest grid point between `min_edge` and `top` where such a fall starts (its drop
    /// measured in `drop_levels`, the rest in `levels`) at the music's level: less than
    /// [`CLIFF_FOOT_DB`] under the loudest of the octave below, for a partial poking out of a
    /// filter's slope that falls away is the foot of that slope, not a band limit.
    fn lowest_start(
        &self,
        drop_levels: &[f32],
        levels: &[f32],
        top: usize,
        min_edge: usize,
    ) -> Option<usize> {
        let octave = (1.0 / GRID_OCTAVES).round() as usize;
        let mut highest_above = levels[top];
        let mut lowest = None;
        // Downwards, keeping the highest level above each start; the last one found is the
        // lowest.
        for start in (min_edge..top.saturating_sub(self.span)).rev() {
            highest_above = highest_above.max(levels[start + self.span]);
            let deep = drop_levels[start] - drop_levels[start + self.span] >= self.drop_db
                && levels[start] - highest_above >= self.residue_db;
            if !deep {
                continue;
            }
            let octave_below = start.saturating_sub(octave).max(min_edge);
            let music_below = levels[octave_below..=start]
                .iter()
                .fold(f32::MIN, |a, &b| a.max(b));
            if music_below - levels[start] < CLIFF_FOOT_DB {
                lowest = Some(start);
            }
        }
        lowest
    }
}

/// The edge of the lowest deep cliff between `min_edge` and the top of content `top`: a drop of
/// [`DEEP_DROP_DB`] within a third of an octave with nothing above it, up to `top`, within
/// [`DEEP_RESIDUE_DB`] of where it starts (an elliptic filter's stopband, which may lie above
/// the floor all the way up), starting less than [`CLIFF_FOOT_DB`] under the music of the
/// octave below. The edge is found as for any cliff at that place.
fn deep_cliff_edge(
    grid: &[GridPoint],
    levels: &[f32],
    raw_levels: &[f32],
    floor: f32,
    top: usize,
    min_edge: usize,
) -> Option<f32> {
    let third = (1.0 / 3.0 / GRID_OCTAVES).round() as usize;
    let deep = DeepFall {
        span: third,
        drop_db: DEEP_DROP_DB,
        residue_db: DEEP_RESIDUE_DB,
    };
    let start = deep.lowest_start(raw_levels, levels, top, min_edge)?;
    cliff_edge(grid, levels, raw_levels, floor, start + third, min_edge).map(|(edge, _, _)| edge)
}

/// The corner of the lowest deep slope between `min_edge` and the top of content `top`: a fall
/// of [`DEEP_SLOPE_DROP_DB`] within an octave with nothing above it, up to `top`, within
/// [`DEEP_SLOPE_RESIDUE_DB`] of where it starts, starting less than [`CLIFF_FOOT_DB`] under the
/// music of the octave below. An elliptic low-pass of low order falls like that and leaves the
/// music far down but above the floor up to Nyquist, where neither a cliff nor a slope that
/// approaches the floor shows. The corner is fitted as for any gentle edge, on the fall.
fn deep_slope_edge(
    grid: &[GridPoint],
    levels: &[f32],
    templates: &SlopeTemplates,
    top: usize,
    min_edge: usize,
) -> Option<f32> {
    let octave = (1.0 / GRID_OCTAVES).round() as usize;
    let deep = DeepFall {
        span: octave,
        drop_db: DEEP_SLOPE_DROP_DB,
        residue_db: DEEP_SLOPE_RESIDUE_DB,
    };
    let start = deep.lowest_start(levels, levels, top, min_edge)?;
    let from = min_edge.max(start.saturating_sub(octave / 2));
    slope_corner(grid, levels, templates, from, start + octave)
}

/// The edge of a cliff near the top of content `top`: the -3 dB point below the shoulder where
/// the steepest drop's descent starts. The drop is measured in `raw_levels` (unsmoothed, so a
/// codec's cliff keeps its steepness), the shoulder in `levels`. Returns the edge in log2 Hz and
/// the shoulder's grid index, and whether the cliff is sheer (at the floor a sixth of an octave
/// above its shoulder); `None` when no drop is steep enough.
fn cliff_edge(
    grid: &[GridPoint],
    levels: &[f32],
    raw_levels: &[f32],
    floor: f32,
    top: usize,
    min_edge: usize,
) -> Option<(f32, usize, bool)> {
    let span = (CLIFF_SEARCH_OCTAVES / GRID_OCTAVES).round() as usize;
    let lowest = top.saturating_sub(span).max(min_edge + 2) + 1;
    let highest = (top + 2).min(levels.len() - 1);
    let (mut steepest, mut at) = (0.0f32, 0usize);
    for j in lowest..=highest {
        let (from, to) = (raw_levels[j - 2].max(floor), raw_levels[j].max(floor));
        if from - floor < CLIFF_FROM_DB {
            continue;
        }
        let drop = from - to;
        if drop > steepest {
            (steepest, at) = (drop, j);
        }
    }
    if steepest < CLIFF_DROP_DB {
        return None;
    }
    let mut shoulder = at - 2;
    while shoulder > min_edge + 2 && levels[shoulder - 2] - levels[shoulder] >= DESCENT_DB {
        shoulder -= 1;
    }
    let past = (shoulder + (1.0 / 6.0 / GRID_OCTAVES).round() as usize).min(raw_levels.len() - 1);
    let sheer = raw_levels[past] - floor < SHEER_MARGIN_DB;
    if !sheer {
        while shoulder > min_edge + 2 && levels[shoulder - 2] - levels[shoulder] >= SLOPE_DESCENT_DB
        {
            shoulder -= 1;
        }
    }
    let shoulder_index = shoulder;
    let target = levels[shoulder] - EDGE_DROP_DB;
    let mut j = shoulder;
    while j + 2 < levels.len() && levels[j + 1] > target {
        j += 1;
    }
    let (above, below) = (levels[j] - target, target - levels[j + 1]);
    let t = if above + below > 0.0 {
        above / (above + below)
    } else {
        0.0
    };
    Some((
        grid[j].log2_hz + t * (grid[j + 1].log2_hz - grid[j].log2_hz),
        shoulder_index,
        sheer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::cutoff::detector::LEVEL_RANGE_DB;
    use crate::dsp::cutoff::grid::analysis_grid;
    use crate::dsp::stft::StftLayout;

    /// `find_edge` on a bright spectrum given in dB per grid point by `level_db(hz)`, clamped
    /// as `estimate` clamps it ([`LEVEL_RANGE_DB`] below the peak, here 0 dB), the unclamped
    /// values as the raw levels.
    fn edge_of(sample_rate_hz: f32, level_db: impl Fn(f32) -> f32) -> Option<f32> {
        let grid = &analysis_grid(&StftLayout::for_sample_rate(sample_rate_hz));
        let raw: Vec<f32> = grid.iter().map(|p| level_db(p.log2_hz.exp2())).collect();
        let levels: Vec<f32> = raw.iter().map(|&l| l.max(-LEVEL_RANGE_DB)).collect();
        let n_top = grid.partition_point(|p| p.log2_hz < (0.95 * sample_rate_hz / 2.0).log2());
        let floor = levels[n_top - 3..n_top].iter().sum::<f32>() / 3.0;
        find_edge(grid, &levels, &raw, &SlopeTemplates::new(), floor, n_top).map(f32::exp2)
    }

    #[test]
    fn a_tonal_peak_at_the_foot_of_a_filter_slope_is_no_cliff() {
        // Bright music, an 8th-order Butterworth at 6 kHz, and a loud partial at 11 kHz that
        // pokes out of the slope and falls away steeply: the edge is the slope's corner.
        let rate = 44_100.0;
        let warp = |hz: f32| (std::f32::consts::PI * hz / rate).tan();
        let found = edge_of(rate, |hz| {
            let filter_db = -10.0 * (1.0 + (warp(hz) / warp(6_000.0)).powi(16)).log10();
            let partial_db = 14.0 * (-(((hz / 11_000.0).log2() * 40.0).powi(2))).exp();
            filter_db + partial_db
        })
        .unwrap();
        assert!(
            (found / 6_000.0).log2().abs() < 1.0 / 6.0,
            "found {found:.0} Hz"
        );
    }

    #[test]
    fn a_brick_wall_under_dark_music_stays_a_cliff() {
        // Music falling 32 dB per octave from 3 kHz, cut by a brick wall at 11 kHz where it
        // is already 60 dB down, 32 dB under the octave below: the cliff falls to the floor,
        // so it is the edge.
        let found = edge_of(44_100.0, |hz| {
            if hz > 11_000.0 {
                -120.0
            } else {
                -32.0 * (hz / 3_000.0).log2().max(0.0)
            }
        })
        .unwrap();
        assert!(
            (found / 11_000.0).log2().abs() < 1.0 / 12.0,
            "found {found:.0} Hz"
        );
    }

    #[test]
    fn a_digital_filter_steepening_towards_nyquist_reads_at_its_corner() {
        // An 8th-order digital Butterworth at 14 or 16 kHz (44.1 kHz) on a file whose own codec
        // cut it at 19 kHz: the filter falls ever faster towards Nyquist, and the codec's cliff
        // at its foot is steep. That cliff is not sheer (the filter is still falling above its
        // shoulder), so its descent is followed down the filter's slope to the corner, within a
        // grid step (read at the steep shoulder, 14 kHz came out at 14.6 kHz).
        let rate = 44_100.0;
        let warp = |hz: f32| (std::f32::consts::PI * hz / rate).tan();
        for corner_hz in [14_000.0, 16_000.0] {
            let found = edge_of(rate, |hz| {
                let filter_db = -10.0 * (1.0 + (warp(hz) / warp(corner_hz)).powi(16)).log10();
                let codec_db = if hz > 19_000.0 { -120.0 } else { 0.0 };
                -6.0 * (hz / 1_000.0).log2() + filter_db + codec_db
            })
            .unwrap();
            assert!(
                (found / corner_hz).log2().abs() < GRID_OCTAVES,
                "{corner_hz} Hz: found {found:.0} Hz"
            );
        }
    }

    /// The edge found on music that falls 6 dB per octave through an elliptic-like low-pass at
    /// 4 kHz (48 kHz rate): a fall of `transition_db` over `transition_octaves`, then a stopband
    /// `stopband_db` down with 8 dB of ripple (one lobe every `ripple_hz` times pi) that carries
    /// the music far above the floor up to a codec's edge at 16 kHz.
    fn elliptic_edge_hz(
        transition_octaves: f32,
        transition_db: f32,
        stopband_db: f32,
        ripple_hz: f32,
    ) -> f32 {
        edge_of(48_000.0, |hz| {
            let music_db = -6.0 * (hz / 1_000.0).log2();
            let octaves_above = (hz / 4_000.0).log2();
            let filter_db = if octaves_above < 0.0 {
                0.0
            } else if octaves_above < transition_octaves {
                -transition_db * octaves_above / transition_octaves
            } else {
                -stopband_db - 8.0 * (hz / ripple_hz).sin().abs()
            };
            let codec_db = if hz > 16_000.0 { -100.0 } else { 0.0 };
            music_db + filter_db + codec_db
        })
        .expect("a band limit")
    }

    #[test]
    fn an_elliptic_stopband_above_the_floor_is_no_music() {
        // 50 dB down within a quarter of an octave: the top of content is the codec's edge,
        // and the elliptic cliff lies two octaves below it. The deep-cliff rule finds it
        // (without it: 15.3 kHz).
        let found = elliptic_edge_hz((4_800.0f32 / 4_000.0).log2(), 50.0, 50.0, 300.0);
        assert!(
            (found / 4_000.0).log2().abs() < 1.0 / 12.0,
            "found {found:.0} Hz"
        );
    }

    #[test]
    fn a_wide_elliptic_transition_above_the_floor_is_no_music() {
        // A low-order elliptic filter: 60 dB over the octave above its edge, no faster than
        // 20 dB in a third of an octave, then its stopband 55 dB down. Neither a cliff nor a
        // slope to the floor shows; the deep-slope rule finds the corner (without it: no band
        // limit).
        let found = elliptic_edge_hz(1.0, 60.0, 55.0, 500.0);
        assert!(
            (found / 4_000.0).log2().abs() < 1.0 / 6.0,
            "found {found:.0} Hz"
        );
    }
}
