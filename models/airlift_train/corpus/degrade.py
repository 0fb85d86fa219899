"""Band limits of many shapes: Butterworth of several orders, Chebyshev type I, elliptic, an
FFT brick wall and MP3 through lame at several bit rates, each at a chosen cutoff; and the
codec chains of recorded music (`codec_chain`): lame at its own low-pass, Vorbis, and a
resampler's round trip."""

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


# Bit rates of the codec chains: lame's own low-pass goes with them (about 8 kHz at 32 kbps to
# 20 kHz at 320 kbps).
LAME_KBPS = (32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320)
VORBIS_QUALITIES = (-1, 0, 1, 2, 3, 4)
RESAMPLE_RATES_HZ = (22050, 32000)
CHAINS = ("lame", "vorbis", "resample")


def codec_chain(audio: np.ndarray, rate: int, chain: str, rng: np.random.Generator) -> np.ndarray:
    """`audio` [samples, channels] through one of CHAINS at a random setting: lame at a bit rate
    of LAME_KBPS, oggenc at a quality of VORBIS_QUALITIES, or a round trip through a rate of
    RESAMPLE_RATES_HZ."""
    settings = {"lame": LAME_KBPS, "vorbis": VORBIS_QUALITIES, "resample": RESAMPLE_RATES_HZ}
    return codec_chain_at(audio, rate, chain, int(rng.choice(settings[chain])))


def codec_chain_at(audio: np.ndarray, rate: int, chain: str, setting: int) -> np.ndarray:
    """`audio` [samples, channels] through `chain` at the input's own rate and channel count,
    aligned with the input: lame at `setting` kbps (joint stereo, its own low-pass), oggenc at
    quality `setting`, or a round trip through `setting` Hz."""
    if chain == "resample":
        low = setting
        g = np.gcd(rate, low)
        down = signal.resample_poly(audio, low // g, rate // g, axis=0)
        back = signal.resample_poly(down, rate // g, low // g, axis=0)[: len(audio)]
        return np.pad(back, ((0, len(audio) - len(back)), (0, 0))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        wav, decoded = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        soundfile.write(wav, audio, rate, subtype="FLOAT")
        if chain == "lame":
            encoded = Path(tmp) / "x.mp3"
            kbps = setting
            mode = ["-m", "j"] if audio.shape[1] == 2 else ["-m", "m"]
            subprocess.run(["lame", "--quiet", "-b", str(kbps), *mode, "--resample",
                            f"{rate / 1000:g}", str(wav), str(encoded)], check=True)
            subprocess.run(["lame", "--quiet", "--decode", str(encoded), str(decoded)],
                           check=True)
        elif chain == "vorbis":
            encoded = Path(tmp) / "x.ogg"
            quality = setting
            # oggenc reports the float WAV's extra chunks on stderr even when quiet.
            subprocess.run(["oggenc", "--quiet", "-q", str(quality), "-o", str(encoded),
                            str(wav)], check=True, capture_output=True)
            subprocess.run(["oggdec", "--quiet", "-o", str(decoded), str(encoded)], check=True)
        else:
            raise ValueError(f"unknown codec chain {chain}")
        out, decoded_rate = soundfile.read(decoded, dtype="float32", always_2d=True)
    if decoded_rate != rate:
        raise SystemExit(f"{chain} decoded at {decoded_rate} Hz instead of {rate} Hz")
    mono_in, mono_out = audio.mean(axis=1), out.mean(axis=1)
    probe = min(len(audio), rate * 4)
    corr = signal.correlate(mono_out[: probe + 4096], mono_in[:probe], mode="valid",
                            method="fft")
    delay = int(np.argmax(corr))
    out = out[delay: delay + len(audio)]
    return np.pad(out, ((0, len(audio) - len(out)), (0, 0))).astype(np.float32)


def eq_tilt(audio: np.ndarray, rate: int, db_per_octave: float) -> np.ndarray:
    """`audio` [samples, channels] tilted by `db_per_octave` around 1 kHz (zero phase, in the
    FFT), so the music's own brightness varies before the band limit."""
    spectrum = np.fft.rfft(audio, axis=0)
    freqs = np.maximum(np.fft.rfftfreq(len(audio), 1 / rate), 20.0)
    gain = 10 ** (db_per_octave * np.log2(freqs / 1000.0) / 20)
    return np.fft.irfft(spectrum * gain[:, None], len(audio), axis=0).astype(np.float32)


def noise_floor(audio: np.ndarray, db_below_rms: float, rng: np.random.Generator) -> np.ndarray:
    """`audio` with white noise `db_below_rms` under its RMS: a recording's or a converter's
    floor."""
    rms = float(np.sqrt(np.mean(audio**2)) + 1e-12)
    noise = rng.standard_normal(audio.shape) * rms * 10 ** (-db_below_rms / 20)
    return (audio + noise).astype(np.float32)
