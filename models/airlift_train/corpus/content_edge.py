"""Where a reference's own content ends, below the edge its file reports.

Most references are Ogg or Opus files: the corpus's own edge (`band_edge_hz`, a 90 dB drop)
lies 1/10 to 1/4 octave above a codec roll-off 30 to 60 dB deep. Supervised, that roll-off
teaches the U-Net that the top of every band is dark; scored, it makes a band at the
original's level look 15 dB too bright. The U-Net's loss, its validation table, its level
calibration and the top-of-the-band table all stop where the content ends instead.

Needs numpy only, so the test suite checks it without PyTorch.
"""

import numpy as np

from ..networks import bands

ROLL_OFF_DB = 12.0
"""A roll-off starts at a band whose level over the whole stretch lies this many dB under the
median of the third of an octave below it, and stays under that up to the edge."""

THIRD_OCTAVE_BANDS = 6
"""Bands in the third of an octave below a band (about 1/18 octave each)."""


def content_edge_bin(target_bands: np.ndarray, edge_bin: float) -> float:
    """Where a reference's own content ends, in bins: the centre of the first band in the octave
    below `edge_bin` from which the level over the stretch (`target_bands` [channels, frames,
    BANDS], ln magnitudes) stays ROLL_OFF_DB under the median of the THIRD_OCTAVE_BANDS below
    that band, up to `edge_bin`; `edge_bin` when there is none."""
    centres = bands.band_centres()
    level_db = 20 / np.log(10) * target_bands.astype(np.float32).mean(axis=(0, 1))
    below_edge = np.nonzero(centres < edge_bin)[0]
    if len(below_edge) == 0:
        return float(edge_bin)
    last = below_edge[-1]
    for b in below_edge[centres[below_edge] >= edge_bin / 2]:
        if b >= THIRD_OCTAVE_BANDS and level_db[b:last + 1].max() < (
                np.median(level_db[b - THIRD_OCTAVE_BANDS:b]) - ROLL_OFF_DB):
            return float(centres[b])
    return float(edge_bin)


def content_edge_hz(audio: np.ndarray, rate: int, own_edge_hz: float) -> float:
    """Where the content of `audio` [samples, channels] ends, in Hz: `content_edge_bin` below
    its own edge (at most the Nyquist frequency)."""
    bin_hz = rate / bands.N_FFT
    edge_hz = min(own_edge_hz, rate / 2)
    return content_edge_bin(bands.bands_of(audio), edge_hz / bin_hz) * bin_hz
