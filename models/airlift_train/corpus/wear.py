"""Worn transfers: recorded music made to sound like an old disc played back and digitized.

The chain follows the historical-music literature (BEHM-GAN trained on gentle random low-passes
under noise) and issue 26's description of a worn 78 rpm transfer:
- mono (a transfer of a mono disc; a stereo track holds it in both channels);
- a groove high-pass (Butterworth of order 2 at 30 to 70 Hz);
  both filters are applied as magnitudes only, with no phase shift (`magnitude_only`);
- a gentle low-pass: Butterworth of order 1 to 4 at 2.5 to 6 kHz (`LOWPASS_*`; the test
  conditions use order 2 to 4 at 3.5 to 5 kHz);
- surface noise 18 to 26 dB under the music: simulated hiss shaped as a groove's (falling
  with frequency, band-limited by the playback chain near 9 kHz), or recorded vinyl hiss
  (`sonic-pi-samples`' `vinyl_hiss.flac`: its first half for training, its second half kept for
  tests), at a level that drifts slowly (wow of the surface); for training, hiss of other
  slopes too (`coloured_hiss`) and other levels (`noise_under_music_db`);
- 8 to 25 clicks a second (short decaying impulses of either sign, some large) and a bed of
  small crackle;
- a little mains hum (50 or 60 Hz and its harmonics) 35 to 50 dB under the music, in half the
  transfers.

`wear` returns the worn transfer, the clean reference (the mono music, full band) and the
music alone through the same filters (so that what noise and distortion remain can be told
from what the filters took).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from scipy import signal

# The recorded surface noise (Debian's `sonic-pi-samples`).
VINYL_HISS = Path("/usr/share/sonic-pi/samples/vinyl_hiss.flac")
# The share of the recording used for training; the rest is kept for tests.
VINYL_TRAINING_SHARE = 0.5

# The low-pass of the worn disc: Butterworth orders and corners (training ranges).
LOWPASS_ORDERS = (1, 2, 3, 4)
LOWPASS_HZ = (2500.0, 6000.0)
# The test conditions, as issue 26 describes a worn 78 rpm transfer.
TEST_LOWPASS_ORDERS = (2, 3, 4)
TEST_LOWPASS_HZ = (3500.0, 5000.0)
# Where the playback chain band-limits the surface noise.
NOISE_LOWPASS_HZ = (8000.0, 10000.0)
# Noise level under the music's RMS, in dB.
NOISE_UNDER_MUSIC_DB = (18.0, 26.0)
# The slopes of the "coloured" hiss, in dB an octave (0 is white, -3 pink).
COLOURED_SLOPE_DB_PER_OCTAVE = (-6.0, 0.0)
# Clicks per second.
CLICKS_PER_SECOND = (8.0, 25.0)
# Hum under the music, in dB.
HUM_UNDER_MUSIC_DB = (35.0, 50.0)


@dataclass
class Worn:
    """One worn transfer and what it was made from."""

    # The worn transfer, mono, `[samples]`.
    worn: np.ndarray
    # The clean music, mono and full band: what a restoration aims for.
    clean: np.ndarray
    # The clean music through the same high-pass and low-pass, without noise.
    filtered: np.ndarray
    # The low-pass corner in Hz and its order.
    lowpass_hz: float
    lowpass_order: int
    # Which noise: "simulated", "coloured" or "recorded".
    noise: str


def rms(x: np.ndarray) -> float:
    """Root mean square of `x`."""
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def groove_hiss(samples: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """White noise shaped as a groove's surface: a first-order tilt (about -6 dB an octave
    above 1 to 3 kHz) and the playback chain's low-pass near 9 kHz."""
    white = rng.standard_normal(samples)
    tilt = signal.butter(1, rng.uniform(1000, 3000) / (rate / 2), output="sos")
    shaped = 0.3 * white + signal.sosfilt(tilt, white)
    return signal.sosfilt(
        signal.butter(2, rng.uniform(*NOISE_LOWPASS_HZ) / (rate / 2), output="sos"), shaped)


def coloured_hiss(samples: int, rate: int, rng: np.random.Generator,
                  playback_lowpass: bool = True) -> np.ndarray:
    """White noise tilted by a drawn slope (`COLOURED_SLOPE_DB_PER_OCTAVE`, from white to
    steeper than pink) and low-passed by the playback chain near 9 kHz (unless not
    `playback_lowpass`: a hiss over the whole band, as a tape's or a preamplifier's): hiss of
    other shapes than the groove's, so that a model does not learn one hiss."""
    spectrum = np.fft.rfft(rng.standard_normal(samples))
    freqs = np.maximum(np.fft.rfftfreq(samples, 1 / rate), 20.0)
    slope = rng.uniform(*COLOURED_SLOPE_DB_PER_OCTAVE)
    shaped = np.fft.irfft(spectrum * 10 ** (slope * np.log2(freqs / 1000.0) / 20), samples)
    if not playback_lowpass:
        return shaped
    return signal.sosfilt(
        signal.butter(2, rng.uniform(*NOISE_LOWPASS_HZ) / (rate / 2), output="sos"), shaped)


def recorded_hiss(samples: int, rate: int, rng: np.random.Generator, part: str) -> np.ndarray:
    """A stretch of the recorded vinyl hiss (mono), looped to `samples`: from its first half
    for `part == "training"`, its second half for `part == "test"`."""
    hiss, hiss_rate = soundfile.read(VINYL_HISS, dtype="float64", always_2d=True)
    hiss = hiss.mean(axis=1)
    if hiss_rate != rate:
        g = np.gcd(hiss_rate, rate)
        hiss = signal.resample_poly(hiss, rate // g, hiss_rate // g)
    split = int(len(hiss) * VINYL_TRAINING_SHARE)
    hiss = hiss[:split] if part == "training" else hiss[split:]
    start = int(rng.integers(0, len(hiss)))
    return np.tile(np.roll(hiss, -start), samples // len(hiss) + 1)[:samples]


def clicks(samples: int, rate: int, level: float, rng: np.random.Generator) -> np.ndarray:
    """Clicks (short decaying impulses of either sign, from 0.3 to 3 times `level` times 10)
    and a bed of crackle (many small ones)."""
    out = np.zeros(samples)
    seconds = samples / rate
    for count, scale in ((rng.uniform(*CLICKS_PER_SECOND) * seconds, 10.0),
                         (rng.uniform(20, 60) * seconds, 2.0)):
        for _ in range(int(count)):
            at = int(rng.integers(0, samples - 64))
            length = int(rng.integers(2, 40 if scale > 5 else 8))
            decay = np.exp(-np.arange(length) / max(length / 4, 1))
            shape = decay * rng.standard_normal(length)
            shape /= np.abs(shape).max() + 1e-12
            out[at:at + length] += rng.choice((-1, 1)) * level * scale * rng.uniform(0.3, 3) * shape
    return out


def hum(samples: int, rate: int, level: float, rng: np.random.Generator) -> np.ndarray:
    """Mains hum at 50 or 60 Hz with its first harmonics, at RMS `level`."""
    t = np.arange(samples) / rate
    f0 = float(rng.choice((50.0, 60.0)))
    tone = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k
               for k in (1, 2, 3, 5))
    return level * tone / rms(tone)


def magnitude_only(x: np.ndarray, rate: int, *filters: np.ndarray) -> np.ndarray:
    """`x` through the magnitude responses of `filters` (second-order sections), with no
    phase shift. A disc's and a transfer's filters shift the phase too, but no restoration can
    know or undo that shift, and below 100 Hz it alone would set SI-SDR against the clean music
    at -20 dB on bass-heavy pieces: zero phase keeps SI-SDR a measure of noise and band."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    for sos in filters:
        spectrum = spectrum * np.abs(signal.sosfreqz(sos, worN=freqs, fs=rate)[1])
    return np.fft.irfft(spectrum, len(x))


def wear(audio: np.ndarray, rate: int, rng: np.random.Generator, *, noise: str = "simulated",
         part: str = "training", test_conditions: bool = False,
         noise_under_music_db: tuple[float, float] = NOISE_UNDER_MUSIC_DB,
         with_clicks: bool = True) -> Worn:
    """`audio` `[samples]` or `[samples, channels]` as a worn transfer. `noise` is "simulated"
    (the groove's hiss), "coloured" (`coloured_hiss`) or "recorded"; `part` chooses the
    training or test half of the recorded noise; `test_conditions` narrows the low-pass to the
    test ranges; the hiss lies `noise_under_music_db` (a range) under the music; without
    `with_clicks` there are no clicks nor crackle (a transfer cleaned of them before)."""
    mono = audio if audio.ndim == 1 else audio.mean(axis=1)
    mono = mono.astype(np.float64)
    samples = len(mono)
    orders = TEST_LOWPASS_ORDERS if test_conditions else LOWPASS_ORDERS
    corners = TEST_LOWPASS_HZ if test_conditions else LOWPASS_HZ
    order = int(rng.choice(orders))
    corner = float(np.exp(rng.uniform(np.log(corners[0]), np.log(corners[1]))))
    high_pass = signal.butter(2, rng.uniform(30, 70) / (rate / 2), btype="high", output="sos")
    low_pass = signal.butter(order, corner / (rate / 2), output="sos")
    filtered = magnitude_only(mono, rate, high_pass, low_pass)
    music_rms = rms(filtered)
    if noise == "recorded":
        hiss = recorded_hiss(samples, rate, rng, part)
    elif noise == "coloured":
        hiss = coloured_hiss(samples, rate, rng)
    else:
        hiss = groove_hiss(samples, rate, rng)
    # The surface's level drifts a little with the groove (a few dB over a second or two).
    drift = 1 + 0.25 * np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * np.arange(samples) / rate
                              + rng.uniform(0, 2 * np.pi))
    hiss = drift * hiss
    noise_level = music_rms * 10 ** (-rng.uniform(*noise_under_music_db) / 20)
    hiss *= noise_level / rms(hiss)
    worn = filtered + hiss
    if with_clicks:
        worn += clicks(samples, rate, noise_level, rng)
    if rng.uniform() < 0.5:
        worn += hum(samples, rate, music_rms * 10 ** (-rng.uniform(*HUM_UNDER_MUSIC_DB) / 20),
                    rng)
    peak = max(np.abs(worn).max(), 1e-9)
    scale = min(1.0, 0.9 / peak)
    return Worn(worn=(worn * scale).astype(np.float32), clean=(mono * scale).astype(np.float32),
                filtered=(filtered * scale).astype(np.float32), lowpass_hz=corner,
                lowpass_order=order, noise=noise)
