"""The mask oracles of `models/airlift_train/evaluation/mask_oracle.py`, which say how much hiss
any mask could take from under the music of a worn transfer (README, "Under the music, no mask
takes the hiss"): they must keep what is already clean, turn down what is noise alone, and
keep to the engine's limits, or the README's table says nothing.
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models"))

from airlift_train.evaluation import mask_oracle  # noqa: E402

RATE = 48_000


def tone(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return 0.3 * np.sin(2 * np.pi * 1000.0 * t)


def middle(x: np.ndarray) -> np.ndarray:
    return x[RATE // 4:-RATE // 4]


def test_clean_input_passes_unchanged():
    music = tone()
    for label, out in mask_oracle.oracles(music, music, RATE).items():
        assert np.max(np.abs(middle(out - music))) < 1e-6, label


def test_noise_alone_is_turned_down_by_the_engine_limit_above_500_hz_only():
    rng = np.random.default_rng(1)
    noise = 0.01 * rng.standard_normal(2 * RATE)
    outputs = mask_oracle.oracles(noise, np.zeros_like(noise), RATE)
    spectrum_in = np.abs(np.fft.rfft(middle(noise))) ** 2
    freqs = np.fft.rfftfreq(len(middle(noise)), 1 / RATE)
    high, low = (freqs > 1000) & (freqs < 20_000), (freqs > 50) & (freqs < 400)
    for label, out in outputs.items():
        spectrum_out = np.abs(np.fft.rfft(middle(out))) ** 2
        high_db = 10 * np.log10(spectrum_out[high].sum() / spectrum_in[high].sum())
        low_db = 10 * np.log10(spectrum_out[low].sum() / spectrum_in[low].sum())
        assert abs(high_db + mask_oracle.MAX_REDUCTION_DB) < 0.5, (label, high_db)
        assert abs(low_db) < 0.5, (label, low_db)


def test_the_bin_oracle_takes_hiss_beside_a_partial_that_the_band_oracle_keeps():
    rng = np.random.default_rng(2)
    music = tone()
    noisy = music + 0.003 * rng.standard_normal(len(music))
    outputs = mask_oracle.oracles(noisy, music, RATE)
    freqs = np.fft.rfftfreq(len(middle(music)), 1 / RATE)
    beside = (np.abs(freqs - 1000) > 50) & (np.abs(freqs - 1000) < 100)

    def hiss_beside(out):
        return np.sum(np.abs(np.fft.rfft(middle(out - music)))[beside] ** 2)

    hiss_in = hiss_beside(noisy)
    hiss = {label: hiss_beside(out) / hiss_in for label, out in outputs.items()}
    assert hiss["band oracle"] > 0.9, hiss
    assert hiss["bin oracle"] < 0.75, hiss
