"""Quality of `airlift render` on the committed recorded-music excerpts (`tests/excerpts/`).

Two tables, each a mean over the excerpts, measured with `airlift render` and `airlift eval`:
- full-band input with the cutoff forced to 2, 4 and 8 kHz: the LSD of the output against the
  input (what the restoration removed or added where nothing was missing), over the bins up
  to each excerpt's own codec edge (its Ogg low-pass as `airlift detect` reports it, less the
  crossfade ramp: above it the file is no reference);
- band-limited input (Butterworth order 8 and brick wall at 4, 8 and 12 kHz, lame at 48 and
  64 kbps at the excerpt's own rate), with the cutoff at the true edge (so that the table
  measures generation, not detection): LSD-HF against the excerpt, up to its own band edge.

Usage:
    python -m airlift_train.evaluation.excerpt_eval --airlift target/release/airlift [--label NAME]
Pass several `--airlift` binaries (with as many `--label`s) to compare them column by column;
the last one's `eval` measures them all.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

MODELS = ("sbr", "ddsp", "unet")
FORCED_CUTOFFS_HZ = (2000, 4000, 8000)
BAND_LIMITS = (
    ("Butterworth 8, 4 kHz", "butter", 4000),
    ("Butterworth 8, 8 kHz", "butter", 8000),
    ("Butterworth 8, 12 kHz", "butter", 12000),
    ("brick wall, 4 kHz", "brick", 4000),
    ("brick wall, 8 kHz", "brick", 8000),
    ("brick wall, 12 kHz", "brick", 12000),
    ("MP3 48 kbps", "mp3", 48),
    ("MP3 64 kbps", "mp3", 64),
)


def band_limit(audio: np.ndarray, rate: int, shape: str, value: int, work: Path):
    """`audio` after a band limit, and the edge in Hz that `eval` takes as the cutoff."""
    if shape == "butter":
        sos = signal.butter(8, value, fs=rate, output="sos")
        return signal.sosfilt(sos, audio, axis=0).astype(np.float32), float(value)
    if shape == "brick":
        spectrum = np.fft.rfft(audio, axis=0)
        spectrum[np.fft.rfftfreq(len(audio), 1 / rate) > value] = 0
        return np.fft.irfft(spectrum, n=len(audio), axis=0).astype(np.float32), float(value)
    wav, mp3, decoded = work / "in.wav", work / "enc.mp3", work / "dec.wav"
    sf.write(wav, audio, rate, subtype="PCM_16")
    log = subprocess.run(["lame", "-b", str(value), "--cbr", "--resample", f"{rate / 1000:g}",
                          str(wav), str(mp3)], capture_output=True, text=True, check=True).stderr
    start, end = map(float, re.search(r"transition band:\s*(\d+) Hz -\s*(\d+) Hz", log).groups())
    subprocess.run(["lame", "--quiet", "--decode", str(mp3), str(decoded)], check=True)
    out, _ = sf.read(decoded, dtype="float32", always_2d=True)
    out = np.pad(out, ((0, max(0, len(audio) - len(out))), (0, 0)))[: len(audio)]
    return out, 0.5 * (start + end)


def render(airlift: str, source: Path, out: Path, model: str, cutoff: float | None):
    """Runs `airlift render` with the cutoff forced, or automatic when `cutoff` is None."""
    args = [airlift, "render", str(source), str(out), "--model", model]
    args += ["--cutoff", str(cutoff)] if cutoff else ["--auto"]
    subprocess.run(args, check=True, capture_output=True)


def own_edge_hz(airlift: str, excerpt: Path) -> float | None:
    """Where the excerpt's own codec low-pass starts: the band limit `airlift detect` reports on
    it (the tests hold it at 15 kHz or above), less the crossfade ramp; None when it reports no
    band limit."""
    text = subprocess.run([airlift, "detect", str(excerpt)], check=True, capture_output=True,
                          text=True).stdout
    match = re.search(r"band limit: (\d+) Hz", text)
    return float(match.group(1)) * 2 ** (-1 / 12) if match else None


def evaluate(airlift: str, reference: Path, estimate: Path, cutoff: float,
             band_edge: float | None) -> dict:
    """`airlift eval`'s figures as a dict (LSD, LSD-HF), over the bins up to the reference's
    own band edge."""
    edge = ["--band-edge", str(band_edge)] if band_edge else []
    text = subprocess.run([airlift, "eval", str(reference), str(estimate), "--cutoff",
                           str(cutoff)] + edge, check=True, capture_output=True, text=True).stdout
    figures = {}
    for name, key in (("LSD-HF", "lsd_hf"), ("LSD", "lsd")):
        match = re.search(rf"^{name}:?\s+([-\d.]+)", text, re.MULTILINE)
        if match:
            figures[key] = float(match.group(1))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airlift", action="append", required=True)
    parser.add_argument("--label", action="append")
    parser.add_argument("--excerpts", type=Path,
                        default=Path(__file__).resolve().parents[3] / "tests/excerpts")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    labels = args.label or args.airlift
    judge = args.airlift[-1]  # the newest binary measures every render, with one metric
    entries = json.loads((args.excerpts / "excerpts.json").read_text())

    full_band = {}  # (label, model, cutoff) -> [lsd]
    limited = {}  # (label, model or "input", limit) -> [lsd_hf]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for entry in entries:
            source = args.excerpts / entry["file"]
            audio, rate = sf.read(source, dtype="float32", always_2d=True)
            edge_hz = own_edge_hz(judge, source)
            for label, airlift in zip(labels, args.airlift):
                for model in MODELS:
                    for cutoff in FORCED_CUTOFFS_HZ:
                        out = work / "out.wav"
                        render(airlift, source, out, model, cutoff)
                        figures = evaluate(judge, source, out, cutoff, edge_hz)
                        full_band.setdefault((label, model, cutoff), []).append(figures["lsd"])
            for name, shape, value in BAND_LIMITS:
                degraded, edge = band_limit(audio, rate, shape, value, work)
                degraded_path = work / "degraded.wav"
                sf.write(degraded_path, degraded, rate, subtype="FLOAT")
                cutoff = min(edge, edge_hz or edge)
                figures = evaluate(judge, source, degraded_path, cutoff, edge_hz)
                limited.setdefault(("input", "input", name), []).append(figures["lsd_hf"])
                for label, airlift in zip(labels, args.airlift):
                    for model in MODELS:
                        out = work / "out.wav"
                        render(airlift, degraded_path, out, model, cutoff)
                        figures = evaluate(judge, source, out, cutoff, edge_hz)
                        limited.setdefault((label, model, name), []).append(figures["lsd_hf"])
            print(f"measured {entry['file']}", flush=True)

    columns = [(label, model) for model in MODELS for label in labels]
    print("\nFull-band excerpts, cutoff forced: mean LSD of the output against the input")
    print("| cutoff | " + " | ".join(f"{m} ({l})" for l, m in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for cutoff in FORCED_CUTOFFS_HZ:
        cells = [f"{np.mean(full_band[(l, m, cutoff)]):.3f}" for l, m in columns]
        print(f"| {cutoff} Hz | " + " | ".join(cells) + " |")
    print("\nBand-limited excerpts, cutoff at the true edge: mean LSD-HF against the excerpt")
    print("| band limit | input | " + " | ".join(f"{m} ({l})" for l, m in columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for name, _, _ in BAND_LIMITS:
        cells = [f"{np.mean(limited[('input', 'input', name)]):.3f}"]
        cells += [f"{np.mean(limited[(l, m, name)]):.3f}" for l, m in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({
            "full_band_lsd": {f"{l}/{m}/{c}": float(np.mean(v))
                              for (l, m, c), v in full_band.items()},
            "band_limited_lsd_hf": {f"{l}/{m}/{n}": float(np.mean(v))
                                    for (l, m, n), v in limited.items()},
        }, indent=1))


if __name__ == "__main__":
    main()
