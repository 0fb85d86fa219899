"""The validation table of the learned models: pieces of the corpus's validation split (in
neither training nor the test excerpts), band-limited by the conditions of the table, rendered
and measured with the `airlift` CLI exactly as users run it. Both training pipelines write it
into their model's manifest, from the same pieces and the same filter draws."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import soundfile

from ..corpus import content_edge, degrade, music

# The conditions: filters at three cutoffs, and lame at three bit rates (its own low-pass,
# joint stereo).
FILTERS = ("butter8", "ellip", "brickwall")
CUTOFFS_HZ = (4000, 8000, 12000)
KBPS = (48, 64, 96)
SECONDS = 10.0
# The filters' random draws (an elliptic filter's order and ripple).
SEED = 20261122 + 99


def cli_lsd_hf(cli: Path, reference: Path, estimate: Path, cutoff_hz: float,
               edge_hz: float) -> tuple[float, float]:
    """LSD-HF and the low band's deviation (dB) by `airlift eval`."""
    out = subprocess.run([str(cli), "eval", str(reference), str(estimate), "--cutoff",
                          f"{cutoff_hz:.0f}", "--band-edge", f"{edge_hz:.0f}", "--json"],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    return float(result["lsd_hf"]), float(result.get("low_band_error_db") or -200.0)


def stretches(corpus: Path, count: int, split: str = "validation"):
    """`count` pieces of `split` spread over its kinds (at 48 kHz), each as its stretch of
    median loudness of SECONDS."""
    pieces = [p[0] for p in music.pieces(corpus, split) if p[0].seconds >= SECONDS]
    kinds = sorted({p.kind for p in pieces})
    chosen, i = [], 0
    while len(chosen) < min(count, len(pieces)):
        kind = kinds[i % len(kinds)]
        left = [p for p in pieces if p.kind == kind and p not in chosen]
        if left:
            chosen.append(left[len(left) // 2])
        i += 1
    found = []
    for piece in chosen:
        audio, rate = soundfile.read(piece.path, dtype="float32", always_2d=True)
        length = int(SECONDS * rate)
        loudness = [float(np.mean(audio[s:s + length] ** 2))
                    for s in range(0, len(audio) - length + 1, rate)]
        start = int(np.argsort(loudness)[len(loudness) // 2]) * rate
        found.append((piece, audio[start:start + length]))
    return found


def band_limited(audio: np.ndarray, rate: int, edge_hz: float, shape: str, value: int,
                 rng: np.random.Generator):
    """`audio` through `shape` (a filter at `value` Hz, or lame at `value` kbps with its own
    low-pass) and the cutoff to tell the engine; `None` when the cutoff lies within a sixth of
    an octave of the piece's own edge (nothing to restore)."""
    if shape == "mp3":
        limited = degrade.codec_chain_at(audio, rate, "lame", value)
        cutoff_hz = music.chain_cutoff_hz(audio, limited, rate, edge_hz)
    else:
        cutoff_hz = float(value)
        limited = np.stack([degrade.lowpass(audio[:, c], rate, shape, value, rng)
                            for c in range(audio.shape[1])], axis=1)
    if cutoff_hz >= edge_hz * 2 ** (-1 / 6):
        return None
    return limited, cutoff_hz


def evaluate(cli: Path, model_dir: Path, pieces, work: Path, models: tuple, subject: str,
             log=print) -> dict:
    """LSD-HF of the band-limited input and of every model in `models` per condition, each
    rendered and measured by the CLI (the cutoff given, the score ending where the reference's
    content ends, `content_edge.content_edge_hz`: its own codec roll-off is no reference), with
    `subject`'s change against SBR and its low band's worst deviation from the input (rendered
    again with Codec Repair off, which fills a codec's holes below the cutoff on purpose); the
    last entry holds the means over conditions."""
    env = {**os.environ, "AIRLIFT_MODEL_DIR": str(model_dir)}
    rng = np.random.default_rng(SEED)
    conditions = [(f, c) for f in FILTERS for c in CUTOFFS_HZ]
    conditions += [("mp3", k) for k in KBPS]
    work.mkdir(parents=True, exist_ok=True)
    content_edges_hz = [content_edge.content_edge_hz(audio, piece.rate, piece.band_edge_hz)
                        for piece, audio in pieces]
    results = {}
    for shape, value in conditions:
        scores = {name: [] for name in ("input",) + models}
        low_band = []
        for i, (piece, audio) in enumerate(pieces):
            rate, edge_hz = piece.rate, content_edges_hz[i]
            original = work / f"original_{i}.wav"
            if not original.exists():
                soundfile.write(original, audio, rate, subtype="FLOAT")
            case = band_limited(audio, rate, edge_hz, shape, value, rng)
            if case is None:
                continue
            limited_audio, cutoff_hz = case
            limited = work / f"{shape}_{value}_{i}.wav"
            soundfile.write(limited, limited_audio, rate, subtype="FLOAT")
            scores["input"].append(cli_lsd_hf(cli, original, limited, cutoff_hz, edge_hz)[0])
            for model in models:
                rendered = work / f"{shape}_{value}_{i}_{model}.wav"
                done = subprocess.run([str(cli), "render", str(limited), str(rendered),
                                       "--cutoff", f"{cutoff_hz:.0f}", "--model", model],
                                      env=env, check=True, capture_output=True, text=True)
                if "instead" in done.stderr:
                    raise SystemExit(f"the CLI did not run {model}: {done.stderr.strip()}")
                scores[model].append(cli_lsd_hf(cli, original, rendered, cutoff_hz, edge_hz)[0])
                if model == subject:
                    # Below the cutoff the output must be the input itself. Codec Repair
                    # fills a codec's holes there on purpose (the validation pieces' own Ogg
                    # sources have some), so it is off for this check.
                    plain = work / f"{shape}_{value}_{i}_{model}_plain.wav"
                    subprocess.run([str(cli), "render", str(limited), str(plain), "--cutoff",
                                    f"{cutoff_hz:.0f}", "--model", model, "--codec-repair",
                                    "off"], env=env, check=True, capture_output=True)
                    low_band.append(cli_lsd_hf(cli, limited, plain, cutoff_hz, edge_hz)[1])
        key = f"{shape}@{value}" + ("kbps" if shape == "mp3" else "")
        entry = {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
        entry["pieces"] = len(scores["input"])
        entry[f"{subject}_vs_sbr"] = round(entry[subject] / entry["sbr"] - 1, 4)
        entry[f"{subject}_low_band_error_db"] = round(float(np.max(low_band)), 1)
        results[key] = entry
        log(f"validation {key}: LSD-HF input {entry['input']:.3f}, "
            + ", ".join(f"{m} {entry[m]:.3f}" for m in models)
            + f" ({100 * entry[f'{subject}_vs_sbr']:+.1f} % vs SBR), low band "
            f"{entry[f'{subject}_low_band_error_db']} dB ({entry['pieces']} pieces)")
    means = {m: round(float(np.mean([r[m] for r in results.values()])), 4)
             for m in ("input",) + models}
    means[f"{subject}_vs_sbr"] = round(means[subject] / means["sbr"] - 1, 4)
    results["mean"] = means
    log("mean LSD-HF: " + ", ".join(f"{m} {means[m]:.3f}" for m in models)
        + f" ({100 * means[f'{subject}_vs_sbr']:+.1f} % vs SBR)")
    return results


def metrics(pieces, results: dict, subject: str, parity: float, size_bytes: int) -> dict:
    """The manifest's `metrics` block: the validation table of `evaluate` for `subject`, the
    ONNX Runtime parity and the model file's size."""
    return {
        "validation": (f"{len(pieces)} validation pieces of the corpus (in neither training "
                       f"nor the test excerpts), {SECONDS:.0f} s each; LSD-HF by `airlift eval "
                       "--cutoff --band-edge`, means over pieces; "
                       f"{subject}_low_band_error_db: the {subject} output's deviation from "
                       "the band-limited input below the cutoff with Codec Repair off, the "
                       "worst piece's"),
        "lsd_hf": results,
        "onnx_parity_relative": parity,
        "size_bytes": size_bytes,
    }
