"""The hiss mask's features (`models/airlift_train/networks/hiss_mask.py`): the replay of the
hiss reducer's floor and what the mask reads from it.

The Rust side (`plugin/src/dsp/denoise/mask.rs`) is checked against the committed reference in
`tests/tests/hiss_mask.rs`; here the reference is checked against this code, so that neither
side can drift from the other unseen.
"""

import json
import sys
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models"))

from airlift_train.networks import bands, hiss_mask  # noqa: E402

EXCERPT = ROOT / "tests/excerpts/world_caribbean.flac"


def excerpt_power(scale: float = 1.0) -> tuple[np.ndarray, int]:
    audio, rate = soundfile.read(EXCERPT, dtype="float32", always_2d=True)
    return np.abs(bands.stft(audio[:6 * rate, 0] * scale)) ** 2, rate


def test_the_committed_reference_is_what_this_code_computes():
    reference = json.loads((ROOT / "models/hiss_mask.reference.json").read_text())
    audio, rate = soundfile.read(ROOT / "tests/excerpts" / reference["excerpt"],
                                 dtype="float32", always_2d=True)
    channel = audio[:int(reference["seconds"] * rate), 0]
    features = hiss_mask.frame_features(np.abs(bands.stft(channel)) ** 2, rate)
    for frame in reference["frames"]:
        expected = np.array(frame["features"])
        assert np.abs(features[frame["frame"]] - expected).max() < 1e-5


def test_the_floor_of_white_noise_is_near_its_mean_power_from_the_warm_up_on():
    """From the end of the warm-up, not only once the first frames have left the minimum (the
    first frame's raw periodogram once held the floor 20 dB under for 3.4 s)."""
    rate = 48000
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, 6 * rate)
    power = np.abs(bands.stft(noise)) ** 2
    floor, _, _ = hiss_mask.reducer_statistics(power, rate)
    middle = slice(256, 768)
    mean = power[:, middle].mean(axis=0).sum()
    for frame in range(hiss_mask.warm_up_frames(rate), len(power)):
        error_db = 10 * np.log10(floor[frame, middle].sum() / mean)
        assert abs(error_db) < 4.0, f"frame {frame}: the floor is {error_db:.1f} dB off"


def test_the_features_do_not_depend_on_the_level():
    loud, rate = excerpt_power()
    quiet, _ = excerpt_power(0.1)
    assert np.abs(hiss_mask.frame_features(loud, rate)
                  - hiss_mask.frame_features(quiet, rate)).max() < 0.01


def test_bands_pool_and_expand_without_changing_a_flat_spectrum():
    for rate in (44100, 48000):
        pooling, expansion = hiss_mask.band_layout(rate)
        flat = np.full((1, bands.BINS), 3.0, np.float32)
        assert np.allclose(hiss_mask.pool(flat, pooling), 3.0, rtol=1e-5)
        assert np.allclose(hiss_mask.expand(np.full(hiss_mask.BANDS, 0.5), expansion), 0.5)


def test_hiss_alone_reads_near_its_floor_and_music_above_it():
    """After the warm-up, a band of steady hiss lies within a few dB of the floor, and the
    excerpt's music mostly well above its own floor."""
    rate = 48000
    noise = np.random.default_rng(2).standard_normal(6 * rate) * 0.01
    hiss = hiss_mask.frame_features(np.abs(bands.stft(noise)) ** 2, rate)
    levels = hiss.reshape(len(hiss), hiss_mask.BANDS, -1)[hiss_mask.warm_up_frames(rate) + 1:, :, 0]
    assert np.median(levels) * hiss_mask.FEATURE_SCALE_DB < 4.0
    music, rate = excerpt_power()
    features = hiss_mask.frame_features(music, rate)
    levels = features.reshape(len(features), hiss_mask.BANDS, -1)[100:, :12, 0]
    assert np.median(levels) * hiss_mask.FEATURE_SCALE_DB > 8.0
