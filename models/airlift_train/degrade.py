"""Band limits of many shapes: Butterworth of several orders, Chebyshev type I, elliptic, an
FFT brick wall and MP3 through lame at several bit rates, each at a chosen cutoff."""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
from scipy import signal

SHAPES = ["butter4", "butter8", "butter12", "cheby1", "ellip", "brickwall", "mp3"]


def lowpass(audio: np.ndarray, rate: int, shape: str, cutoff_hz: float,
            rng: np.random.Generator) -> np.ndarray:
    """`audio` band-limited at `cutoff_hz` with the filter `shape` (one of SHAPES)."""
    nyquist = rate / 2
    if shape.startswith("butter"):
        sos = signal.butter(int(shape[6:]), cutoff_hz / nyquist, output="sos")
        return signal.sosfilt(sos, audio).astype(np.float32)
    if shape == "cheby1":
        order = int(rng.integers(5, 9))
        sos = signal.cheby1(order, rng.uniform(0.1, 1.0), cutoff_hz / nyquist, output="sos")
        return signal.sosfilt(sos, audio).astype(np.float32)
    if shape == "ellip":
        order = int(rng.integers(5, 9))
        sos = signal.ellip(order, rng.uniform(0.1, 1.0), rng.uniform(50, 80),
                           cutoff_hz / nyquist, output="sos")
        return signal.sosfilt(sos, audio).astype(np.float32)
    if shape == "brickwall":
        spectrum = np.fft.rfft(audio)
        freqs = np.fft.rfftfreq(len(audio), 1 / rate)
        spectrum[freqs >= cutoff_hz] = 0
        return np.fft.irfft(spectrum, len(audio)).astype(np.float32)
    if shape == "mp3":
        return mp3(audio, rate, cutoff_hz, int(rng.choice([64, 96, 128, 160])))
    raise ValueError(f"unknown band-limit shape {shape}")


def mp3(audio: np.ndarray, rate: int, cutoff_hz: float, kbps: int) -> np.ndarray:
    """Encodes with lame at `kbps` and its low-pass at `cutoff_hz` (keeping the sample rate),
    decodes, and aligns the result with the input (lame's delay is removed by
    cross-correlation)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav, encoded, decoded = (Path(tmp) / n for n in ("in.wav", "x.mp3", "out.wav"))
        soundfile.write(wav, audio, rate, subtype="FLOAT")
        # --resample keeps the rate: lame otherwise lowers it with a low low-pass.
        subprocess.run(["lame", "--quiet", "-b", str(kbps), "--resample", f"{rate / 1000:g}",
                        "--lowpass", f"{cutoff_hz / 1000:.3f}", str(wav), str(encoded)],
                       check=True)
        subprocess.run(["lame", "--quiet", "--decode", str(encoded), str(decoded)], check=True)
        out, decoded_rate = soundfile.read(decoded, dtype="float32")
    if decoded_rate != rate:
        raise SystemExit(f"lame decoded at {decoded_rate} Hz instead of {rate} Hz")
    if out.ndim > 1:
        out = out.mean(axis=1)
    probe = min(len(audio), rate * 4)
    corr = signal.correlate(out[: probe + 4096], audio[:probe], mode="valid", method="fft")
    delay = int(np.argmax(corr))
    out = out[delay: delay + len(audio)]
    return np.pad(out, (0, len(audio) - len(out))).astype(np.float32)


def random_cutoff_hz(rng: np.random.Generator) -> float:
    """A cutoff between 2 and 16 kHz, uniform in octaves."""
    return float(2000 * 2 ** rng.uniform(0, 3))
