"""Training examples: the engine's STFT of band-limited and full-band music, the low-band
features of every frame (computed once, by the same module the exported graph contains), and
the target power above each example's cutoff."""

from dataclasses import dataclass

import numpy as np
import torch

from . import degrade
from .model import Features
from .synth import BINS, HOP, N_FFT

WINDOW = torch.hann_window(N_FFT, periodic=True, dtype=torch.float64)


def stft(audio: np.ndarray) -> torch.Tensor:
    """The engine's frames [frames, BINS] (periodic Hann, unnormalized, no padding)."""
    x = torch.from_numpy(audio.astype(np.float64))
    return torch.stft(x, N_FFT, HOP, window=WINDOW, center=False, return_complex=True).T


@dataclass
class Clip:
    """One band-limited clip, frame by frame."""
    features: torch.Tensor   # [T, F]
    loudness: torch.Tensor   # [T, 1]
    f0: torch.Tensor         # [T, SOURCES]
    cutoff_bin: float        # what the model is told (the true cutoff, jittered)
    input_log_mag: torch.Tensor   # [T, BINS] float16, ln(|X| + 1e-9) of the band-limited input
    target_log_mag: torch.Tensor  # [T, BINS] float16, same for the full-band original
    shape: str


def make_clip(features: Features, original: np.ndarray, limited: np.ndarray, cutoff_hz: float,
              rate: int, shape: str, rng: np.random.Generator) -> Clip:
    told_hz = cutoff_hz * 2 ** rng.uniform(-0.04, 0.04)
    cutoff_bin = told_hz / (rate / N_FFT)
    x = stft(limited)
    y = stft(original)
    log_x = torch.log(x.abs() + 1e-9).float()
    with torch.no_grad():
        c = torch.full((log_x.shape[0], 1), cutoff_bin)
        feats, loudness, f0 = features(log_x, c)
    return Clip(feats, loudness, f0, cutoff_bin, log_x.half(),
                torch.log(y.abs() + 1e-9).half(), shape)


def degraded_clips(features, pieces, rate, per_piece, rng):
    """Band-limits every piece `per_piece` times with random shapes and cutoffs."""
    clips = []
    for audio in pieces:
        # All of a piece's draws come first, then the filters' own: the committed model was
        # trained on this order.
        combos = [(str(rng.choice(degrade.SHAPES)), degrade.random_cutoff_hz(rng))
                  for _ in range(per_piece)]
        for shape, cutoff in combos:
            limited = degrade.lowpass(audio, rate, shape, cutoff, rng)
            clips.append(make_clip(features, audio, limited, cutoff, rate, shape, rng))
    return clips
