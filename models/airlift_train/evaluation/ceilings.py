"""Ceilings of the Spectral U-Net's representation: what limits it, measured before changing it.

The U-Net generates a smooth envelope (its 128 log-frequency bands interpolated back to bins,
plus the calibrated level offset) and the worker gives every generated bin the phase of the
band copied up, as SBR places it. Here each part of that is swapped, in turn, for the truth
taken from the full-band original, on stretches of the corpus's validation split:

- `model`: the U-Net's envelope, copied phase (the representation as it ships);
- `true envelope`: the original's envelope at the model's band resolution, copied phase;
- `true envelope, copied fine structure`: the same envelope over the copied band's own
  fine structure (its bins against its envelope), copied phase;
- `model envelope, true fine structure`: the U-Net's envelope over the original's fine
  structure (its bins against its envelope), copied phase;
- `true magnitudes`: the original's magnitude in every bin, copied phase;
- `true magnitudes and phase`: the original's own bins, the floor of this simulation.

Every variant goes through the same simulation of the engine (its STFT: periodic Hann, 2048
points, hop 512; the generated band replaces the input above the cutoff over the engine's
raised-cosine ramp of a semitone; overlap-add with the synthesis window), so they differ only
in the generated band. The envelopes that borrow a phase get the model's level offset, which
the training pipeline calibrated for what the overlap-add of borrowed phases loses. The real
U-Net render by `airlift render --cutoff` is measured beside them. Each is scored by
`airlift eval --cutoff --band-edge`: LSD-HF and the top of the band (level by thirds and LSD
from the cutoff to the smaller of the piece's own edge and 20 kHz).

Usage (from `models/`, with the training venv, whose onnxruntime runs the shipped model):
    python -m airlift_train.evaluation.ceilings --airlift ../target/release/airlift \
        --corpus ../target/corpus [--pieces 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime
import soundfile as sf

from ..networks import bands, unet
from . import validation
from .top_band import degraded, eval_json

N_FFT, HOP = unet.N_FFT, unet.HOP
CONDITIONS = (
    ("Butterworth 8, 4 kHz", "butter8", 4000),
    ("Butterworth 8, 8 kHz", "butter8", 8000),
    ("Butterworth 8, 12 kHz", "butter8", 12000),
    ("lame 96 kbps", "mp3", 96),
    ("lame 128 kbps", "mp3", 128),
)
VARIANTS = ("model", "true envelope", "true envelope, copied fine structure",
            "model envelope, true fine structure", "true magnitudes",
            "true magnitudes and phase")
# The engine's crossfade ramp below the cutoff (a semitone), its shortest ramp and its patches'
# granularity (`plugin/src/dsp/sbr.rs`).
RAMP_OCTAVES = 1 / 12
MIN_RAMP_BINS = 4
OVERLAP = 4


def stft(audio: np.ndarray) -> np.ndarray:
    """[frames, bins] complex spectra of one channel, the engine's analysis (frames start every
    hop from one window before the signal, so the overlap-add covers every sample)."""
    return bands.stft(np.pad(audio, (N_FFT, N_FFT)))


def istft(spectra: np.ndarray, length: int) -> np.ndarray:
    """The overlap-add of `spectra` with the synthesis window, cut to `length` samples."""
    frames = np.fft.irfft(spectra, N_FFT, axis=1) * bands.window()
    out = np.zeros(len(frames) * HOP + N_FFT)
    for i, frame in enumerate(frames):
        out[i * HOP: i * HOP + N_FFT] += frame
    # Hann analysis and synthesis at a quarter-window hop sum to 1.5.
    return (out / 1.5)[N_FFT: N_FFT + length]


def band_layout(cutoff_hz: float, rate: int):
    """The engine's replaced band for `cutoff_hz`: the replace weight per bin (the raised-cosine
    ramp up to the cutoff, then 1) and the source bin each copies its phase from."""
    bins = N_FFT // 2 + 1
    bin_hz = rate / N_FFT
    cutoff_bin = int(round(cutoff_hz / bin_hz))
    ramp_start = min(int(round(cutoff_hz * 2 ** -RAMP_OCTAVES / bin_hz)),
                     cutoff_bin - MIN_RAMP_BINS)
    end_bin = min(int(24000 / bin_hz), bins - 1)
    patch = (ramp_start // 2) // OVERLAP * OVERLAP
    weight = np.zeros(bins)
    source = np.arange(bins)
    for k in range(ramp_start, end_bin):
        if k < cutoff_bin:
            x = (k - ramp_start + 1) / (cutoff_bin - ramp_start + 1)
            weight[k] = 0.5 - 0.5 * np.cos(np.pi * x)
        else:
            weight[k] = 1.0
        source[k] = ramp_start - patch + (k - ramp_start) % patch
    return weight, source, cutoff_bin


def envelope_log(magnitude: np.ndarray) -> np.ndarray:
    """ln of the envelope of `magnitude` [frames, bins] at the U-Net's band resolution: band
    means of ln|X| interpolated back to bins, as the network reads and writes it."""
    log_mag = np.log(magnitude + unet.LOG_FLOOR)
    return (log_mag @ unet.pooling_matrix()) @ unet.expansion_matrix()


def model_envelope_log(session, limited_log_mag: np.ndarray, cutoff_bin: float) -> np.ndarray:
    """The shipped U-Net's high_log_mag [frames, bins] for every frame of one channel: each
    frame with its context and look-ahead, the frames before the start and after the end at
    the log floor, as the worker gives them."""
    frames, bins = limited_log_mag.shape
    floor = np.log(unet.LOG_FLOOR)
    padded = np.concatenate([np.full((unet.CONTEXT, bins), floor), limited_log_mag,
                             np.full((unet.LOOKAHEAD, bins), floor)]).astype(np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(padded, unet.FRAMES, axis=0)
    windows = np.ascontiguousarray(windows.transpose(0, 2, 1))  # [frames, FRAMES, bins]
    out = []
    for start in range(0, frames, 256):
        batch = windows[start: start + 256]
        cutoff = np.full((len(batch), 1), cutoff_bin, dtype=np.float32)
        out.append(session.run(["high_log_mag"], {"log_mag": batch, "cutoff_bin": cutoff})[0])
    return np.concatenate(out)


def variants(reference: np.ndarray, limited: np.ndarray, rate: int, cutoff_hz: float,
             session, level_offset: float) -> dict[str, np.ndarray]:
    """Every variant's output [samples, channels] for one band-limited stretch."""
    weight, source, _ = band_layout(cutoff_hz, rate)
    cutoff_bin = cutoff_hz / (rate / N_FFT)
    outputs = {name: [] for name in VARIANTS}
    for c in range(reference.shape[1]):
        x_ref, x_in = stft(reference[:, c]), stft(limited[:, c])
        mag_ref, mag_in = np.abs(x_ref), np.abs(x_in)
        copied = x_in[:, source]
        copied_phase = copied / np.maximum(np.abs(copied), 1e-20)
        true_env = envelope_log(mag_ref)
        fine_true = np.log(mag_ref + unet.LOG_FLOOR) - true_env
        fine_copied = np.log(np.abs(copied) + unet.LOG_FLOOR) - envelope_log(np.abs(copied))
        model_env = model_envelope_log(session, np.log(mag_in + unet.LOG_FLOOR), cutoff_bin)
        generated = {
            "model": np.exp(model_env) * copied_phase,
            "true envelope": np.exp(true_env + level_offset) * copied_phase,
            "true envelope, copied fine structure":
                np.exp(true_env + fine_copied + level_offset) * copied_phase,
            "model envelope, true fine structure": np.exp(model_env + fine_true) * copied_phase,
            "true magnitudes": mag_ref * np.exp(level_offset) * copied_phase,
            "true magnitudes and phase": x_ref,
        }
        for name, band in generated.items():
            spectra = x_in * (1 - weight) + band * weight
            outputs[name].append(istft(spectra, len(reference)))
    return {name: np.stack(chans, axis=1).astype(np.float32) for name, chans in outputs.items()}


def model_level_offset(model: Path) -> float:
    """The level offset (nepers) the training pipeline calibrated and exported into the model,
    read from the ONNX graph's `level_offset` initializer."""
    import onnx
    from onnx import numpy_helper
    for initializer in onnx.load(str(model)).graph.initializer:
        if initializer.name == "level_offset":
            return float(numpy_helper.to_array(initializer))
    raise SystemExit(f"{model} has no level_offset")


def scores(airlift: str, reference: Path, estimate: Path, cutoff_hz: float,
           edge_hz: float) -> dict:
    """LSD-HF and the top of the band by `airlift eval`."""
    result = eval_json(airlift, reference, estimate, cutoff_hz, edge_hz)
    return {"lsd_hf": result["lsd_hf"], "top_band": result["top_band"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airlift", required=True, help="the airlift CLI (eval, render)")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--model", type=Path,
                        default=Path(__file__).resolve().parents[2] / "unet.onnx")
    parser.add_argument("--pieces", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    level_offset = model_level_offset(args.model)
    session = onnxruntime.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
    env = {**os.environ, "AIRLIFT_MODEL_DIR": str(args.model.parent)}
    pieces = validation.stretches(args.corpus, args.pieces)
    results = {name: {v: [] for v in VARIANTS + ("render",)} for name, _, _ in CONDITIONS}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for index, (piece, audio) in enumerate(pieces):
            rate, own_edge = piece.rate, min(piece.band_edge_hz, piece.rate / 2)
            original = work / "original.wav"
            sf.write(original, audio, rate, subtype="FLOAT")
            for condition, shape, value in CONDITIONS:
                limited, cutoff = degraded(audio, rate, own_edge, shape, value)
                if cutoff >= own_edge * 2 ** (-1 / 6):
                    continue
                limited_path = work / "limited.wav"
                sf.write(limited_path, limited, rate, subtype="FLOAT")
                for name, output in variants(audio, limited, rate, cutoff, session,
                                             level_offset).items():
                    path = work / "variant.wav"
                    sf.write(path, output, rate, subtype="FLOAT")
                    results[condition][name].append(scores(args.airlift, original, path,
                                                           cutoff, own_edge))
                rendered = work / "rendered.wav"
                subprocess.run([args.airlift, "render", str(limited_path), str(rendered),
                                "--cutoff", f"{cutoff:.0f}", "--model", "unet"], env=env,
                               check=True, capture_output=True)
                results[condition]["render"].append(scores(args.airlift, original, rendered,
                                                           cutoff, own_edge))
            print(f"measured piece {index + 1} of {len(pieces)}: {piece.path.name}", flush=True)
    print_tables(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def print_tables(results: dict) -> None:
    """Mean LSD-HF per condition and variant, then the top of the band's level by thirds."""
    rows = ("render",) + VARIANTS
    names = {"render": "U-Net render (the engine)"}
    print("\nMean LSD-HF (lower is better)\n")
    print("| variant | " + " | ".join(c for c, _, _ in CONDITIONS) + " | mean |")
    print("|---|" + "---|" * (len(CONDITIONS) + 1))
    for row in rows:
        cells = [np.mean([s["lsd_hf"] for s in results[c][row]]) for c, _, _ in CONDITIONS]
        print(f"| {names.get(row, row)} | " + " | ".join(f"{v:.3f}" for v in cells)
              + f" | {np.mean(cells):.3f} |")
    print("\nTop of the band: mean level against the original by thirds (dB), and its LSD\n")
    print("| variant | " + " | ".join(c for c, _, _ in CONDITIONS) + " |")
    print("|---|" + "---|" * len(CONDITIONS))
    for row in rows:
        cells = []
        for condition, _, _ in CONDITIONS:
            tops = [s["top_band"] for s in results[condition][row] if s["top_band"]]
            bias = np.mean([t["bias_db"] for t in tops], axis=0)
            lsd = np.mean([t["lsd"] for t in tops])
            cells.append(" / ".join(f"{b:+.1f}" for b in bias) + f", {lsd:.2f}")
        print(f"| {names.get(row, row)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
