"""How well the corner of a gentle low-pass can be read from recorded music's spectrum at all.

An oracle experiment for the detector (`plugin/src/dsp/cutoff/`): every committed excerpt
(`tests/excerpts/`) is low-passed by a digital Butterworth of order 4 and 8 at 3 to 16 kHz
(below the excerpt's own edge, as in the real-music test), and the fitter is *told* that a
Butterworth is there, so no gate can reject it. It fits the detector's model: a straight music
trend (-12 to +6 dB per octave) times a Butterworth template of order 2 to 16 on the bilinear
transform's axis, from half an octave below each candidate corner to the top of content. The
counts of corners within a sixth of an octave, for several summaries over time of each
1/24-octave band's level (the detector uses the 95th percentile), bound what any detector of
this kind can reach on the excerpts. With `--known-order` the fitter is also told the
filter's order (only that template is fitted), which no detector is told.

Usage (from `models/`): python -m airlift_train.evaluation.slope_ceiling [--known-order]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

EXCERPTS = Path(__file__).resolve().parents[3] / "tests" / "excerpts"
CUTOFFS_HZ = (3000, 4000, 6000, 8000, 11000, 14000, 16000)
ORDERS_UNDER_TEST = (4, 8)
TEMPLATE_ORDERS = (2, 3, 4, 5, 6, 8, 10, 12, 16)
GRID_LOW_HZ = 500.0
GRID_OCTAVES = 1.0 / 24.0
FFT_SIZE = 2048
HOP = FFT_SIZE // 4
LEVEL_RANGE_DB = 100.0
CONTENT_MARGIN_DB = 12.0
TOLERANCE_OCTAVES = 1.0 / 6.0
SUMMARIES = ("median", "80th", "95th", "99th", "max")


def grid_levels_db(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames × grid points: each point's level, the mean power of the bins within a twelfth
    of an octave of it, summed over channels."""
    window = np.hanning(FFT_SIZE + 1)[:-1]
    power = 0.0
    for channel in x.T:
        _, _, z = signal.stft(channel, rate, window=window, nperseg=FFT_SIZE,
                              noverlap=FFT_SIZE - HOP, boundary=None, padded=False)
        power = power + np.abs(z) ** 2
    count = int(np.log2(0.98 * rate / 2 / GRID_LOW_HZ) / GRID_OCTAVES)
    grid = GRID_LOW_HZ * 2.0 ** (np.arange(count) * GRID_OCTAVES)
    bins = np.fft.rfftfreq(FFT_SIZE, 1 / rate)
    levels = np.empty((power.shape[1], count))
    for i, hz in enumerate(grid):
        near = (bins >= hz * 2 ** (-1 / 12)) & (bins <= hz * 2 ** (1 / 12))
        if not near.any():
            near = np.argmin(np.abs(bins - hz))
        levels[:, i] = 10 * np.log10(power[near].mean(axis=0) + 1e-30)
    return grid, levels


def summaries(levels: np.ndarray) -> dict[str, np.ndarray]:
    """Each summary over the sounding frames, smoothed over three grid points."""
    total = 10 * np.log10((10 ** (levels / 10)).sum(axis=1))
    frames = levels[total > total.max() - 50]
    out = {
        "median": np.percentile(frames, 50, axis=0),
        "80th": np.percentile(frames, 80, axis=0),
        "95th": np.percentile(frames, 95, axis=0),
        "99th": np.percentile(frames, 99, axis=0),
        "max": frames.max(axis=0),
    }
    for name, level in out.items():
        smooth = np.convolve(level, np.ones(3) / 3, "same")
        smooth[0], smooth[-1] = smooth[1], smooth[-2]
        out[name] = np.maximum(smooth, smooth.max() - LEVEL_RANGE_DB)
    return out


def template_db(order: int, warped_octaves: np.ndarray) -> np.ndarray:
    return -10 * np.log10(1 + 2.0 ** (2 * order * warped_octaves))


def oracle_corner_hz(grid: np.ndarray, level: np.ndarray, rate: int,
                     orders: tuple[int, ...] = TEMPLATE_ORDERS) -> float:
    """The corner of the best trend × Butterworth fit (templates of `orders`), searched over
    three octaves below the top of content."""
    n_top = np.searchsorted(grid, 0.95 * rate / 2)
    floor = level[n_top - 3:n_top].mean()
    top = max(i for i in range(1, n_top)
              if level[i] > floor + CONTENT_MARGIN_DB and level[i - 1] > floor + CONTENT_MARGIN_DB)
    log2_hz = np.log2(grid)
    warped = np.log2(np.tan(np.pi * grid / rate))
    best = (np.inf, top)
    for corner in range(max(0, top - int(3 / GRID_OCTAVES)), top):
        points = np.arange(max(0, corner - int(0.5 / GRID_OCTAVES)), top + 1)
        if len(points) < 6:
            continue
        x = log2_hz[points] - log2_hz[corner]
        design = np.vstack([np.ones_like(x), x]).T
        for order in orders:
            residual = level[points] - template_db(order, warped[points] - warped[corner])
            (_, trend), *_ = np.linalg.lstsq(design, residual, rcond=None)
            trend = np.clip(trend, -12.0, 6.0)
            offset = np.mean(residual - trend * x)
            error = np.mean((residual - offset - trend * x) ** 2)
            if error < best[0]:
                best = (error, corner)
    return float(grid[best[1]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--known-order", action="store_true",
                        help="fit only the template of the filter's own order")
    known_order = parser.parse_args().known_order
    listing = json.loads((EXCERPTS / "excerpts.json").read_text())
    hits = {(order, name): 0 for order in ORDERS_UNDER_TEST for name in SUMMARIES}
    cases = {order: 0 for order in ORDERS_UNDER_TEST}
    for entry in listing:
        x, rate = sf.read(EXCERPTS / entry["file"], dtype="float64", always_2d=True)
        for order in ORDERS_UNDER_TEST:
            for cutoff_hz in CUTOFFS_HZ:
                if cutoff_hz >= entry["band_edge_hz"]:
                    continue
                sos = signal.butter(order, cutoff_hz, fs=rate, output="sos")
                grid, levels = grid_levels_db(signal.sosfilt(sos, x, axis=0), rate)
                cases[order] += 1
                orders = (order,) if known_order else TEMPLATE_ORDERS
                for name, level in summaries(levels).items():
                    error = np.log2(oracle_corner_hz(grid, level, rate, orders) / cutoff_hz)
                    hits[(order, name)] += abs(error) <= TOLERANCE_OCTAVES
        print(f"measured {entry['file']}", flush=True)
    print()
    print("| Butterworth order | cases | " + " | ".join(SUMMARIES) + " |")
    print("|---|---|" + "---|" * len(SUMMARIES))
    for order in ORDERS_UNDER_TEST:
        row = " | ".join(str(hits[(order, name)]) for name in SUMMARIES)
        print(f"| {order} | {cases[order]} | {row} |")


if __name__ == "__main__":
    main()
