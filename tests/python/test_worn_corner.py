"""The worn-transfer judge's features (`models/airlift_train/networks/worn_corner.py`): what
the band-limit detector's level histograms say of a piece, as the judge's network reads them.

The Rust side (`plugin/src/dsp/cutoff/worn.rs`) is checked against the committed reference in
`tests/tests/worn_corner.rs`; here the reference is checked against this code, so that neither
side can drift from the other unseen.
"""

import json
import sys
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models"))

from airlift_train.corpus import wear  # noqa: E402
from airlift_train.networks import worn_corner  # noqa: E402

EXCERPT = ROOT / "tests/excerpts/world_caribbean.flac"


def excerpt(seconds: float = 6.0) -> tuple[np.ndarray, int]:
    audio, rate = soundfile.read(EXCERPT, dtype="float64", always_2d=True)
    return audio[:int(seconds * rate)], rate


def test_the_committed_reference_is_what_this_code_computes():
    reference = json.loads((ROOT / "models/worn_corner.reference.json").read_text())
    audio, rate = soundfile.read(ROOT / "tests/excerpts" / reference["excerpt"], dtype="float64",
                                 always_2d=True)
    audio = audio[:int(reference["seconds"] * rate)]
    features = worn_corner.level_histogram_features(audio, rate)
    assert np.abs(features - np.array(reference["features"])).max() < 1e-5


def test_the_features_do_not_depend_on_the_level():
    audio, rate = excerpt()
    loud = worn_corner.level_histogram_features(audio, rate)
    quiet = worn_corner.level_histogram_features(audio * 0.1, rate)
    assert np.abs(loud - quiet).max() < 1e-4


def test_a_worn_transfer_moves_less_above_its_corner_than_the_music():
    audio, rate = excerpt()
    item = wear.wear(audio, rate, np.random.default_rng(0), noise="simulated",
                     test_conditions=True)
    per_point = len(worn_corner.PERCENTILES)
    clean = worn_corner.level_histogram_features(item.clean.astype(np.float64), rate)
    worn = worn_corner.level_histogram_features(item.worn.astype(np.float64), rate)
    centres = worn_corner.GRID_LOW_HZ * 2 ** (np.arange(worn_corner.FEATURE_POINTS) / 6)
    above = (centres > 2 * item.lowpass_hz) & (centres < 3 * item.lowpass_hz)

    def spread_db(features):
        """From the quiet to the bright level over time, in dB, from 2 to 3 times the corner."""
        levels = worn_corner.FEATURE_SCALE_DB * features.reshape(-1, per_point)[above]
        return float((levels[:, -1] - levels[:, 0]).mean())

    # The median there hardly moves (the hiss fills in what the slope takes), but the disc's
    # slope takes the bright moments down and the steady hiss holds the quiet ones up.
    assert spread_db(worn) < spread_db(clean) - 3.0, (spread_db(worn), spread_db(clean))


def test_silence_gives_no_features():
    assert worn_corner.level_histogram_features(np.zeros((48_000, 2)), 48_000) is None


def test_a_percentile_is_read_within_its_cell():
    histogram = np.zeros(worn_corner.HISTOGRAM_CELLS)
    histogram[[10, 20]] = [1.0, 3.0]
    floor = worn_corner.HISTOGRAM_FLOOR_DB
    # A quarter of the weight lies in cell 10: its top is the 25th percentile.
    assert abs(worn_corner.percentile_db(histogram, 0.25) - (floor + 11.0)) < 1e-9
    # Half the weight: a third of the way into cell 20.
    assert abs(worn_corner.percentile_db(histogram, 0.5) - (floor + 20 + 1 / 3)) < 1e-9
