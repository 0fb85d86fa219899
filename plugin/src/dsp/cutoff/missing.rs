//! Which bands are missing, and how surely: the weights the fill reads
//! ([`FillWeights`](crate::dsp::fill::FillWeights)).
//!
//! A band that holds still over time (a codec's or converter's floor, digital silence) or lies
//! far below the loudest band is missing; a band that moves with the music is not, however
//! quiet, so full-band music keeps its own high band whatever the cutoff. A reported band limit
//! vouches for the band just above its edge (where the analysis grid blurs the floor with the
//! music below), and for what lies far below the music above that, more surely the longer it
//! has held. The grid step below its edge counts as missing without being vouched for: the
//! true edge may lie there, but so may the last of the music a codec keeps.

use super::grid::{GridPoint, GRID_OCTAVES};
use super::histograms::{percentile_db, LevelHistograms};
use super::Detection;
use crate::dsp::stft::StftLayout;

/// Non-silent audio needed before the first judgement of which bands are missing, in seconds;
/// until then every band counts as missing (a manual cutoff is taken at its word).
/// Set with the fill in fa226bf; no measurement of this value alone is on record. Counting every
/// band missing until the first detection instead put full band at a forced 2 kHz at LSD 0.333,
/// over the 0.3 limit (closing note of stop 13).
pub const MISSING_LISTEN_SECONDS: f32 = 0.25;

/// Seconds over which a reported band limit comes to vouch, on its own, for the band above it
/// (its say grows from 0 to 1 while it holds): an edge that the music disproves within a second
/// or so (a dull opening) hardly does.
/// Set in 9bc10d8, measured only with that change as a whole (full band at a forced 2/4/8 kHz: SBR
/// LSD 0.262/0.145/0.084, was 0.299/0.171/0.107); no other length is on record.
pub const SURE_AFTER_SECONDS: f32 = 2.0;

/// A band whose bright level ([`LEVEL_PERCENTILE`]) lies at most this many dB above its median
/// level holds still: it is a floor (a codec's or converter's noise, digital silence), and
/// counts as missing.
/// Set with the fill in fa226bf, measured only as a whole (full band at a forced 2/4/8 kHz: SBR LSD
/// 0.30/0.17/0.11); no measurement of this value alone is on record.
pub const FLOOR_SPREAD_DB: f32 = 2.0;

/// A band whose bright level lies at least this many dB above its median moves with the
/// music: it is content, never missing. Between the two spreads the missing share falls from
/// 1 to 0.
/// Set with [`FLOOR_SPREAD_DB`] and the fill in fa226bf (see there); no measurement of this value
/// alone is on record.
pub const CONTENT_SPREAD_DB: f32 = 5.0;

/// A band whose bright level lies this many dB or more below the loudest band's is a floor
/// whatever its spread: what is left above a band limit in floating point follows the music
/// some 140 dB down. Quiet high bands of recorded music lie 60 to 90 dB down, and a 16-bit
/// floor, which holds still, is caught by its spread.
/// Set with the fill in fa226bf between those levels, measured only as a whole (see
/// [`FLOOR_SPREAD_DB`]); no measurement of this value alone is on record.
pub const FLOOR_DEPTH_DB: f32 = 110.0;

/// A band this many dB or less below the loudest is never a floor by depth; between the two
/// depths the missing share grows to 1.
/// Set with [`FLOOR_DEPTH_DB`] and the fill in fa226bf (see [`FLOOR_SPREAD_DB`]); no measurement of
/// this value alone is on record.
pub const CONTENT_DEPTH_DB: f32 = 100.0;

/// How far above a reported band limit it vouches for the floor, in octaves: the width over
/// which the analysis grid blurs an edge.
/// From the grid, not tuned: a grid point averages the bins a twelfth of an octave either side of
/// it (`GRID_HALF_WIDTH_OCTAVES`).
pub const EDGE_ZONE_OCTAVES: f32 = 1.0 / 6.0;

/// Above a reported band limit, a band this many dB or more below the music just under the
/// edge is missing (a filter's transition band, attenuated but still moving with the music).
/// Set with the fill in fa226bf, measured only as a whole (see [`FLOOR_SPREAD_DB`]); no measurement
/// of this value alone is on record.
pub const EDGE_DROP_MISSING_DB: f32 = 35.0;

/// Above a reported band limit, a band at most this many dB below the music just under the
/// edge is not missing on that account; in between the missing share grows.
/// Set with [`EDGE_DROP_MISSING_DB`] and the fill in fa226bf (see [`FLOOR_SPREAD_DB`]); no
/// measurement of this value alone is on record.
pub const EDGE_DROP_PRESENT_DB: f32 = 15.0;

/// The judgement of which bands are missing, per grid point, and its reading per FFT bin.
pub struct MissingBands {
    /// The STFT layout of the spectra the weights are for.
    layout: StftLayout,
    /// Per grid point, how much of the band is missing by its spread over time (0: it moves
    /// with the music, 1: it holds still, a floor), as of the latest judgement; all 1 before
    /// the first.
    missing: Vec<f32>,
    /// Per FFT bin, the grid point nearest to it in log frequency.
    bin_points: Vec<usize>,
    /// Non-silent frames needed before the first judgement ([`MISSING_LISTEN_SECONDS`]).
    listen_frames: u32,
    /// Frames a reported band limit must hold before it vouches fully ([`SURE_AFTER_SECONDS`]).
    sure_after_frames: u32,
}

impl MissingBands {
    /// Every band missing, for spectra of `layout` read on `grid` (`bin_points`: each bin's
    /// nearest grid point). Allocates.
    pub fn new(layout: StftLayout, grid: &[GridPoint], bin_points: Vec<usize>) -> Self {
        let hop_seconds = layout.hop_size as f32 / layout.sample_rate_hz;
        Self {
            layout,
            missing: vec![1.0; grid.len()],
            bin_points,
            listen_frames: (MISSING_LISTEN_SECONDS / hop_seconds).ceil() as u32,
            sure_after_frames: (SURE_AFTER_SECONDS / hop_seconds).ceil() as u32,
        }
    }

    /// Every band missing again, as before the first judgement.
    pub fn reset(&mut self) {
        self.missing.fill(1.0);
    }

    /// Non-silent frames the detector hears before the first judgement.
    pub fn listen_frames(&self) -> u32 {
        self.listen_frames
    }

    /// Judges from the histograms which bands are missing: those that hold still over time
    /// (their bright level, `levels_db`, at most [`FLOOR_SPREAD_DB`] above their median), and
    /// those far below the loudest band (`peak_db`).
    pub fn judge(&mut self, histograms: &LevelHistograms, levels_db: &[f32], peak_db: f32) {
        for ((missing, histogram), &bright) in self
            .missing
            .iter_mut()
            .zip(histograms.points())
            .zip(levels_db)
        {
            let spread = bright - percentile_db(histogram, 0.5);
            let still = (CONTENT_SPREAD_DB - spread) / (CONTENT_SPREAD_DB - FLOOR_SPREAD_DB);
            let depth = (peak_db - bright - CONTENT_DEPTH_DB) / (FLOOR_DEPTH_DB - CONTENT_DEPTH_DB);
            *missing = still.max(depth).clamp(0.0, 1.0);
        }
    }

    /// Writes the fill's weights per FFT bin into `flat` (`2 * bins` values: the missing shares,
    /// then the sure shares), for the reported `detection`, held for `held_frames` non-silent
    /// frames, over the bright spectrum `bright_db` on the grid (see
    /// [`CutoffDetector::write_fill_weights`](super::CutoffDetector::write_fill_weights)). With no
    /// bright spectrum yet (a band limit held from before, ahead of the first estimate), the
    /// band limit vouches for the whole band above it, as over a codec's floor.
    pub fn write_fill_weights(
        &self,
        detection: Detection,
        held_frames: u32,
        bright_db: Option<&[f32]>,
        flat: &mut [f32],
    ) {
        let (missing, sure) = flat.split_at_mut(flat.len() / 2);
        let held = (held_frames as f32 / self.sure_after_frames as f32).min(1.0);
        let edge = detection.cutoff_hz().map(|hz| {
            let bin = |hz: f32| (hz / self.layout.bin_hz()).floor() as usize;
            let below = self.bin_points[bin(hz * (-EDGE_ZONE_OCTAVES).exp2())];
            (
                bin(hz * (-GRID_OCTAVES).exp2()),
                bin(hz),
                bin(hz * EDGE_ZONE_OCTAVES.exp2()),
                bright_db.map(|levels| levels[below]),
            )
        });
        for (k, ((missing, sure), &point)) in missing
            .iter_mut()
            .zip(sure.iter_mut())
            .zip(&self.bin_points)
            .enumerate()
        {
            let judged = self.missing[point];
            let (mut share, mut vouched) = (judged, 0.0);
            if let Some((step_bin, edge_bin, zone_end_bin, music_db)) = edge {
                if k >= step_bin && k < edge_bin {
                    (share, vouched) = (1.0, 0.0);
                } else if k >= edge_bin && k < zone_end_bin {
                    (share, vouched) = (1.0, 1.0);
                } else if k >= zone_end_bin {
                    vouched = match (music_db, bright_db) {
                        (Some(music_db), Some(levels)) => {
                            ((music_db - levels[point] - EDGE_DROP_PRESENT_DB)
                                / (EDGE_DROP_MISSING_DB - EDGE_DROP_PRESENT_DB))
                                .clamp(0.0, 1.0)
                        }
                        _ => 1.0,
                    };
                    share = share.max(vouched);
                }
            }
            *missing = share;
            *sure = vouched * judged.max(held);
        }
    }
}
