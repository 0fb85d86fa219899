"""Training examples from the recorded-music corpus (`cargo xtask corpus`): stretches of
pieces, degraded as music reaches users, framed by the engine's STFT and pooled onto the
Spectral U-Net's log-frequency bands.

Every example is one stretch of one piece, both channels: an optional EQ tilt of the original
(the reference), then either a filter at a drawn cutoff (`degrade.lowpass`) or a codec chain
(`degrade.codec_chain`), then sometimes a low noise floor. The cutoff the model is told is the
filter's (or, for a codec, where the degraded band falls 15 dB under the reference's), off by
up to a tenth of an octave, as a detector would be. Everything a loss may not judge is masked:
bands below the crossfade ramp, and bands above the reference's own band edge (an Ogg source
has nothing above its low-pass, so nothing there is a reference).

`make_worn_example` makes a stretch into an old disc's transfer as the U-Net meets it after
Denoise (issue 26): mono, a gentle low-pass under the hiss Denoise leaves.
"""

import json
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import soundfile
from scipy import signal

from ..networks import bands
from ..networks.bands import bands_of
from . import degrade, wear

FILTERS = ("butter4", "butter8", "butter12", "cheby1", "ellip", "brickwall", "mp3")
# Shares of the degradations: filters at drawn cutoffs, and codec chains.
CHAIN_SHARE = 0.4
TILT_SHARE, TILT_DB_PER_OCTAVE = 0.5, 3.0
NOISE_SHARE, NOISE_DB_BELOW_RMS = (0.25, (50.0, 80.0))
CUTOFF_ERROR_OCTAVES = 0.1
# A codec's cutoff: where the degraded band falls this far under the reference's.
CHAIN_DROP_DB = 15.0
# Bit rates of the low-rate MP3 passes (`make_low_rate_mp3_example`): lame leaves holes in the
# top of its band at these rates, which the drawn degradations rarely show.
LOW_RATE_LAME_KBPS = (32, 40, 48, 56, 64, 80, 96)
# Worn transfers as the U-Net meets them after Denoise (issue 26, `make_worn_example`): the
# surface noise that Denoise leaves, this far (dB) under the music (a worn disc's hiss lies 18 to
# 26 dB under it, and Denoise at 100 % turns it down by up to 12 dB below the band limit).
WORN_RESIDUAL_NOISE_DB = (24.0, 45.0)
# Share of the worn examples whose residual noise is the recorded vinyl hiss (its training half).
WORN_RECORDED_SHARE = 0.5
# Stretches quieter than this (RMS, dBFS) teach nothing.
QUIET_DBFS = -60.0
STRETCH_SECONDS = 6.0
RATE_SHARE_44K = 0.3


@dataclass
class Piece:
    """One corpus piece at one rate."""
    path: Path
    rate: int
    band_edge_hz: float
    seconds: float
    kind: str


def pieces(corpus: Path, split: str) -> list[tuple[Piece, Piece]]:
    """The corpus pieces of `split`, each at 48 and 44.1 kHz, in the manifest's order (the
    decoded files, which the corpus builder cuts to its longest stretch)."""
    manifest = json.loads((corpus / "manifest.json").read_text())
    found = []
    for entry in manifest:
        if entry["split"] != split or not entry.get("files"):
            continue
        found.append(tuple(
            Piece(corpus / entry["files"][str(rate)], rate, float(entry["band_edge_hz"]),
                  soundfile.info(corpus / entry["files"][str(rate)]).duration, entry["kind"])
            for rate in (48000, 44100)))
    return found


@dataclass
class Example:
    """One degraded stretch, both channels, on the model's bands."""
    input_bands: np.ndarray   # [channels, frames, BANDS] float16: band means of ln(|X| + 1e-9)
    target_bands: np.ndarray  # [channels, frames, BANDS] float16: the same of the reference
    cutoff_bin: float         # what the model is told
    edge_bin: float           # the reference's own band edge, in bins
    degradation: str


def chain_cutoff_hz(original: np.ndarray, degraded: np.ndarray, rate: int,
                    edge_hz: float) -> float:
    """Where `degraded` falls `CHAIN_DROP_DB` under `original` for good: the lowest 1/24-octave
    band from 1 kHz up above which every band to the reference's edge is that far down."""
    def band_db(audio):
        spectrum = np.abs(np.fft.rfft(audio.mean(axis=1) * np.hanning(len(audio)))) ** 2
        return spectrum
    ref, deg = band_db(original), band_db(degraded)
    freqs = np.fft.rfftfreq(len(original), 1 / rate)
    centres = 1000 * 2 ** (np.arange(0, 5 * 24) / 24)
    centres = centres[centres < min(edge_hz, rate / 2) * 2 ** (-1 / 48)]
    drops = []
    for c in centres:
        sel = (freqs >= c * 2 ** (-1 / 48)) & (freqs < c * 2 ** (1 / 48))
        drops.append(10 * np.log10((deg[sel].sum() + 1e-20) / (ref[sel].sum() + 1e-20)))
    drops = np.array(drops)
    down = drops < -CHAIN_DROP_DB
    for i in range(len(centres)):
        if down[i:].all():
            return float(centres[i] * 2 ** (-1 / 48))
    return float(edge_hz)


@dataclass
class Degraded:
    """One stretch as it reaches users, next to its reference."""
    reference: np.ndarray  # [samples, channels] float32: the original, EQ tilt included
    limited: np.ndarray    # [samples, channels] float32: after the band limit and noise floor
    rate: int
    cutoff_bin: float      # what the model is told
    edge_bin: float        # the reference's own band edge, in bins
    degradation: str


def read_stretch(piece: Piece, start_s: float, dtype: str) -> np.ndarray | None:
    """Up to `STRETCH_SECONDS` of `piece` from `start_s`, `[samples, channels]`; `None` when
    fewer than four FFT frames are left there."""
    info = soundfile.info(piece.path)
    start = int(start_s * piece.rate)
    length = min(int(STRETCH_SECONDS * piece.rate), info.frames - start)
    if length < bands.N_FFT * 4:
        return None
    audio, _ = soundfile.read(piece.path, start=start, frames=length, dtype=dtype,
                              always_2d=True)
    return audio


def degrade_stretch(job, low_rate_mp3: bool = False) -> Degraded | None:
    """Reads and degrades one stretch (`job` = piece, start second, seed); `None` for a quiet
    stretch, a short one, or a codec that left nothing to restore. With `low_rate_mp3` the band
    limit is always lame at one of LOW_RATE_LAME_KBPS."""
    piece, start_s, seed = job
    rng = np.random.default_rng(seed)
    audio = read_stretch(piece, start_s, "float32")
    if audio is None or 20 * np.log10(np.sqrt(np.mean(audio**2)) + 1e-12) < QUIET_DBFS:
        return None
    if rng.random() < TILT_SHARE:
        audio = degrade.eq_tilt(audio, piece.rate,
                                rng.uniform(-TILT_DB_PER_OCTAVE, TILT_DB_PER_OCTAVE))
        peak = np.max(np.abs(audio))
        if peak > 0.99:
            audio *= 0.99 / peak
    edge_hz = min(piece.band_edge_hz, piece.rate / 2)
    top_hz = edge_hz * 2 ** (-1 / 3)
    if low_rate_mp3 or rng.random() < CHAIN_SHARE:
        if low_rate_mp3:
            name = "lame"
            limited = degrade.codec_chain_at(audio, piece.rate, name,
                                             int(rng.choice(LOW_RATE_LAME_KBPS)))
        else:
            name = str(rng.choice(degrade.CHAINS))
            limited = degrade.codec_chain(audio, piece.rate, name, rng)
        cutoff_hz = chain_cutoff_hz(audio, limited, piece.rate, edge_hz)
        if cutoff_hz > top_hz:
            return None
    else:
        name = str(rng.choice(FILTERS))
        cutoff_hz = min(degrade.random_cutoff_hz(rng), top_hz)
        limited = np.stack([degrade.lowpass(audio[:, c], piece.rate, name, cutoff_hz, rng)
                            for c in range(audio.shape[1])], axis=1)
    if rng.random() < NOISE_SHARE:
        limited = degrade.noise_floor(limited, rng.uniform(*NOISE_DB_BELOW_RMS), rng)
    bin_hz = piece.rate / bands.N_FFT
    told_hz = cutoff_hz * 2 ** rng.uniform(-CUTOFF_ERROR_OCTAVES, CUTOFF_ERROR_OCTAVES)
    return Degraded(audio, limited, piece.rate, told_hz / bin_hz, edge_hz / bin_hz, name)


def make_example(job, low_rate_mp3: bool = False) -> Example | None:
    """One degraded stretch (`degrade_stretch`) on the U-Net's bands."""
    made = degrade_stretch(job, low_rate_mp3)
    if made is None:
        return None
    return Example(bands_of(made.limited), bands_of(made.reference), made.cutoff_bin,
                   made.edge_bin, made.degradation)


def make_low_rate_mp3_example(job) -> Example | None:
    """`make_example` with the band limit always a low-rate MP3."""
    return make_example(job, low_rate_mp3=True)


def make_worn_example(job) -> Example | None:
    """One stretch as an old disc's transfer reaches the U-Net after Denoise: mono, a groove
    high-pass and a gentle Butterworth low-pass of order 1 to 4 at 2.5 to 6 kHz (the ranges of
    `wear`, applied as magnitudes only, as there), under the surface noise that Denoise leaves
    (`WORN_RESIDUAL_NOISE_DB`; groove-shaped hiss, or the training half of the recorded vinyl
    hiss). The reference is the clean mono music; the model is told the corner, off by up to
    `CUTOFF_ERROR_OCTAVES`, as a cutoff set by ear would be. `None` for a quiet or short stretch."""
    piece, start_s, seed = job
    rng = np.random.default_rng(seed)
    audio = read_stretch(piece, start_s, "float64")
    if audio is None:
        return None
    mono = audio.mean(axis=1)
    if 20 * np.log10(wear.rms(mono)) < QUIET_DBFS:
        return None
    rate = piece.rate
    order = int(rng.choice(wear.LOWPASS_ORDERS))
    corner_hz = float(np.exp(rng.uniform(*np.log(wear.LOWPASS_HZ))))
    high_pass = signal.butter(2, rng.uniform(30, 70) / (rate / 2), btype="high", output="sos")
    low_pass = signal.butter(order, corner_hz / (rate / 2), output="sos")
    filtered = wear.magnitude_only(mono, rate, high_pass, low_pass)
    if rng.random() < WORN_RECORDED_SHARE:
        hiss = wear.recorded_hiss(len(mono), rate, rng, "training")
    else:
        hiss = wear.groove_hiss(len(mono), rate, rng)
    hiss *= wear.rms(filtered) * 10 ** (-rng.uniform(*WORN_RESIDUAL_NOISE_DB) / 20) / wear.rms(hiss)
    limited = filtered + hiss
    scale = min(1.0, 0.99 / max(np.abs(limited).max(), np.abs(mono).max(), 1e-9))
    edge_hz = min(piece.band_edge_hz, rate / 2)
    told_hz = corner_hz * 2 ** rng.uniform(-CUTOFF_ERROR_OCTAVES, CUTOFF_ERROR_OCTAVES)
    bin_hz = rate / bands.N_FFT
    return Example(bands_of((limited * scale)[:, None].astype(np.float32)),
                   bands_of((mono * scale)[:, None].astype(np.float32)), told_hz / bin_hz,
                   edge_hz / bin_hz, "worn")


def jobs(split_pieces, stretches_per_minute: float, most_per_piece: int, seed: int):
    """Stretches to cut: for each piece a few starts spread over it, at 48 kHz or 44.1 kHz."""
    rng = np.random.default_rng(seed)
    planned = []
    for at_48k, at_44k in split_pieces:
        piece = at_44k if rng.random() < RATE_SHARE_44K else at_48k
        count = int(np.clip(round(piece.seconds / 60 * stretches_per_minute), 1, most_per_piece))
        span = max(piece.seconds - STRETCH_SECONDS, 0.0)
        for i in range(count):
            start = span * (i + rng.uniform(0.1, 0.9)) / count
            planned.append((piece, float(start), int(rng.integers(2**63))))
    return planned


def examples(split_pieces, stretches_per_minute: float, most_per_piece: int, seed: int,
             processes: int = 2, make=make_example) -> list:
    """Builds the examples of a split with `make` (one job in, one example or `None` out) in
    `processes` processes (the order is the jobs'). The processes are spawned, not forked: a
    fork of a process whose PyTorch thread pool has started hangs in its first operation."""
    planned = jobs(split_pieces, stretches_per_minute, most_per_piece, seed)
    with get_context("spawn").Pool(processes) as pool:
        made = pool.map(make, planned, chunksize=4)
    return [e for e in made if e is not None]
