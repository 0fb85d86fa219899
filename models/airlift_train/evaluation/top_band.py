"""The top of the band: does the restored band reach 20 kHz at the original's level?

LSD-HF tables that stop at 16 kHz, or at each reference's own codec edge, hide a band that
comes out darker the further it lies above the cutoff. This table measures the band from the
cutoff to the smaller of where the reference's own content ends and 20 kHz, only on references
whose content reaches 19 kHz (`MIN_CONTENT_EDGE_HZ`), through the low-passes of the files people
have:
lame at 96, 128, 192 and 256 kbps at the file's own rate (joint stereo, lame's own low-pass),
and a Butterworth of order 8 at 8 and 12 kHz.

Where the content ends is `content_edge.content_edge_hz`: the start of the reference's own codec
roll-off, which the 90 dB drop of its `band_edge_hz` reaches only 1/10 to 1/4 octave higher (an
Ogg source falls 30 to 60 dB over it). Measured up to `band_edge_hz`, a band at the original's
level there reads up to 15 dB too bright, and one that copies the roll-off reads right.

Every degraded file is rendered by `airlift render` with the cutoff automatic, as a user runs
it, and scored by `airlift eval --cutoff EDGE --band-edge OWN` at the true edge of the
degradation (the filter's corner, or where lame's output falls 15 dB under the original for
good), so that every model is measured over the same band. Per condition and model, over the
pieces: the mean level of the output against the original in each third of that band (low /
middle / top, dB; negative is too dark) and the mean LSD there.

Pieces: the committed test excerpts (`tests/excerpts/`) and, with `--corpus`, stretches of the
corpus's validation split (`validation.stretches`).

Run by `cargo xtask top-band` (the corpus's validation split too when `target/corpus` holds
one), or from `models/` with the training venv (its corpus module needs PyTorch):
    python -m airlift_train.evaluation.top_band --airlift ../target/release/airlift \
        [--corpus ../target/corpus] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ..corpus import content_edge, degrade, music

MODELS = ("sbr", "ddsp", "unet")
# References whose content ends lower never teach or show the top of the band.
MIN_CONTENT_EDGE_HZ = 19_000.0
# The conditions: (row name, "mp3" and kbps, or a Butterworth's order and corner in Hz).
CONDITIONS = (
    ("lame 96 kbps", "mp3", 96),
    ("lame 128 kbps", "mp3", 128),
    ("lame 192 kbps", "mp3", 192),
    ("lame 256 kbps", "mp3", 256),
    ("Butterworth 8, 8 kHz", "butter8", 8000),
    ("Butterworth 8, 12 kHz", "butter8", 12000),
)
# The validation stretches asked of `validation.stretches` (those whose content ends lower are
# left out afterwards).
VALIDATION_PIECES = 40
# A cutoff this close under the band's end (in octaves) leaves no top of the band to measure.
MIN_BAND_OCTAVES = 1 / 12


def degraded(audio: np.ndarray, rate: int, own_edge_hz: float, shape: str, value: int):
    """`audio` through the condition, and its true edge in Hz."""
    if shape == "mp3":
        limited = degrade.codec_chain_at(audio, rate, "lame", value)
        return limited, music.chain_cutoff_hz(audio, limited, rate, own_edge_hz)
    rng = np.random.default_rng(0)  # a Butterworth draws nothing
    limited = np.stack([degrade.lowpass(audio[:, c], rate, shape, value, rng)
                        for c in range(audio.shape[1])], axis=1)
    return limited, float(value)


def eval_json(airlift: str, reference: Path, estimate: Path, cutoff_hz: float,
              own_edge_hz: float) -> dict:
    """Every figure of `airlift eval --cutoff --band-edge --json`."""
    out = subprocess.run([airlift, "eval", str(reference), str(estimate), "--cutoff",
                          f"{cutoff_hz:.0f}", "--band-edge", f"{own_edge_hz:.0f}", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def top_band(airlift: str, reference: Path, estimate: Path, cutoff_hz: float,
             own_edge_hz: float) -> dict | None:
    """`airlift eval`'s top of the band (`from_hz`, `to_hz`, `bias_db`, `lsd`), or None."""
    return eval_json(airlift, reference, estimate, cutoff_hz, own_edge_hz).get("top_band")


def excerpt_pieces(excerpts: Path):
    """The committed excerpts whose content reaches `MIN_CONTENT_EDGE_HZ`, as (name, audio, rate,
    where the content ends in Hz)."""
    for entry in json.loads((excerpts / "excerpts.json").read_text()):
        if entry["band_edge_hz"] >= MIN_CONTENT_EDGE_HZ:
            audio, rate = sf.read(excerpts / entry["file"], dtype="float32", always_2d=True)
            content_hz = content_edge.content_edge_hz(audio, rate, float(entry["band_edge_hz"]))
            if content_hz >= MIN_CONTENT_EDGE_HZ:
                yield entry["file"], audio, rate, content_hz


def validation_pieces(corpus: Path):
    """Stretches of the validation split whose content reaches `MIN_CONTENT_EDGE_HZ`."""
    from . import validation
    for piece, audio in validation.stretches(corpus, VALIDATION_PIECES):
        if piece.band_edge_hz >= MIN_CONTENT_EDGE_HZ:
            content_hz = content_edge.content_edge_hz(audio, piece.rate, float(piece.band_edge_hz))
            if content_hz >= MIN_CONTENT_EDGE_HZ:
                yield piece.path.name, audio, piece.rate, content_hz


def measure(airlift: str, pieces, work: Path, log=print) -> dict:
    """{condition: {"input" or model: [top-band figures per piece]}} for `pieces`."""
    results = {name: {who: [] for who in ("input",) + MODELS} for name, _, _ in CONDITIONS}
    for index, (name, audio, rate, content_hz) in enumerate(pieces):
        original = work / f"original_{index}.wav"
        sf.write(original, audio, rate, subtype="FLOAT")
        band_end_hz = min(content_hz, 20_000.0)
        for condition, shape, value in CONDITIONS:
            limited, edge_hz = degraded(audio, rate, content_hz, shape, value)
            if edge_hz >= band_end_hz * 2 ** -MIN_BAND_OCTAVES:
                continue
            limited_path = work / "limited.wav"
            sf.write(limited_path, limited, rate, subtype="FLOAT")
            figures = top_band(airlift, original, limited_path, edge_hz, content_hz)
            if figures is None:
                continue
            results[condition]["input"].append(figures)
            for model in MODELS:
                rendered = work / f"rendered_{model}.wav"
                run = subprocess.run([airlift, "render", str(limited_path), str(rendered),
                                      "--model", model, "--auto"],
                                     check=True, capture_output=True, text=True)
                if "instead" in run.stderr:
                    raise SystemExit(f"the CLI did not run {model}: {run.stderr.strip()}")
                results[condition][model].append(
                    top_band(airlift, original, rendered, edge_hz, content_hz))
        log(f"measured {name} (content to {content_hz:.0f} Hz)", flush=True)
    return results


def table(title: str, results: dict) -> str:
    """The Markdown tables of `results`: the level by thirds, then the LSD over the band."""
    columns = ("input",) + MODELS
    names = {"input": "band-limited input", "sbr": "SBR", "ddsp": "DDSP",
             "unet": "Spectral U-Net"}
    lines = [f"{title}: mean level against the original by thirds of the band from the edge "
             "to min(where its content ends, 20 kHz), low / middle / top (dB)", "",
             "| condition | pieces | band | " + " | ".join(names[c] for c in columns) + " |",
             "|---|---|---|" + "---|" * len(columns)]
    for condition, _, _ in CONDITIONS:
        found = results[condition]["input"]
        if not found:
            lines.append(f"| {condition} | 0 | | " + " | ".join("n/a" for _ in columns) + " |")
            continue
        band = (f"{np.mean([f['from_hz'] for f in found]) / 1000:.1f} to "
                f"{np.mean([f['to_hz'] for f in found]) / 1000:.1f} kHz")
        cells = []
        for who in columns:
            bias = np.mean([f["bias_db"] for f in results[condition][who]], axis=0)
            cells.append(" / ".join(f"{b:+.1f}" for b in bias))
        lines.append(f"| {condition} | {len(found)} | {band} | " + " | ".join(cells) + " |")
    lines += ["", f"{title}: mean LSD over the same band", "",
              "| condition | " + " | ".join(names[c] for c in columns) + " |",
              "|---|" + "---|" * len(columns)]
    for condition, _, _ in CONDITIONS:
        cells = [f"{np.mean([f['lsd'] for f in results[condition][who]]):.3f}"
                 if results[condition][who] else "n/a" for who in columns]
        lines.append(f"| {condition} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airlift", required=True, help="the airlift CLI to measure")
    parser.add_argument("--excerpts", type=Path,
                        default=Path(__file__).resolve().parents[3] / "tests/excerpts")
    parser.add_argument("--corpus", type=Path, help="also the corpus's validation split")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    everything = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = [("The committed excerpts", excerpt_pieces(args.excerpts))]
        if args.corpus:
            sets.append(("The validation split", validation_pieces(args.corpus)))
        for title, pieces in sets:
            results = measure(args.airlift, pieces, work)
            everything[title] = results
            print("\n" + table(title, results) + "\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
