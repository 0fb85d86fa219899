"""The Spectral U-Net: inpaints the high band's log-magnitude envelope from the low band, one
streaming step per STFT frame.

Streaming interface (batch = audio channels):
  log_mag    [B, FRAMES, BINS]  ln(|X| + 1e-9) of CONTEXT past frames, the frame to generate and
                                LOOKAHEAD future frames, oldest first
  cutoff_bin [B, 1]             the cutoff in bins (Hz / bin width)
output:
  high_log_mag [B, BINS]        ln of the generated magnitude of the frame to generate

Everything is in bin units (the engine's STFT keeps the bin width at every rate), so one model
serves every rate: the engine gives it the first BINS bins, up to 24 kHz.

The spectrum is read on a log-frequency axis (BANDS bands of about 1/18 octave, as a
constant-Q transform would see it): a fixed pooling matrix turns the bins into band
log-magnitudes and a fixed interpolation matrix turns the generated band envelope back into
bins (both in `bands`, which needs numpy only, and re-exported here). In between:
- a stem that looks along time only (a (3, 1) convolution over the frames of every band), so
  onsets and decays in the low band are seen;
- a 1-D U-Net along the band axis with skip connections, filters of 5 bands, and a fully
  connected bottleneck that lets the top octave see the whole low band;
- the bands above the crossfade ramp are masked on the way in: the model never reads the band
  it replaces.
Levels are relative to the current frame's loudness (the mean log-magnitude of its bands below
the ramp), so the model is the same at every playback level.
"""

import math

import numpy as np
import torch
from torch import nn

from .bands import (BANDS, BINS, HIGHEST_BIN, HOP, LOG_FLOOR, LOWEST_BIN, N_FFT,  # noqa: F401
                    band_centres, bins_per_band, expansion_matrix, pooling_matrix)

CONTEXT = 14
LOOKAHEAD = 1
FRAMES = CONTEXT + 1 + LOOKAHEAD
RAMP_RATIO = 2 ** (-1 / 12)

# Widths of the U-Net's levels (channels) and its bottleneck.
WIDTHS = (32, 48, 64, 96)
STEM_CHANNELS = 8
BOTTLENECK = 256
KERNEL = 5

# Normalized log-magnitudes are kept in this range (nepers relative to the frame's loudness).
LEVEL_RANGE = (-20.0, 8.0)


class Block(nn.Module):
    """Two convolutions along the band axis, each followed by GELU."""

    def __init__(self, inputs: int, outputs: int):
        super().__init__()
        self.first = nn.Conv1d(inputs, outputs, KERNEL, padding=KERNEL // 2)
        self.second = nn.Conv1d(outputs, outputs, KERNEL, padding=KERNEL // 2)

    def forward(self, x):
        return torch.nn.functional.gelu(self.second(torch.nn.functional.gelu(self.first(x))))


class SpectralUnet(nn.Module):
    """The streaming step (see the module docs); `bands_forward` is the same network on band
    log-magnitudes already pooled, which is what training feeds."""

    def __init__(self):
        super().__init__()
        self.register_buffer("pool", torch.from_numpy(pooling_matrix()))
        self.register_buffer("expand", torch.from_numpy(expansion_matrix()))
        self.register_buffer("centres", torch.from_numpy(band_centres().astype(np.float32)))
        # Added to the exported envelope (nepers): set by the pipeline's calibration, which
        # measures through the engine how much level the overlap-add of generated frames with
        # borrowed phases loses.
        self.register_buffer("level_offset", torch.zeros(()))
        self.stem = nn.Conv2d(1, STEM_CHANNELS, (3, 1))
        stem_out = STEM_CHANNELS * (FRAMES - 2) + 3
        self.down = nn.ModuleList()
        inputs = stem_out
        for width in WIDTHS:
            self.down.append(Block(inputs, width))
            inputs = width
        deepest = BANDS >> (len(WIDTHS) - 1)
        self.squeeze = nn.Linear(WIDTHS[-1] * deepest, BOTTLENECK)
        self.unsqueeze = nn.Linear(BOTTLENECK, WIDTHS[-1] * deepest)
        self.up = nn.ModuleList()
        for level in range(len(WIDTHS) - 2, -1, -1):
            self.up.append(Block(WIDTHS[level + 1] + WIDTHS[level], WIDTHS[level]))
        self.head = nn.Conv1d(WIDTHS[0], 1, 1)

    def bands_forward(self, bands: torch.Tensor, cutoff_bin: torch.Tensor):
        """bands [B, FRAMES, BANDS] (band means of ln|X|), cutoff_bin [B, 1] -> the generated
        envelope [B, BANDS] (ln magnitude) and the loudness [B, 1] it is relative to."""
        ramp_bin = cutoff_bin * RAMP_RATIO
        present = (self.centres[None, :] < ramp_bin).float()  # [B, BANDS]
        current = bands[:, CONTEXT]
        count = present.sum(-1, keepdim=True).clamp(min=1)
        loudness = (current * present).sum(-1, keepdim=True) / count
        level = (bands - loudness[:, :, None]).clamp(*LEVEL_RANGE)
        level = level * present[:, None, :] / 4
        x = torch.nn.functional.gelu(self.stem(level[:, None]))  # [B, S, FRAMES - 2, BANDS]
        x = x.flatten(1, 2)
        octaves = torch.log2(self.centres[None, :] / cutoff_bin.clamp(min=1)).clamp(-4, 4) / 4
        absolute = torch.log2(self.centres / HIGHEST_BIN)[None, :].expand_as(octaves) / 8
        x = torch.cat([x, present[:, None], octaves[:, None], absolute[:, None]], 1)
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = torch.nn.functional.avg_pool1d(x, 2)
            x = block(x)
            skips.append(x)
        b, c, n = x.shape
        x = x + self.unsqueeze(torch.nn.functional.gelu(self.squeeze(x.flatten(1)))).view(b, c, n)
        for i, block in enumerate(self.up):
            skip = skips[len(skips) - 2 - i]
            x = torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(torch.cat([x, skip], 1))
        envelope = self.head(x)[:, 0] * 4
        return envelope + loudness, loudness

    def forward(self, log_mag: torch.Tensor, cutoff_bin: torch.Tensor) -> torch.Tensor:
        """The streaming step: log_mag [B, FRAMES, BINS], cutoff_bin [B, 1] -> high_log_mag
        [B, BINS]."""
        bands = log_mag @ self.pool
        envelope, _ = self.bands_forward(bands, cutoff_bin)
        return (envelope @ self.expand + self.level_offset).clamp(math.log(LOG_FLOOR), 8.0)
