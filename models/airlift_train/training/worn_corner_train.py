"""Trains the worn-transfer judge (`networks.worn_corner`) on the corpus and exports it as
`models/worn_corner.json` with its reference (`worn_corner.reference.json`). Run by
`cargo xtask train worn-corner`:

    python -m airlift_train.training.worn_corner_train --out models --work target/worn_corner \
        --corpus target/corpus --cli target/release/airlift

Each stretch of a training piece gives these examples:
- the stretch as it is, sometimes tilted (up to 3 dB an octave either way), sometimes over a
  low noise floor (50 to 80 dB under it), sometimes under a disc's surface noise (hiss, clicks
  and crackle 20 to 45 dB under it): full-band music, not a worn transfer;
- the same stretch as `WORN_VARIANTS` worn transfers (`corpus.wear` at the training ranges: a
  Butterworth of order 1 to 4 at 2.5 to 6 kHz; the groove's hiss, hiss of another slope or the
  training half of the recorded one, 14 to 40 dB under the music; clicks and crackle in 60 %
  of them; sometimes hum), weighted so that both classes count the same.

The network learns both outputs at once: binary cross-entropy on "worn", and the squared error
of log2 of the corner on the worn examples. The validation split's stretches, made the same
way, give the figures in the manifest. The committed test excerpts are never seen here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from torch import nn

from ..corpus import degrade, music, wear
from ..networks import worn_corner
from . import small_networks

SEED = 20261204
# Stretches per minute of music, and at most per piece (6 s each, `music.STRETCH_SECONDS`).
STRETCHES_PER_MINUTE = 8.0
MOST_PER_PIECE = 12
# Worn transfers made of each stretch (each with its own low-pass, noise and clicks).
WORN_VARIANTS = 3
# Shares of the full-band examples that are tilted, and that get a noise floor.
TILT_SHARE, TILT_DB_PER_OCTAVE = 0.5, 3.0
NOISE_SHARE, NOISE_DB_BELOW_RMS = 0.3, (50.0, 80.0)
# Share of the full-band examples with a disc's surface noise (hiss of some slope and clicks
# and crackle) this far under the music, in dB: a record played with its whole band, which is
# no worn transfer however it crackles.
SURFACE_SHARE, SURFACE_DB_BELOW_RMS = 0.3, (20.0, 45.0)
# The hiss of the worn examples, and how often each: the groove's (simulated), other slopes
# from white to steeper than pink (coloured), and the training half of the recorded one.
NOISES = ("simulated", "coloured", "recorded")
NOISE_SHARES = (0.35, 0.3, 0.35)
# The hiss under the music, in dB: wider than issue 26's 18 to 26 dB, as transfers differ.
NOISE_UNDER_MUSIC_DB = (14.0, 40.0)
# Share of the worn examples with clicks and crackle: the others have none (a transfer whose
# clicks were taken out before), so that the judge does not learn clicks for a worn disc.
CLICKS_SHARE = 0.6
# Optimisation.
STEPS = 6000
BATCH = 256
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-3
# Gaussian noise added to the features while training (feature units: 20 dB).
FEATURE_JITTER = 0.02
# The probability of "worn" from which the engine takes a transfer as worn.
WORN_THRESHOLD = 0.8
# The excerpt the reference features are computed on, and how much of it.
REFERENCE_EXCERPT = "world_caribbean.flac"
REFERENCE_SECONDS = 6.0
# Validation feature vectors kept in the reference (worn and not), for the network's parity.
REFERENCE_VECTORS = 8
EXCERPTS = Path(__file__).resolve().parents[3] / "tests" / "excerpts"


def log(message: str):
    print(f"[train worn-corner] {message}", flush=True)


class WornCornerNet(nn.Module):
    """Features in; the logit of "worn transfer" and log2(corner) less
    `worn_corner.CORNER_LOG2_OFFSET` out."""

    def __init__(self):
        super().__init__()
        inputs = worn_corner.FEATURE_POINTS * len(worn_corner.PERCENTILES)
        self.layers = nn.Sequential(
            nn.Linear(inputs, worn_corner.HIDDEN), nn.ReLU(),
            nn.Linear(worn_corner.HIDDEN, worn_corner.HIDDEN), nn.ReLU(),
            nn.Linear(worn_corner.HIDDEN, 2))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)

    def linear_layers(self) -> list[nn.Linear]:
        """The linear layers in order (a ReLU follows every one but the last)."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]


def make_examples(job) -> list[tuple[np.ndarray, float, float]]:
    """One stretch (`job` = piece, start second, seed) as (features, worn, log2 corner) for
    the full-band music and for `WORN_VARIANTS` worn transfers of it; empty for a quiet or
    short stretch."""
    piece, start_s, seed = job
    rng = np.random.default_rng(seed)
    audio = music.read_stretch(piece, start_s, "float64")
    if audio is None or 20 * np.log10(wear.rms(audio)) < music.QUIET_DBFS:
        return []
    clean = audio
    if rng.random() < TILT_SHARE:
        clean = degrade.eq_tilt(clean, piece.rate,
                                rng.uniform(-TILT_DB_PER_OCTAVE, TILT_DB_PER_OCTAVE))
    if rng.random() < NOISE_SHARE:
        clean = degrade.noise_floor(clean, rng.uniform(*NOISE_DB_BELOW_RMS), rng)
    if rng.random() < SURFACE_SHARE:
        level = wear.rms(clean) * 10 ** (-rng.uniform(*SURFACE_DB_BELOW_RMS) / 20)
        hiss = wear.coloured_hiss(len(clean), piece.rate, rng)
        surface = hiss * level / wear.rms(hiss) + wear.clicks(len(clean), piece.rate, level, rng)
        clean = clean + surface[:, None]
    inputs = [(clean, 0.0, 0.0)]
    for _ in range(WORN_VARIANTS):
        noise = str(rng.choice(NOISES, p=NOISE_SHARES))
        worn = wear.wear(audio, piece.rate, rng, noise=noise, part="training",
                         noise_under_music_db=NOISE_UNDER_MUSIC_DB,
                         with_clicks=bool(rng.random() < CLICKS_SHARE))
        inputs.append((worn.worn, 1.0, worn.lowpass_hz))
    made = []
    for signal_in, is_worn, corner_hz in inputs:
        features = worn_corner.level_histogram_features(signal_in, piece.rate)
        if features is not None:
            made.append((features, is_worn, float(np.log2(corner_hz)) if is_worn else 0.0))
    return made


def examples(corpus: Path, split: str, seed: int, processes: int = 2):
    """Features, worn flags and log2 corners of a split's stretches."""
    made = music.examples(music.pieces(corpus, split), STRETCHES_PER_MINUTE, MOST_PER_PIECE, seed,
                          processes, make=make_examples)
    rows = [row for stretch in made for row in stretch]
    return (np.stack([r[0] for r in rows]), np.array([r[1] for r in rows], np.float32),
            np.array([r[2] for r in rows], np.float32))


def train(data, seed: int) -> WornCornerNet:
    """The network, trained on `data` = (features, worn, log2 corner)."""
    torch.manual_seed(seed)
    features, worn, corner = (torch.tensor(a) for a in data)
    net = WornCornerNet()
    optimiser = torch.optim.AdamW(net.parameters(), LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, STEPS)
    for step in range(STEPS):
        pick = torch.randint(0, len(features), (BATCH,))
        x = features[pick] + FEATURE_JITTER * torch.randn(BATCH, features.shape[1])
        out = net(x)
        # Each stretch gives one full-band example and `WORN_VARIANTS` worn ones: the classes
        # weigh the same.
        loss = nn.functional.binary_cross_entropy_with_logits(
            out[:, 0], worn[pick], pos_weight=torch.tensor(1.0 / WORN_VARIANTS))
        is_worn = worn[pick] > 0
        if is_worn.any():
            target = corner[pick][is_worn] - worn_corner.CORNER_LOG2_OFFSET
            loss = loss + ((out[is_worn, 1] - target) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 1000 == 0 or step == STEPS - 1:
            log(f"step {step}: loss {loss.item():.4f}")
    return net


def outputs(net: WornCornerNet, features: np.ndarray) -> np.ndarray:
    """The network's two outputs for each row of `features`."""
    with torch.no_grad():
        return net(torch.tensor(features)).numpy()


def metrics(net: WornCornerNet, data) -> dict:
    """How the network judges `data`: the share of worn transfers found and of full-band
    stretches taken as worn at `WORN_THRESHOLD`, and the corner's error in octaves on the
    worn transfers found."""
    features, worn, corner = data
    out = outputs(net, features)
    found = out[:, 0] >= np.log(WORN_THRESHOLD / (1 - WORN_THRESHOLD))
    error = np.abs(out[:, 1] + worn_corner.CORNER_LOG2_OFFSET - corner)[(worn > 0) & found]
    return {
        "worn_examples": int((worn > 0).sum()),
        "full_band_examples": int((worn == 0).sum()),
        "worn_found_share": round(float(found[worn > 0].mean()), 4),
        "full_band_taken_as_worn_share": round(float(found[worn == 0].mean()), 4),
        "corner_error_octaves_median": round(float(np.median(error)), 4),
        "corner_error_octaves_p90": round(float(np.quantile(error, 0.9)), 4),
        "corner_within_quarter_octave_share": round(float((error <= 0.25).mean()), 4),
    }


def export(net: WornCornerNet, out: Path, training: dict, figures: dict, validation) -> None:
    """Writes `worn_corner.json` (the manifest with the weights) and its reference: the
    features and outputs of `REFERENCE_EXCERPT`'s first seconds, and some validation feature
    vectors with their outputs."""
    layers = [{"weights": layer.weight.detach().numpy().round(7).tolist(),
               "bias": layer.bias.detach().numpy().round(7).tolist()}
              for layer in net.linear_layers()]
    model = {
        "name": "worn_corner",
        "description": "Worn-transfer judge: tells an old disc's transfer (a gentle low-pass "
                       "under hiss) from full-band music and finds its corner, from the "
                       "band-limit detector's level histograms",
        "features": {
            "feature_step": worn_corner.FEATURE_STEP,
            "feature_points": worn_corner.FEATURE_POINTS,
            "percentiles": list(worn_corner.PERCENTILES),
            "reference_points": list(worn_corner.REFERENCE_POINTS),
            "range_db": list(worn_corner.FEATURE_RANGE_DB),
            "scale_db": worn_corner.FEATURE_SCALE_DB,
        },
        "outputs": ["logit that the input is a worn transfer",
                    f"log2 of its corner in Hz less {worn_corner.CORNER_LOG2_OFFSET:g}"],
        "corner_log2_offset": worn_corner.CORNER_LOG2_OFFSET,
        "worn_threshold": WORN_THRESHOLD,
        "layers": layers,
        "training": training,
        "metrics": figures,
    }
    (out / "worn_corner.json").write_text(json.dumps(model) + "\n")
    audio, rate = soundfile.read(EXCERPTS / REFERENCE_EXCERPT, dtype="float64", always_2d=True)
    audio = audio[:int(REFERENCE_SECONDS * rate)]
    features = worn_corner.level_histogram_features(audio, rate)
    features_v, worn_v, _ = validation
    picks = np.concatenate([np.nonzero(worn_v > 0)[0][:REFERENCE_VECTORS // 2],
                            np.nonzero(worn_v == 0)[0][:REFERENCE_VECTORS // 2]])
    reference = {
        "excerpt": REFERENCE_EXCERPT,
        "seconds": REFERENCE_SECONDS,
        "features": features.round(6).tolist(),
        "outputs": outputs(net, features[None])[0].round(6).tolist(),
        "vectors": [{"features": features_v[i].round(6).tolist(),
                     "outputs": outputs(net, features_v[i][None])[0].round(6).tolist()}
                    for i in picks],
    }
    (out / "worn_corner.reference.json").write_text(json.dumps(reference) + "\n")


def main() -> None:
    args = small_networks.arguments(__doc__.splitlines()[0],
                                    "the judge is measured by `worn.py` with the rebuilt CLI")
    started = time.time()
    training_data, validation_data = small_networks.cached_examples(
        args.work, "fwc", lambda split, seed: examples(args.corpus, split, seed), SEED)
    log(f"{len(training_data[0])} training and {len(validation_data[0])} validation examples "
        f"({time.time() - started:.0f} s)")
    net = train(training_data, SEED)
    figures = {"validation": metrics(net, validation_data),
               "training": metrics(net, training_data)}
    log(json.dumps(figures))
    training = {
        "data": "the corpus's training split (recorded music from Debian packages), stretches "
                f"of {music.STRETCH_SECONDS:g} s, each as it is (tilted, over a low noise floor "
                "or under a record's surface noise at times) and as "
                f"{WORN_VARIANTS} worn transfers (corpus.wear, training ranges, hiss of three "
                "kinds 14 to 40 dB under the music, clicks in some)",
        "examples": len(training_data[0]),
        "steps": STEPS,
        "seed": SEED,
        "seconds": round(time.time() - started),
    }
    export(net, args.out, training, figures, validation_data)
    log(f"wrote {args.out / 'worn_corner.json'} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
