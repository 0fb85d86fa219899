"""Where a reference's content ends (`models/airlift_train/corpus/content_edge.py`).

The U-Net's loss, its validation table, its level calibration and the top-of-the-band table
stop there, so a wrong edge would teach the model a codec's roll-off as music, or score a band
at the original's level as too bright. Checked on the committed excerpts (their own Ogg cliffs
and full bands) and on noise with a known roll-off, with numpy alone.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models"))

from airlift_train.corpus import content_edge  # noqa: E402
from airlift_train.networks import bands  # noqa: E402

EXCERPTS = ROOT / "tests/excerpts"
RATE_HZ = 44_100
# One band of the model's log-frequency axis is about 1/18 octave.
BAND_RATIO = (bands.band_centres()[1] / bands.band_centres()[0])


def excerpt(name: str) -> tuple[np.ndarray, int, float]:
    """A committed excerpt, its rate and its own edge as the corpus records it."""
    entry = next(e for e in json.loads((EXCERPTS / "excerpts.json").read_text())
                 if e["file"] == f"{name}.flac")
    audio, rate = soundfile.read(EXCERPTS / entry["file"], dtype="float32", always_2d=True)
    return audio, rate, float(entry["band_edge_hz"])


def median_frame_db(audio: np.ndarray, rate: int, low_hz: float, high_hz: float) -> float:
    """The median over STFT frames of the mean log-magnitude of `audio`'s first channel between
    two frequencies, in dB: the level of a typical frame there."""
    log_mag = bands.stft_log_mag(audio[:, 0])
    freqs = np.arange(bands.BINS) * rate / bands.N_FFT
    band = log_mag[:, (freqs >= low_hz) & (freqs < high_hz)].mean(axis=1)
    return float(20 / np.log(10) * np.median(band))


def shaped_noise(cutoff_hz: float, depth_db: float) -> np.ndarray:
    """4 s of stereo white noise whose band above `cutoff_hz` lies `depth_db` lower."""
    rng = np.random.default_rng(7)
    spectrum = np.fft.rfft(rng.standard_normal((4 * RATE_HZ, 2)), axis=0)
    freqs = np.fft.rfftfreq(4 * RATE_HZ, 1 / RATE_HZ)
    spectrum[freqs >= cutoff_hz] *= 10 ** (-depth_db / 20)
    return (0.1 * np.fft.irfft(spectrum, 4 * RATE_HZ, axis=0)).astype(np.float32)


def test_an_ogg_cliff_below_the_recorded_edge_is_where_the_content_ends():
    # The corpus records 22050 Hz for this excerpt (a 90 dB drop), but its Ogg encoder keeps
    # the band above about 16 kHz only in a few loud frames: in a typical frame it is the
    # encoder's floor, not a reference.
    audio, rate, own_edge_hz = excerpt("electronic_pursuit")
    assert own_edge_hz == 22050
    edge_hz = content_edge.content_edge_hz(audio, rate, own_edge_hz)
    assert 15_000 < edge_hz < 17_000
    below = median_frame_db(audio, rate, edge_hz / 1.26, edge_hz)
    above = median_frame_db(audio, rate, edge_hz * BAND_RATIO, 20_000)
    assert above < below - 30, (below, above)


@pytest.mark.parametrize("name", ["drums_amen", "percussion_safari", "percussion_tabla"])
def test_full_band_recordings_keep_their_band_to_the_top(name):
    audio, rate, own_edge_hz = excerpt(name)
    edge_hz = content_edge.content_edge_hz(audio, rate, own_edge_hz)
    assert edge_hz >= 21_000, edge_hz


def test_a_band_limited_recording_ends_at_its_own_edge():
    # The guitar sample was recorded band-limited at about 7.2 kHz: there is nothing above it
    # to find, and nothing below it is taken for a roll-off.
    audio, rate, own_edge_hz = excerpt("guitar_em9")
    assert content_edge.content_edge_hz(audio, rate, own_edge_hz) == pytest.approx(own_edge_hz)


@pytest.mark.parametrize("cutoff_hz", [12_000.0, 16_000.0, 18_500.0])
def test_a_deep_roll_off_is_found_within_a_band(cutoff_hz):
    edge_hz = content_edge.content_edge_hz(shaped_noise(cutoff_hz, 40.0), RATE_HZ,
                                           min(cutoff_hz * 1.2, RATE_HZ / 2))
    assert cutoff_hz / BAND_RATIO ** 1.5 <= edge_hz <= cutoff_hz * BAND_RATIO ** 1.5, edge_hz


def test_a_shallow_step_is_content_not_a_roll_off():
    # 6 dB lower above 16 kHz is a darker top, which the model must learn: it is no codec's
    # cliff, so the content runs on to the edge.
    edge_hz = content_edge.content_edge_hz(shaped_noise(16_000.0, 6.0), RATE_HZ, 20_000.0)
    assert edge_hz == pytest.approx(20_000.0)


def test_the_stft_is_the_engines():
    # A sinusoid centred on bin 100 of the 2048-point periodic-Hann STFT peaks there, at
    # N_FFT / 4 times its amplitude, in every full frame.
    samples = np.arange(bands.N_FFT * 4)
    tone = 0.5 * np.cos(2 * np.pi * 100 * samples / bands.N_FFT)
    log_mag = bands.stft_log_mag(tone)
    assert log_mag.shape == (1 + (len(tone) - bands.N_FFT) // bands.HOP, bands.BINS)
    assert (log_mag.argmax(axis=1) == 100).all()
    assert np.exp(log_mag[:, 100]) == pytest.approx(0.5 * bands.N_FFT / 4, rel=1e-4)
