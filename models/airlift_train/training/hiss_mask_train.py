"""Trains the hiss mask (`networks.hiss_mask`) on the corpus and exports it as
`models/hiss_mask.json` with its reference (`hiss_mask.reference.json`). Run by
`cargo xtask train hiss-mask`:

    python -m airlift_train.training.hiss_mask_train --out models --work target/hiss_mask \
        --corpus target/corpus

Each stretch of a training piece (one channel) gives these examples, each with the clean
signal it should come out as:
- the stretch as it is: every band's gain is one (a clean recording's own quiet is music);
- in `SURFACE_SHARE` of them, the stretch under a disc's surface noise with its whole band
  (the groove's hiss, hiss of another slope or the recorded one, 12 to 45 dB under the music;
  in `FULL_BAND_HISS_SHARE` of them a tilted hiss over the whole band, as a tape's): the clean
  stretch is the target;
- `WORN_VARIANTS` worn transfers of it (`corpus.wear` at the training ranges: a Butterworth
  of order 1 to 4 at 2.5 to 6 kHz; the groove's hiss, hiss of another slope or the training
  half of the recorded one, 8 to 40 dB under the music; hum in half), without clicks (the
  engine repairs clicks before the mask): the music through the transfer's filters, without
  noise, is the target, so the hiss above the corner goes too.

The target of a band is the square root of the clean band power over the noisy one, at most
one. The loss is the squared error of the gain, as heavy where the network would take music
(a gain under the target) as where it would leave noise (`TAKE_WEIGHT`: heavier taking
measured worse, on the worn excerpts and on the clean ones). Frames are judged against the
reducer's floor as the engine does (`hiss_mask.frame_features`), from the end of its warm-up.
The validation split's stretches, made the same way, give the figures in the manifest. The
committed test excerpts are never seen here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from torch import nn

from ..corpus import music, wear
from ..networks import bands, hiss_mask
from . import small_networks

SEED = 20261205
# Stretches per minute of music, and at most per piece (6 s each, `music.STRETCH_SECONDS`).
STRETCHES_PER_MINUTE = 2.0
MOST_PER_PIECE = 3
# Worn transfers made of each stretch.
WORN_VARIANTS = 2
# Share of the stretches also heard under a disc's surface noise with their whole band, and
# that noise's level under the music in dB.
SURFACE_SHARE, SURFACE_DB_BELOW_RMS = 0.5, (12.0, 45.0)
# Share of those whose hiss covers the whole band (no playback low-pass).
FULL_BAND_HISS_SHARE = 0.3
# The worn transfers' hiss: kinds and shares, and its level under the music in dB.
NOISES = ("simulated", "coloured", "recorded")
NOISE_SHARES = (0.35, 0.3, 0.35)
NOISE_UNDER_MUSIC_DB = (8.0, 40.0)
# Every this many frames (after the reducer's warm-up) is a training row.
FRAME_STEP = 3
# Weight of a gain under its target (music taken) against one over it (noise left). Measured on
# the worn excerpts (`evaluation.worn --look-ahead`, Denoise 100 %) and the clean ones
# (`--clean`), with the engine of 1cdc969: 2 gave LSD 1.507 and a no-harm mean of 0.0298, 1 gave
# 1.499 and 0.0257, 0.5 gave 1.500 and 0.0382.
TAKE_WEIGHT = 1.0
# Optimisation.
STEPS = 12000
BATCH = 1024
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
# The excerpt the reference features are computed on, how much of it, and which frames.
REFERENCE_EXCERPT = "world_caribbean.flac"
REFERENCE_SECONDS = 6.0
REFERENCE_FRAMES = (60, 120, 240, 400)
# Validation feature vectors kept in the reference, for the network's parity.
REFERENCE_VECTORS = 8
EXCERPTS = Path(__file__).resolve().parents[3] / "tests" / "excerpts"


def log(message: str):
    print(f"[train hiss-mask] {message}", flush=True)


class HissMaskNet(nn.Module):
    """Features in; each band's gain (0 to 1) out, as a logit."""

    def __init__(self):
        super().__init__()
        inputs = hiss_mask.BANDS * hiss_mask.FEATURES_PER_BAND
        self.layers = nn.Sequential(
            nn.Linear(inputs, hiss_mask.HIDDEN), nn.ReLU(),
            nn.Linear(hiss_mask.HIDDEN, hiss_mask.HIDDEN), nn.ReLU(),
            nn.Linear(hiss_mask.HIDDEN, hiss_mask.BANDS))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)

    def linear_layers(self) -> list[nn.Linear]:
        """The linear layers in order (a ReLU follows every one but the last)."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]


def rows_of(noisy: np.ndarray, clean: np.ndarray, rate: int, kind: int):
    """Training rows of one example: (features, target gains, kind) every `FRAME_STEP` frames
    from the end of the reducer's warm-up."""
    layout = hiss_mask.band_layout(rate)
    noisy_power = np.abs(bands.stft(noisy)) ** 2
    clean_power = np.abs(bands.stft(clean)) ** 2
    features = hiss_mask.frame_features(noisy_power, rate, layout)
    targets = hiss_mask.target_gains(noisy_power, clean_power, layout[0])
    keep = slice(hiss_mask.warm_up_frames(rate) + 1, None, FRAME_STEP)
    kinds = np.full(len(features[keep]), kind, np.int8)
    return features[keep], targets[keep], kinds


# Example kinds, for the figures.
AS_IT_IS, SURFACE, WORN = 0, 1, 2


def make_examples(job):
    """One stretch (`job` = piece, start second, seed) as rows of its examples; `None` for a
    quiet or short stretch."""
    piece, start_s, seed = job
    rng = np.random.default_rng(seed)
    audio = music.read_stretch(piece, start_s, "float64")
    if audio is None or 20 * np.log10(wear.rms(audio)) < music.QUIET_DBFS:
        return None
    channel = audio[:, int(rng.integers(audio.shape[1]))]
    made = [rows_of(channel, channel, piece.rate, AS_IT_IS)]
    if rng.random() < SURFACE_SHARE:
        level = wear.rms(channel) * 10 ** (-rng.uniform(*SURFACE_DB_BELOW_RMS) / 20)
        kind = str(rng.choice(NOISES, p=NOISE_SHARES))
        if rng.random() < FULL_BAND_HISS_SHARE:
            hiss = wear.coloured_hiss(len(channel), piece.rate, rng, playback_lowpass=False)
        elif kind == "recorded":
            hiss = wear.recorded_hiss(len(channel), piece.rate, rng, "training")
        elif kind == "coloured":
            hiss = wear.coloured_hiss(len(channel), piece.rate, rng)
        else:
            hiss = wear.groove_hiss(len(channel), piece.rate, rng)
        made.append(rows_of(channel + hiss * level / wear.rms(hiss), channel, piece.rate,
                            SURFACE))
    for _ in range(WORN_VARIANTS):
        noise = str(rng.choice(NOISES, p=NOISE_SHARES))
        worn = wear.wear(audio, piece.rate, rng, noise=noise, part="training",
                         noise_under_music_db=NOISE_UNDER_MUSIC_DB, with_clicks=False)
        made.append(rows_of(worn.worn.astype(np.float64), worn.filtered.astype(np.float64),
                            piece.rate, WORN))
    return tuple(np.concatenate(parts) for parts in zip(*made))


def examples(corpus: Path, split: str, seed: int, processes: int = 2):
    """Features, target gains and kinds of a split's stretches."""
    made = music.examples(music.pieces(corpus, split), STRETCHES_PER_MINUTE, MOST_PER_PIECE, seed,
                          processes, make=make_examples)
    return tuple(np.concatenate(parts) for parts in zip(*made))


def train(data, seed: int) -> HissMaskNet:
    """The network, trained on `data` = (features, target gains, kinds)."""
    torch.manual_seed(seed)
    features, targets = torch.tensor(data[0]), torch.tensor(data[1])
    net = HissMaskNet()
    optimiser = torch.optim.AdamW(net.parameters(), LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, STEPS)
    for step in range(STEPS):
        pick = torch.randint(0, len(features), (BATCH,))
        gains = torch.sigmoid(net(features[pick]))
        error = gains - targets[pick]
        loss = (error ** 2 * torch.where(error < 0, TAKE_WEIGHT, 1.0)).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 2000 == 0 or step == STEPS - 1:
            log(f"step {step}: loss {loss.item():.5f}")
    return net


def gains_of(net: HissMaskNet, features: np.ndarray) -> np.ndarray:
    """The network's band gains for each row of `features`."""
    with torch.no_grad():
        return torch.sigmoid(net(torch.tensor(features))).numpy()


def metrics(net: HissMaskNet, data) -> dict:
    """Per kind of example: the mean absolute gain error, the mean gain, and the mean level
    (dB) the gains take off where the target keeps the band (music taken: target over 0.9)
    and leave on where the target takes it down (noise left: target under 0.1)."""
    features, targets, kinds = data
    gains = np.concatenate([gains_of(net, features[i:i + 65536])
                            for i in range(0, len(features), 65536)])
    figures = {}
    for kind, name in ((AS_IT_IS, "as_it_is"), (SURFACE, "surface_noise"), (WORN, "worn")):
        g, t = gains[kinds == kind], targets[kinds == kind]
        kept, gone = t > 0.9, t < 0.1
        figures[name] = {
            "rows": int(len(g)),
            "gain_error_mean": round(float(np.abs(g - t).mean()), 4),
            "gain_mean": round(float(g.mean()), 4),
            "target_mean": round(float(t.mean()), 4),
            "music_taken_db": round(float(-20 * np.log10(np.maximum(g[kept], 1e-3)).mean()), 3)
            if kept.any() else None,
            "noise_left_db": round(float(20 * np.log10(np.maximum(g[gone], 1e-3)).mean()), 3)
            if gone.any() else None,
        }
    return figures


def export(net: HissMaskNet, out: Path, training: dict, figures: dict, validation) -> None:
    """Writes `hiss_mask.json` (the manifest with the weights) and its reference: the features
    and gains of some frames of `REFERENCE_EXCERPT`'s first seconds (its first channel), and
    some validation feature vectors with their gains."""
    layers = [{"weights": layer.weight.detach().numpy().round(7).tolist(),
               "bias": layer.bias.detach().numpy().round(7).tolist()}
              for layer in net.linear_layers()]
    model = {
        "name": "hiss_mask",
        "description": "Hiss mask: each band's gain for Denoise, from the band's level against "
                       "the hiss reducer's floor over three frames, its smoothed level, the "
                       "floor's audibility and how the level moves",
        "features": {
            "bands": hiss_mask.BANDS,
            "lowest_hz": hiss_mask.LOWEST_HZ,
            "highest_hz": hiss_mask.HIGHEST_HZ,
            "context_frames": hiss_mask.CONTEXT_FRAMES,
            "level_smoothing": hiss_mask.LEVEL_SMOOTHING,
            "level_range_db": list(hiss_mask.LEVEL_RANGE_DB),
            "audibility_range_db": list(hiss_mask.AUDIBILITY_RANGE_DB),
            "scale_db": hiss_mask.FEATURE_SCALE_DB,
        },
        "outputs": "logit of each band's gain",
        "layers": layers,
        "training": training,
        "metrics": figures,
    }
    (out / "hiss_mask.json").write_text(json.dumps(model) + "\n")
    audio, rate = soundfile.read(EXCERPTS / REFERENCE_EXCERPT, dtype="float32", always_2d=True)
    channel = audio[:int(REFERENCE_SECONDS * rate), 0]
    features = hiss_mask.frame_features(np.abs(bands.stft(channel)) ** 2, rate)
    picks = np.concatenate([np.nonzero(validation[2] == WORN)[0][:REFERENCE_VECTORS // 2],
                            np.nonzero(validation[2] == AS_IT_IS)[0][:REFERENCE_VECTORS // 2]])
    reference = {
        "excerpt": REFERENCE_EXCERPT,
        "seconds": REFERENCE_SECONDS,
        "frames": [{"frame": f, "features": features[f].round(6).tolist(),
                    "gains": gains_of(net, features[f][None])[0].round(6).tolist()}
                   for f in REFERENCE_FRAMES],
        "vectors": [{"features": validation[0][i].round(6).tolist(),
                     "gains": gains_of(net, validation[0][i][None])[0].round(6).tolist()}
                    for i in picks],
    }
    (out / "hiss_mask.reference.json").write_text(json.dumps(reference) + "\n")


def main() -> None:
    args = small_networks.arguments(__doc__.splitlines()[0],
                                    "the mask is measured by `worn.py` with the rebuilt CLI")
    started = time.time()
    training_data, validation_data = small_networks.cached_examples(
        args.work, "ftk", lambda split, seed: examples(args.corpus, split, seed), SEED)
    log(f"{len(training_data[0])} training and {len(validation_data[0])} validation rows "
        f"({time.time() - started:.0f} s)")
    net = train(training_data, SEED)
    figures = {"validation": metrics(net, validation_data)}
    log(json.dumps(figures))
    training = {
        "data": "the corpus's training split (recorded music from Debian packages), one "
                f"channel of stretches of {music.STRETCH_SECONDS:g} s, each as it is, under a "
                f"disc's surface noise with its whole band ({SURFACE_SHARE:.0%} of them), and as "
                f"{WORN_VARIANTS} worn transfers without clicks (corpus.wear, training ranges, "
                "hiss of three kinds 8 to 40 dB under the music)",
        "rows": len(training_data[0]),
        "frame_step": FRAME_STEP,
        "steps": STEPS,
        "seed": SEED,
        "seconds": round(time.time() - started),
    }
    export(net, args.out, training, figures, validation_data)
    log(f"wrote {args.out / 'hiss_mask.json'} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
