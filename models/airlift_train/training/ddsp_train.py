"""Training of the DDSP model: sequences of frames, the synthesizer's expected power through
the engine's crossfade ramp, and a log-spectral distance to the full-band original."""

import math
import time

import numpy as np
import torch

from ..networks import synth
from ..networks.ddsp import RAMP_RATIO, STATE, DdspBwe
from ..networks.synth import BINS
from .ddsp_frames import SEQUENCE_FRAMES

POWER_FLOOR = 1e-6


def replace_weight(cutoff_bin: torch.Tensor) -> torch.Tensor:
    """[N, BINS]: how much of the generated band the engine keeps per bin (0 below the ramp,
    a raised-cosine ramp over the semitone below the cutoff, 1 above, 0 at the Nyquist bin)."""
    k = torch.arange(BINS, dtype=torch.float32)
    start = torch.round(cutoff_bin * RAMP_RATIO)
    cut = torch.round(cutoff_bin)
    x = ((k - start + 1) / (cut - start + 1)).clamp(0, 1)
    w = torch.where(k < start, torch.zeros_like(x), 0.5 - 0.5 * torch.cos(math.pi * x))
    w = torch.where(k >= cut, torch.ones_like(w), w)
    w[..., BINS - 1] = 0
    return w


def batch(clips, rng: np.random.Generator, size: int):
    """Random sequences of SEQUENCE_FRAMES frames (plus the next frame for the look-ahead)."""
    picks = []
    for _ in range(size):
        clip = clips[rng.integers(len(clips))]
        start = int(rng.integers(0, clip.features.shape[0] - SEQUENCE_FRAMES - 1))
        picks.append((clip, start))
    span = lambda t, s, o=0: t[s + o: s + o + SEQUENCE_FRAMES]
    return (
        torch.stack([span(c.features, s) for c, s in picks]),
        torch.stack([span(c.features, s, 1) for c, s in picks]),
        torch.stack([span(c.loudness, s) for c, s in picks]),
        torch.stack([span(c.f0, s) for c, s in picks]),
        torch.tensor([[c.cutoff_bin] for c, _ in picks], dtype=torch.float32),
        torch.stack([span(c.input_log_mag, s) for c, s in picks]).float(),
        torch.stack([span(c.target_log_mag, s) for c, s in picks]).float(),
        torch.tensor([[c.edge_bin] for c, _ in picks], dtype=torch.float32),
    )


# Weight of the band-energy term: a log-spectral distance alone is best served by a band
# quieter than the original (loud peaks are rare), which would sound dull.
ENERGY_WEIGHT = 0.5


def loss_of(model: DdspBwe, data) -> torch.Tensor:
    """Mean over frames of the RMS log10-power error over the replaced bins below the
    original's own band edge, plus the mean absolute log10 error of each frame's energy in
    those bins."""
    now, nxt, loudness, f0, cutoff, input_log, target_log, edge = data
    b, t = now.shape[:2]
    cutoff_seq = cutoff[:, None, :].expand(b, t, 1)
    state = torch.zeros(1, b, STATE)
    mags, noise_log, _ = model.controls(now, nxt, loudness, f0, cutoff_seq, state)
    generated = synth.expected_power(f0, mags, noise_log)
    w = replace_weight(cutoff)[:, None, :]
    output = (1 - w) ** 2 * torch.exp(2 * input_log) + w**2 * generated
    target = torch.exp(2 * target_log)
    k = torch.arange(BINS, dtype=torch.float32)
    region = ((w > 0) & (k < edge[:, None, :])).float()
    error = (torch.log10(output + POWER_FLOOR) - torch.log10(target + POWER_FLOOR)) ** 2
    per_frame = (error * region).sum(-1) / region.sum(-1).clamp(min=1)
    mean_power = synth.expected_power(f0, mags, noise_log, noise_weight=1.0)
    output_energy = (((1 - w) ** 2 * torch.exp(2 * input_log) + w**2 * mean_power)
                     * region).sum(-1)
    target_energy = (target * region).sum(-1)
    energy_error = (torch.log10(output_energy + POWER_FLOOR)
                    - torch.log10(target_energy + POWER_FLOOR)).abs()
    return torch.sqrt(per_frame + 1e-8).mean() + ENERGY_WEIGHT * energy_error.mean()


def train(model: DdspBwe, clips, validation, steps: int, seed: int, log=print):
    """Adam with a short warm-up and a cosine learning-rate decay; returns the validation loss history."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    trainable = [p for n, p in model.named_parameters() if not n.startswith("features.")]
    optimizer = torch.optim.Adam(trainable, lr=2e-3)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    fixed_validation = batch(validation, np.random.default_rng(seed + 1), 64)
    history = []
    started = time.time()
    for step in range(1, steps + 1):
        model.train()
        loss = loss_of(model, batch(clips, rng, 32))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        if step % 250 == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                val = loss_of(model, fixed_validation).item()
            history.append((step, loss.item(), val))
            log(f"step {step}/{steps}: train {loss.item():.3f}  validation {val:.3f}  "
                f"({time.time() - started:.0f} s)")
    return history
