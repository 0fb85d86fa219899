"""Training examples: the engine's STFT of band-limited and full-band music, the low-band
features of every frame (computed once, by the same module the exported graph contains), and
the target power above each example's cutoff. The music is either generated (`degraded_clips`)
or the recorded corpus with the Spectral U-Net's degradations (`corpus_clips`)."""

from dataclasses import dataclass

import numpy as np
import torch

from ..corpus import degrade, music
from ..networks.ddsp import Features
from ..networks.synth import BINS, HOP, N_FFT

# Frames of one training sequence (the ddsp_train module's); a clip must hold one and a look-ahead.
SEQUENCE_FRAMES = 32

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
    edge_bin: float = float(BINS)  # the original's own band edge: nothing above is a reference


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


def corpus_channel(job):
    """One corpus stretch degraded as for the U-Net (`music.degrade_stretch`), one of its
    channels (the plugin runs DDSP per channel): the input's and the reference's log-magnitude
    frames, or `None`."""
    made = music.degrade_stretch(job)
    if made is None or len(made.limited) < N_FFT + HOP * (SEQUENCE_FRAMES + 2):
        return None
    channel = job[2] % made.limited.shape[1]
    log_x = torch.log(stft(made.limited[:, channel]).abs() + 1e-9).float()
    log_y = torch.log(stft(made.reference[:, channel]).abs() + 1e-9).half()
    return log_x, log_y, made.cutoff_bin, made.edge_bin, made.degradation


def corpus_clips(features: Features, split_pieces, per_minute: float, most: int, seed: int):
    """Clips of the recorded-music corpus: stretches of `split_pieces` (`music.pieces`), each
    degraded once by a filter or a codec chain, with the features computed here."""
    clips = []
    for log_x, log_y, cutoff_bin, edge_bin, name in music.examples(
            split_pieces, per_minute, most, seed, make=corpus_channel):
        with torch.no_grad():
            c = torch.full((log_x.shape[0], 1), cutoff_bin)
            feats, loudness, f0 = features(log_x, c)
        clips.append(Clip(feats, loudness, f0, cutoff_bin, log_x.half(), log_y, name, edge_bin))
    return clips
