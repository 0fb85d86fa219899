"""The Spectral U-Net's worn-transfer examples (`models/airlift_train/corpus/music.py`,
`make_worn_example`, issue 26): what the model learns of an old disc after Denoise.

A worn example must be what the engine hands the U-Net with Denoise on and a cutoff set by
ear: mono, the clean music below the disc's gentle low-pass, that music sinking by the filter's
slope above it, under a residual hiss, and a cutoff near the corner. Checked on a committed
excerpt with the simulated hiss (the recorded one is a Debian package CI does not install).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models"))

from airlift_train.corpus import music, wear  # noqa: E402
from airlift_train.networks import bands  # noqa: E402

EXCERPT = ROOT / "tests/excerpts/world_caribbean.flac"
RATE_HZ = 44_100
NEPERS_TO_DB = 20 / np.log(10)


@pytest.fixture
def worn_examples(monkeypatch):
    """Four worn examples of one excerpt with the simulated hiss, with their seeds."""
    monkeypatch.setattr(music, "WORN_RECORDED_SHARE", 0.0)
    piece = music.Piece(EXCERPT, RATE_HZ, 20_000.0, 9.0, "world")
    return [(seed, music.make_worn_example((piece, 0.5, seed))) for seed in range(4)]


def test_a_worn_example_is_mono_and_told_a_cutoff_near_its_corner(worn_examples):
    for seed, example in worn_examples:
        assert example.degradation == "worn"
        assert example.input_bands.shape[0] == 1 and example.target_bands.shape[0] == 1
        told_hz = example.cutoff_bin * RATE_HZ / bands.N_FFT
        low, high = wear.LOWPASS_HZ
        slack = 2 ** music.CUTOFF_ERROR_OCTAVES
        assert low / slack <= told_hz <= high * slack, f"seed {seed}: told {told_hz:.0f} Hz"


def test_a_worn_example_keeps_the_music_below_its_corner_and_sinks_above_it(worn_examples):
    centres_hz = bands.band_centres() * RATE_HZ / bands.N_FFT
    for seed, example in worn_examples:
        told_hz = example.cutoff_bin * RATE_HZ / bands.N_FFT
        corner_hz = told_hz * 2 ** music.CUTOFF_ERROR_OCTAVES
        difference_db = NEPERS_TO_DB * (example.input_bands[0].astype(np.float64)
                                        - example.target_bands[0].astype(np.float64)).mean(axis=0)
        below = (centres_hz > 600) & (centres_hz < corner_hz / 2.5)
        assert np.abs(difference_db[below]).max() < 1.5, (
            f"seed {seed}: the music below the corner moved by "
            f"{np.abs(difference_db[below]).max():.1f} dB")
        above = (centres_hz > 1.8 * corner_hz) & (centres_hz < 2.6 * corner_hz)
        assert difference_db[above].mean() < -4, (
            f"seed {seed}: an octave above the corner the input lies only "
            f"{difference_db[above].mean():.1f} dB under the music")


def test_a_worn_example_carries_a_residual_hiss(worn_examples, monkeypatch):
    """Where the music has sunk under the disc's low-pass (6.5 to 8 kHz), the hiss holds the
    input's quietest frames up: against the same examples made without it, they lie higher on
    every seed, and by 10 dB or more on most."""
    centres_hz = bands.band_centres() * RATE_HZ / bands.N_FFT
    band = (centres_hz > 6_500) & (centres_hz < 8_000)

    def quietest_db(example):
        levels = example.input_bands[0][:, band].astype(np.float64).mean(axis=1)
        return NEPERS_TO_DB * np.percentile(levels, 5)

    monkeypatch.setattr(music, "WORN_RESIDUAL_NOISE_DB", (300.0, 300.0))
    piece = music.Piece(EXCERPT, RATE_HZ, 20_000.0, 9.0, "world")
    raised_db = [quietest_db(example) - quietest_db(music.make_worn_example((piece, 0.5, seed)))
                 for seed, example in worn_examples]
    assert min(raised_db) > 2, f"the hiss raised the quietest frames by {raised_db} dB"
    assert np.median(raised_db) > 10, f"the hiss raised the quietest frames by {raised_db} dB"
