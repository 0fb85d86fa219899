"""The worn-transfer judge: tells an old disc's transfer from full-band music and finds the
corner of its gentle low-pass, from the band-limit detector's own long-term level statistics.

A worn disc's top is a gentle slope under hiss that moves like music, so the detector's edge
search finds no band limit there (issue 26). What gives a transfer away is the shape of its
long-term level statistics: how each band's quiet, typical and bright levels (10th, 50th and
95th percentiles over time) fall above the corner while the hiss holds a floor under them.
A small network reads them:
- features: at every fourth point of the detector's analysis grid (a sixth of an octave apart,
  `FEATURE_POINTS` points from 500 Hz to 18 kHz), the `PERCENTILES` of that point's level
  histogram, in dB relative to the median level from 1 to 2 kHz, clamped and scaled
  (`features_of`);
- a multilayer perceptron (`training.worn_corner_train.WornCornerNet`, two hidden layers of
  `HIDDEN` with ReLU) gives two numbers: the logit that the input is a worn transfer, and log2
  of its corner less `CORNER_LOG2_OFFSET`.

This module holds the features and the network's sizes, with numpy only (the test venv has no
PyTorch).

The engine computes the same features in Rust from the same histograms
(`plugin/src/dsp/cutoff/worn.rs`); `level_histogram_features` replays the detector's
histograms here (its STFT, grid, silence rule, 1-dB cells and exponential forgetting) so
that training sees what the engine sees, and the exported reference
(`models/worn_corner.reference.json`) lets the Rust tests check both against each other.
"""

from __future__ import annotations

import numpy as np

from . import bands

# The detector's STFT at 44.1 and 48 kHz is the engine's (`bands.stft`); after silence it skips
# this many frames (`plugin/src/dsp/stft.rs`'s overlap).
FFT_SIZE = bands.N_FFT
OVERLAP = FFT_SIZE // bands.HOP
# The detector's analysis grid (`plugin/src/dsp/cutoff/grid.rs`).
GRID_LOW_HZ = 500.0
GRID_OCTAVES = 1.0 / 24.0
GRID_HALF_WIDTH_OCTAVES = 1.0 / 12.0
GRID_TOP_SHARE_OF_NYQUIST = 0.98
# The detector's histograms (`plugin/src/dsp/cutoff/histograms.rs`) and silence rule
# (`detector.rs`).
LONG_TERM_SECONDS = 4.0
HISTOGRAM_FLOOR_DB = -200.0
HISTOGRAM_CELL_DB = 1.0
HISTOGRAM_CELLS = 360
SILENCE_POWER_PER_SIZE_SQUARED = 1e-10

# Every this many grid points is a feature point (a sixth of an octave).
FEATURE_STEP = 4
# Feature points: 500 Hz to 500 * 2^(31/6), about 18 kHz.
FEATURE_POINTS = 32
# The percentiles of each feature point's level histogram.
PERCENTILES = (0.1, 0.5, 0.95)
# The feature points whose median levels set the reference: 1 to 2 kHz.
REFERENCE_POINTS = (6, 13)
# Relative levels are clamped to this range (dB) and divided by `FEATURE_SCALE_DB`.
FEATURE_RANGE_DB = (-100.0, 40.0)
FEATURE_SCALE_DB = 20.0
# Hidden units per layer.
HIDDEN = 64
# The corner output is log2(corner in Hz) less this (4096 Hz).
CORNER_LOG2_OFFSET = 12.0


def analysis_grid(rate: int, fft_size: int = FFT_SIZE) -> list[tuple[float, int, int]]:
    """The detector's grid: (log2 of the centre in Hz, first bin, one past the last bin) per
    point, a 24th of an octave apart from 500 Hz to 98 % of Nyquist."""
    bin_hz = rate / fft_size
    top_hz = rate / 2 * GRID_TOP_SHARE_OF_NYQUIST
    grid = []
    log2_hz = np.log2(GRID_LOW_HZ)
    while 2 ** log2_hz < top_hz:
        lo_hz = 2 ** (log2_hz - GRID_HALF_WIDTH_OCTAVES)
        hi_hz = min(2 ** (log2_hz + GRID_HALF_WIDTH_OCTAVES), top_hz)
        lo_bin = int(np.floor(lo_hz / bin_hz + 0.5))
        hi_bin = max(int(np.floor(hi_hz / bin_hz + 0.5)), lo_bin + 1)
        grid.append((float(log2_hz), lo_bin, hi_bin))
        log2_hz += GRID_OCTAVES
    return grid


def percentile_db(histogram: np.ndarray, fraction: float) -> float:
    """The level in dB below which `fraction` of a histogram's weight lies, interpolated within
    its cell, as `histograms::percentile_db` reads it."""
    total = histogram.sum()
    wanted = fraction * total
    cumulative = np.cumsum(histogram)
    reached = np.nonzero((histogram > 0) & (cumulative >= wanted))[0]
    if len(reached) == 0:
        return HISTOGRAM_FLOOR_DB
    cell = int(reached[0])
    below = cumulative[cell] - histogram[cell]
    within = min(max((wanted - below) / histogram[cell], 0.0), 1.0)
    return HISTOGRAM_FLOOR_DB + (cell + within) * HISTOGRAM_CELL_DB


def level_histogram_features(audio: np.ndarray, rate: int) -> np.ndarray | None:
    """`audio` `[samples]` or `[samples, channels]` at 44.1 or 48 kHz through the detector's
    histograms, as they stand after its last frame: the feature vector (`features_of`), or
    `None` when no frame was loud enough."""
    if audio.ndim == 1:
        audio = audio[:, None]
    power = sum(np.abs(bands.stft(channel)) ** 2 for channel in audio.T)
    # The first frames after silence (and at the start) hold the step out of silence.
    sound = power.sum(axis=1) > FFT_SIZE * FFT_SIZE * SILENCE_POWER_PER_SIZE_SQUARED
    keep = np.zeros(len(sound), bool)
    since = 0
    for i, loud in enumerate(sound):
        if not loud:
            since = 0
        elif since < OVERLAP:
            since += 1
        else:
            keep[i] = True
    power = power[keep]
    if len(power) == 0:
        return None
    grid = analysis_grid(rate)
    points = [grid[i * FEATURE_STEP] for i in range(FEATURE_POINTS)]
    levels = np.stack([10 * np.log10(power[:, lo:hi].mean(axis=1) + 1e-30)
                       for _, lo, hi in points], axis=1)
    cells = np.clip(np.floor((levels - HISTOGRAM_FLOOR_DB) / HISTOGRAM_CELL_DB), 0,
                    HISTOGRAM_CELLS - 1).astype(int)
    hop_seconds = bands.HOP / rate
    weights = np.exp((np.arange(len(power)) - (len(power) - 1)) * hop_seconds
                     / LONG_TERM_SECONDS)
    quantiles = np.empty((FEATURE_POINTS, len(PERCENTILES)))
    for p in range(FEATURE_POINTS):
        histogram = np.bincount(cells[:, p], weights=weights, minlength=HISTOGRAM_CELLS)
        quantiles[p] = [percentile_db(histogram, f) for f in PERCENTILES]
    return features_of(quantiles)


def features_of(quantiles_db: np.ndarray) -> np.ndarray:
    """The network's input from the percentiles `[FEATURE_POINTS, PERCENTILES]` in dB: each
    relative to the mean median level of `REFERENCE_POINTS`, clamped to `FEATURE_RANGE_DB`,
    divided by `FEATURE_SCALE_DB`, point by point."""
    lo, hi = REFERENCE_POINTS
    reference_db = quantiles_db[lo:hi, 1].mean()
    relative = np.clip(quantiles_db - reference_db, *FEATURE_RANGE_DB)
    return (relative / FEATURE_SCALE_DB).reshape(-1).astype(np.float32)
