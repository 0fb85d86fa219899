"""The DDSP bandwidth extender: low-band features (computed inside the graph), a small GRU, and
per-frame controls for the harmonic-plus-noise synthesizer.

Streaming interface (one step per STFT frame, batch = audio channels):
  log_mag   [B, 2, BINS]  ln(|X| + 1e-9) of the frame to generate and of the next one
  cutoff_bin [B, 1]       the cutoff in bins (Hz / bin width)
  state_in  [B, STATE]    the GRU state after the previous frame (zeros at the start)
outputs:
  f0_bins           [B, SOURCES]             fundamental of each harmonic source, in bins
  harmonic_mags     [B, SOURCES, HARMONICS]  peak STFT magnitude of each harmonic (0: none)
  noise_log_mags    [B, ENVELOPE_BANDS]      ln of the noise magnitude at the band centres
  state_out         [B, STATE]
Everything below the crossfade ramp (a semitone under the cutoff) is the only input the
features see: the model never reads the band it replaces.
"""

import math

import numpy as np
import torch
from torch import nn

from . import synth
from .synth import BINS

SOURCES = 2
HARMONICS = 256
STATE = 96
LOG_FLOOR = 1e-9
RAMP_RATIO = 2 ** (-1 / 12)

# Harmonic salience: candidate fundamentals from 4 to 64 bins (94 Hz to 1.5 kHz at 48 kHz) in
# 1/48-octave steps, each scored by its first SALIENCE_HARMONICS harmonics.
F0_LOWEST_BIN = 4.0
F0_STEPS_PER_OCTAVE = 48
F0_CANDIDATES = 4 * F0_STEPS_PER_OCTAVE + 1
SALIENCE_HARMONICS = 10
SALIENCE_DECAY = 0.85
SALIENCE_RANGE_NEPERS = 7.0

# Feature bands: log-spaced over the whole spectrum, masked to the low band.
FEATURE_EDGES = np.unique(np.round(np.geomspace(2, BINS - 1, 41)).astype(int))


def salience_matrix() -> np.ndarray:
    """[BINS, F0_CANDIDATES]: weight of each bin in each candidate's harmonic sum."""
    matrix = np.zeros((BINS, F0_CANDIDATES), dtype=np.float32)
    for j in range(F0_CANDIDATES):
        f0 = F0_LOWEST_BIN * 2 ** (j / F0_STEPS_PER_OCTAVE)
        for h in range(1, SALIENCE_HARMONICS + 1):
            pos = h * f0
            lo = int(math.floor(pos))
            if lo + 1 >= BINS:
                break
            frac = pos - lo
            weight = SALIENCE_DECAY ** (h - 1)
            matrix[lo, j] += weight * (1 - frac)
            matrix[lo + 1, j] += weight * frac
    return matrix


def band_matrix() -> np.ndarray:
    """[BINS, bands]: 1 where a bin belongs to a feature band."""
    edges = FEATURE_EDGES
    matrix = np.zeros((BINS, len(edges) - 1), dtype=np.float32)
    for b in range(len(edges) - 1):
        matrix[edges[b]:edges[b + 1], b] = 1
    return matrix


class Features(nn.Module):
    """Low-band features of one frame: band log-powers relative to the frame's loudness, which
    bands are present, the loudness, the cutoff, and the two strongest pitch candidates."""

    def __init__(self):
        super().__init__()
        self.register_buffer("salience", torch.from_numpy(salience_matrix()))
        self.register_buffer("bands", torch.from_numpy(band_matrix()))
        self.register_buffer("bin_index", torch.arange(BINS, dtype=torch.float32))
        grid = F0_LOWEST_BIN * 2 ** (torch.arange(F0_CANDIDATES) / F0_STEPS_PER_OCTAVE)
        self.register_buffer("f0_grid", grid.float())

    @property
    def size(self) -> int:
        return 2 * self.bands.shape[1] + 2 + 2 * SOURCES

    def forward(self, log_mag: torch.Tensor, cutoff_bin: torch.Tensor):
        """log_mag [N, BINS], cutoff_bin [N, 1] -> (features [N, size], loudness [N, 1],
        f0_bins [N, SOURCES])."""
        low = (self.bin_index < cutoff_bin * RAMP_RATIO).float()
        power = torch.exp(2 * log_mag) * low
        count = low.sum(-1, keepdim=True).clamp(min=1)
        loudness = torch.log(power.sum(-1, keepdim=True) / count + 1e-12)
        band_count = low @ self.bands
        present = band_count / self.bands.sum(0)
        band_power = torch.log((power @ self.bands) / band_count.clamp(min=1) + 1e-12)
        relative = (band_power - loudness) * (band_count > 0).float()
        # Salience over the low band, on a log scale clipped to its top SALIENCE_RANGE_NEPERS.
        top = (log_mag * low + (low - 1) * 1e4).amax(-1, keepdim=True)
        compressed = torch.relu(log_mag - (top - SALIENCE_RANGE_NEPERS)) * low
        salience = compressed @ self.salience
        left = torch.cat([salience[:, :1], salience[:, :-1]], -1)
        right = torch.cat([salience[:, 1:], salience[:, -1:]], -1)
        peaks = salience * ((salience >= left) & (salience > right)).float()
        strength, index = torch.topk(peaks, SOURCES, dim=-1)
        s_left = torch.gather(left, -1, index)
        s_right = torch.gather(right, -1, index)
        curvature = s_left - 2 * strength + s_right
        offset = 0.5 * (s_left - s_right) / torch.where(curvature < -1e-6, curvature,
                                                        torch.full_like(curvature, -1e6))
        offset = offset.clamp(-0.5, 0.5)
        f0 = torch.gather(self.f0_grid.expand_as(salience), -1, index)
        f0 = f0 * torch.exp(offset * (math.log(2) / F0_STEPS_PER_OCTAVE))
        norm = compressed.sum(-1, keepdim=True).clamp(min=1e-3)
        features = torch.cat([
            relative / 4, present, loudness / 10 + 1,
            torch.log(cutoff_bin / 256) / math.log(2), torch.log(f0 / 16) / (2 * math.log(2)),
            strength / norm,
        ], -1)
        return features, loudness, f0


class DdspBwe(nn.Module):
    """Features of the current and the next frame -> GRU -> harmonic envelopes per source and
    the noise envelope, relative to the frame's loudness."""

    def __init__(self):
        super().__init__()
        self.features = Features()
        width = 2 * self.features.size
        self.encoder = nn.Sequential(nn.Linear(width, 160), nn.LeakyReLU(0.1),
                                     nn.Linear(160, STATE), nn.LeakyReLU(0.1))
        self.gru = nn.GRU(STATE, STATE, batch_first=True)
        self.decoder = nn.Sequential(nn.Linear(2 * STATE, 160), nn.LeakyReLU(0.1),
                                     nn.Linear(160, (SOURCES + 1) * synth.ENVELOPE_BANDS))
        harmonics = torch.arange(1, HARMONICS + 1, dtype=torch.float32)
        self.register_buffer("harmonic_numbers", harmonics)

    def controls(self, feats_now, feats_next, loudness, f0, cutoff_bin, state):
        """Sequence form: tensors [B, T, ...] (state [1, B, STATE]) -> controls [B, T, ...]."""
        x = self.encoder(torch.cat([feats_now, feats_next], -1))
        y, state = self.gru(x, state)
        out = self.decoder(torch.cat([x, y], -1))
        bands = synth.ENVELOPE_BANDS
        level = loudness / 2 + math.log(32.0)
        harmonic_env = out[..., : SOURCES * bands].unflatten(-1, (SOURCES, bands))
        harmonic_env = harmonic_env - 3 + level.unsqueeze(-1)
        noise_log = out[..., SOURCES * bands:] - 2 + level
        freq = f0.unsqueeze(-1) * self.harmonic_numbers
        amp = torch.exp(synth.envelope_at(harmonic_env, freq))
        keep = (freq >= cutoff_bin.unsqueeze(-1) * RAMP_RATIO - 1) & (freq < BINS - 5)
        mags = amp * keep.float()
        return mags, noise_log, state

    def forward(self, log_mag, cutoff_bin, state_in):
        """The exported streaming step (see the module docs)."""
        feats_now, loudness, f0 = self.features(log_mag[:, 0], cutoff_bin)
        feats_next, _, _ = self.features(log_mag[:, 1], cutoff_bin)
        mags, noise_log, state = self.controls(
            feats_now[:, None], feats_next[:, None], loudness[:, None], f0[:, None],
            cutoff_bin[:, None], state_in[None])
        return f0, mags[:, 0], noise_log[:, 0], state[0]
