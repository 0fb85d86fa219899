"""Training of the Spectral U-Net on band log-magnitudes: windows of FRAMES frames around the
frame to generate, a log-spectral distance over the replaced bands below where the reference's
own content ends (`content_edge.content_edge_bin`: its codec roll-off is no reference), with the
fill's rule (the output keeps the larger of the input and the generated band)."""

import copy
import math
import time

import numpy as np
import torch

from ..corpus import content_edge
from ..networks import unet

# Weight of the band-energy term: a log-spectral distance alone is best served by a band
# quieter than the original (loud peaks are rare), which would sound dull.
ENERGY_WEIGHT = 0.5
BATCH = 128
# The weights exported are an exponential moving average of the trained ones: they generalize
# better than the last step's.
AVERAGE_DECAY = 0.998
LOG10_POWER_PER_NEPER = 2 / math.log(10)
# The share of windows that start before their stretch, with digital silence before it: music
# starts after silence (the start of playback, a pause), and a model that has never seen silent
# past frames reads them as a codec's holes and bursts.
SILENT_START_SHARE = 0.05
SILENCE = math.log(unet.LOG_FLOOR)


class Windows:
    """Every (example, channel) of a split at least a window long, and random windows of it."""

    def __init__(self, examples):
        examples = [e for e in examples if e.input_bands.shape[1] >= unet.FRAMES]
        self.inputs = [torch.from_numpy(c) for e in examples for c in e.input_bands]
        self.targets = [torch.from_numpy(c) for e in examples for c in e.target_bands]
        self.cutoffs = [e.cutoff_bin for e in examples for _ in e.input_bands]
        content_edges = [content_edge.content_edge_bin(e.target_bands, e.edge_bin) for e in examples]
        self.edges = [edge for e, edge in zip(examples, content_edges) for _ in e.input_bands]

    def sample(self, rng: np.random.Generator, size: int):
        """`size` random windows (SILENT_START_SHARE of them reaching back before their stretch
        into silence): inputs [size, FRAMES, BANDS], the target and the input of the
        frame to generate [size, BANDS], cutoffs and edges [size, 1]."""
        inputs, targets, current, cutoffs, edges = [], [], [], [], []
        for _ in range(size):
            i = int(rng.integers(len(self.inputs)))
            if rng.random() < SILENT_START_SHARE:
                start = int(rng.integers(-unet.CONTEXT, 0))
                silence = torch.full((-start, unet.BANDS), SILENCE, dtype=self.inputs[i].dtype)
                window = torch.cat([silence, self.inputs[i][:unet.FRAMES + start]])
            else:
                start = int(rng.integers(0, self.inputs[i].shape[0] - unet.FRAMES + 1))
                window = self.inputs[i][start:start + unet.FRAMES]
            inputs.append(window)
            current.append(window[unet.CONTEXT])
            targets.append(self.targets[i][start + unet.CONTEXT])
            cutoffs.append(self.cutoffs[i])
            edges.append(self.edges[i])
        return (torch.stack(inputs).float(), torch.stack(targets).float(),
                torch.stack(current).float(), torch.tensor(cutoffs)[:, None].float(),
                torch.tensor(edges)[:, None].float())


BINS_PER_BAND = torch.from_numpy(unet.bins_per_band())
CENTRES = torch.from_numpy(unet.band_centres().astype(np.float32))


def filled(current: torch.Tensor, generated: torch.Tensor) -> torch.Tensor:
    """The fill's rule on band log-magnitudes: the output keeps the larger of the input and the
    generated band (their powers added)."""
    return 0.5 * torch.logaddexp(2 * current, 2 * generated)


def log_energy(log_mag: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """[B]: ln of the power of the bands with `weight` > 0, each weighted by it (the bins it
    stands for)."""
    return torch.logsumexp(2 * log_mag + torch.log(weight + 1e-12), -1)


def loss_of(model: unet.SpectralUnet, batch) -> torch.Tensor:
    """Mean over windows of the RMS log10-power error over the replaced bands (weighted by the
    bins each stands for), plus the mean absolute log10 error of their energy."""
    inputs, target, current, cutoff, edge = batch
    generated, _ = model.bands_forward(inputs, cutoff)
    output = filled(current, generated)
    region = ((CENTRES[None] >= cutoff * unet.RAMP_RATIO) & (CENTRES[None] < edge)).float()
    weight = region * BINS_PER_BAND[None]
    error = (LOG10_POWER_PER_NEPER * (output - target)) ** 2
    per_window = (error * weight).sum(-1) / weight.sum(-1).clamp(min=1e-3)
    energy_error = (log_energy(output, weight) - log_energy(target, weight)).abs() / math.log(10)
    has_region = (region.sum(-1) > 0).float()
    per_window = (torch.sqrt(per_window + 1e-8) + ENERGY_WEIGHT * energy_error) * has_region
    return per_window.sum() / has_region.sum().clamp(min=1)


# The top of the band ends at 20 kHz (in bins at 48 kHz), and only references whose own edge
# reaches 19 kHz show it, as in the README's table.
TOP_BAND_END_BIN = 20_000 / (48_000 / unet.N_FFT)
TOP_BAND_MIN_EDGE_BIN = 19_000 / (48_000 / unet.N_FFT)


def top_thirds_bias_db(model: unet.SpectralUnet, batch) -> np.ndarray:
    """[3]: the mean over windows whose reference edge is at TOP_BAND_MIN_EDGE_BIN or above of
    the output's level against the target's, in dB, in each third (in bins) of the band from the
    cutoff to the edge or TOP_BAND_END_BIN: the band domain's view of the README's
    top-of-the-band table."""
    inputs, target, current, cutoff, edge = batch
    keep = edge[:, 0] >= TOP_BAND_MIN_EDGE_BIN
    if not keep.any():
        return np.full(3, np.nan)
    with torch.no_grad():
        generated, _ = model.bands_forward(inputs[keep], cutoff[keep])
    output = filled(current[keep], generated)
    low, high = cutoff[keep], edge[keep].clamp(max=TOP_BAND_END_BIN)
    biases = []
    for third in range(3):
        lo = low + (high - low) * third / 3
        hi = low + (high - low) * (third + 1) / 3
        weight = ((CENTRES[None] >= lo) & (CENTRES[None] < hi)).float() * BINS_PER_BAND[None]
        ratio = log_energy(output, weight) - log_energy(target[keep], weight)
        valid = weight.sum(-1) > 0
        biases.append(float((10 / math.log(10) * ratio)[valid].mean()))
    return np.array(biases)


def train(model: unet.SpectralUnet, training: Windows, validation: Windows, steps: int,
          seed: int, log=print):
    """AdamW with a short warm-up and a cosine decay; leaves the moving average of the weights
    in `model` and returns the history of (step, training loss, validation loss of the
    average)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    fixed_validation = validation.sample(np.random.default_rng(seed + 1), 1024)
    average = copy.deepcopy(model)
    history = []
    started = time.time()
    running = []
    for step in range(1, steps + 1):
        model.train()
        loss = loss_of(model, training.sample(rng, BATCH))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            for mean, current in zip(average.parameters(), model.parameters()):
                mean.mul_(AVERAGE_DECAY).add_(current, alpha=1 - AVERAGE_DECAY)
        running.append(loss.item())
        if step % 250 == 0 or step == steps:
            average.eval()
            with torch.no_grad():
                val = loss_of(average, fixed_validation).item()
                bias = top_thirds_bias_db(average, fixed_validation)
            history.append((step, float(np.mean(running)), val))
            running = []
            log(f"step {step}/{steps}: train {history[-1][1]:.3f}  validation {val:.3f}  "
                f"top of the band {' / '.join(f'{b:+.1f}' for b in bias)} dB  "
                f"({time.time() - started:.0f} s)")
    model.load_state_dict(average.state_dict())
    return history
