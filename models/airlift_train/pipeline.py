"""End to end: music, band limits, training, export, parity checks, reference files, and the
validation metrics against SBR measured with the `airlift` CLI. Run by `cargo xtask train ddsp`.

    python -m airlift_train.pipeline --out models --work target/ddsp --cli target/release/airlift
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

from . import data, degrade, export, frames, synth, train
from .model import HARMONICS, SOURCES, STATE, DdspBwe

SEED = 20261121
VALIDATION_SHAPES = ["butter8", "ellip", "mp3"]
VALIDATION_CUTOFFS_HZ = [4000, 8000, 12000]
# Every rate the plugin runs at: the engine's FFT grows with the rate so the bin width stays,
# and the model sees the same first 1025 bins (up to 22.05 or 24 kHz) at every rate.
RATES_HZ = [44100, 48000, 88200, 96000, 176400, 192000]


def log(message: str):
    print(f"[train ddsp] {message}", flush=True)


def manifest(metrics: dict, training: str) -> dict:
    """The manifest the plugin checks the model against (see models/README.md)."""
    return {
        "name": "ddsp",
        "description": "DDSP harmonic-plus-noise bandwidth extender: low-band features and "
                       "harmonic salience in, per-frame harmonic magnitudes and noise band "
                       "gains out, synthesized by the plugin",
        "slot": "ddsp",
        "kind": "harmonic_noise",
        "sample_rates_hz": RATES_HZ,
        "fft_size_at_48k": synth.N_FFT,
        "hop_fraction": synth.HOP / synth.N_FFT,
        "context_frames": 0,
        "lookahead_frames": 1,
        "synthesis": {
            "sources": SOURCES,
            "harmonics": HARMONICS,
            "state_size": STATE,
            "kernel_half_bins": synth.KERNEL_HALF_BINS,
            "noise_scale": synth.NOISE_SCALE,
            "envelope_lowest_bin": synth.ENVELOPE_LOWEST_BIN,
            "envelope_highest_bin": synth.ENVELOPE_HIGHEST_BIN,
            "envelope_bands": synth.ENVELOPE_BANDS,
        },
        "inputs": [
            {"name": "log_mag", "shape": [-1, 2, synth.BINS],
             "meaning": "ln(|X| + 1e-9) of the frame to generate and of the next one"},
            {"name": "cutoff_bin", "shape": [-1, 1], "meaning": "the cutoff in bins"},
            {"name": "state_in", "shape": [-1, STATE],
             "meaning": "the GRU state after the previous frame, zeros at the start"},
        ],
        "outputs": [
            {"name": "f0_bins", "shape": [-1, SOURCES],
             "meaning": "fundamental of each harmonic source, in bins"},
            {"name": "harmonic_mags", "shape": [-1, SOURCES, HARMONICS],
             "meaning": "peak STFT magnitude of harmonic h+1 of each source; 0: not generated"},
            {"name": "noise_log_mags", "shape": [-1, synth.ENVELOPE_BANDS],
             "meaning": "ln of the noise STFT magnitude at the envelope band centres"},
            {"name": "state_out", "shape": [-1, STATE], "meaning": "the GRU state to carry"},
        ],
        "training": training,
        "metrics": metrics,
    }


def lsd_hf(cli: Path, reference: Path, estimate: Path, cutoff_hz: float) -> float:
    out = subprocess.run([str(cli), "eval", str(reference), str(estimate), "--cutoff",
                          str(cutoff_hz)], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"LSD-HF:\s+([0-9.]+)", out).group(1))


def band_energy_db(estimate: Path, reference: Path, from_hz: float, to_hz: float) -> float:
    """Energy of `estimate` between the two frequencies relative to `reference`'s, in dB."""
    def energy(path):
        audio, rate = soundfile.read(path, dtype="float64")
        spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) ** 2
        freqs = np.fft.rfftfreq(len(audio), 1 / rate)
        return spectrum[(freqs >= from_hz) & (freqs < to_hz)].sum()
    return float(10 * np.log10(energy(estimate) / energy(reference)))


def evaluate(cli: Path, model_dir: Path, pieces, work: Path) -> dict:
    """LSD-HF of the band-limited input, SBR and DDSP on every validation piece, per shape and
    cutoff, rendered and measured by the CLI exactly as users run it."""
    env = {**os.environ, "AIRLIFT_MODEL_DIR": str(model_dir)}
    rng = np.random.default_rng(SEED + 99)
    results = {}
    work.mkdir(parents=True, exist_ok=True)
    for shape in VALIDATION_SHAPES:
        for cutoff in VALIDATION_CUTOFFS_HZ:
            scores = {"input": [], "sbr": [], "ddsp": []}
            energies = {"sbr": [], "ddsp": []}
            for i, audio in enumerate(pieces):
                original = work / f"original_{i}.wav"
                limited = work / f"{shape}_{cutoff}_{i}.wav"
                if not original.exists():
                    soundfile.write(original, audio, data.SAMPLE_RATE_HZ, subtype="FLOAT")
                soundfile.write(limited, degrade.lowpass(audio, data.SAMPLE_RATE_HZ, shape,
                                                         cutoff, rng),
                                data.SAMPLE_RATE_HZ, subtype="FLOAT")
                scores["input"].append(lsd_hf(cli, original, limited, cutoff))
                for model in ("sbr", "ddsp"):
                    rendered = work / f"{shape}_{cutoff}_{i}_{model}.wav"
                    done = subprocess.run([str(cli), "render", str(limited), str(rendered),
                                           "--cutoff", str(cutoff), "--model", model], env=env,
                                          check=True, capture_output=True, text=True)
                    if "runs instead" in done.stderr:
                        raise SystemExit(f"the CLI did not run the model: {done.stderr.strip()}")
                    scores[model].append(lsd_hf(cli, original, rendered, cutoff))
                    energies[model].append(band_energy_db(rendered, original, cutoff, 20_000))
            entry = {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
            entry["ddsp_vs_sbr"] = round(entry["ddsp"] / entry["sbr"] - 1, 4)
            for model, values in energies.items():
                entry[f"{model}_band_energy_db"] = round(float(np.mean(values)), 2)
            results[f"{shape}@{cutoff}"] = entry
            log(f"validation {shape} at {cutoff} Hz: LSD-HF input {entry['input']:.3f}, "
                f"SBR {entry['sbr']:.3f}, DDSP {entry['ddsp']:.3f} "
                f"({100 * entry['ddsp_vs_sbr']:+.1f} % vs SBR); band energy re original: "
                f"SBR {entry['sbr_band_energy_db']:+.1f} dB, DDSP {entry['ddsp_band_energy_db']:+.1f} dB")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where ddsp.onnx/.json go")
    parser.add_argument("--work", type=Path, required=True, help="scratch and data cache")
    parser.add_argument("--cli", type=Path, required=True, help="the airlift CLI binary")
    parser.add_argument("--train-pieces", type=int, default=64)
    parser.add_argument("--validation-pieces", type=int, default=6)
    parser.add_argument("--piece-seconds", type=float, default=24.0)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--reuse-checkpoint", action="store_true",
                        help="skip training and export the weights of the last run")
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    torch.manual_seed(SEED)
    data.check_tools()

    log("rendering music with fluidsynth")
    audio_dir = args.work / "audio"
    train_pieces = data.render_split(audio_dir, "train", data.TRAIN_SEED_BASE,
                                     args.train_pieces, args.piece_seconds)
    validation_pieces = data.render_split(audio_dir, "validation", data.VALIDATION_SEED_BASE,
                                          args.validation_pieces, args.piece_seconds)
    model = DdspBwe()
    log("band-limiting and framing")
    clips = frames.degraded_clips(model.features, train_pieces, data.SAMPLE_RATE_HZ, 3,
                                  np.random.default_rng(SEED))
    validation = frames.degraded_clips(model.features, validation_pieces, data.SAMPLE_RATE_HZ,
                                       2, np.random.default_rng(SEED + 1))
    log(f"{len(clips)} training clips, {len(validation)} validation clips "
        f"({time.time() - started:.0f} s)")
    checkpoint = args.work / "ddsp.pt"
    if args.reuse_checkpoint and checkpoint.is_file():
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["model"])
        history, train_seconds = saved["history"], saved["seconds"]
        log(f"reusing the trained weights in {checkpoint}")
    else:
        history = train.train(model, clips, validation, args.steps, SEED, log)
        train_seconds = time.time() - started
        torch.save({"model": model.state_dict(), "history": history, "seconds": train_seconds},
                   checkpoint)

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "ddsp.onnx"
    export.export(model, onnx_path)
    steps = export.reference_steps(model, validation[0], 6, 200)
    worst = export.check_onnx(onnx_path, steps)
    log(f"ONNX Runtime matches PyTorch within {worst:.1e} (relative)")
    export.write_model_reference(steps, args.out / "ddsp.reference.json")
    export.write_synth_reference(args.out / "ddsp.synth_reference.json")
    size = onnx_path.stat().st_size
    if size > 5 * 1024 * 1024:
        raise SystemExit(f"ddsp.onnx is {size} bytes, over the 5 MB budget")

    training = (
        f"`cargo xtask train ddsp`: {args.train_pieces} generated pieces of "
        f"{args.piece_seconds:.0f} s (fluidsynth, FluidR3 GM), each band-limited 3 times "
        f"(shapes {', '.join(degrade.SHAPES)}; cutoffs 2-16 kHz), {args.steps} Adam steps of "
        f"32 x {train.SEQUENCE_FRAMES} frames, seed {SEED}; {train_seconds / 60:.1f} min "
        f"on {os.cpu_count()} CPU cores; final validation loss {history[-1][2]:.3f}"
    )
    manifest_path = args.out / "ddsp.json"
    manifest_path.write_text(json.dumps(manifest({}, training), indent=2) + "\n")
    log("measuring on the validation split with the CLI")
    results = evaluate(args.cli, args.out, validation_pieces, args.work / "validation")
    metrics = {
        "validation": (f"{args.validation_pieces} held-out pieces of {args.piece_seconds:.0f} s, "
                       "LSD-HF by `airlift eval --cutoff`, and the energy between the cutoff "
                       "and 20 kHz relative to the original's (dB), means over pieces"),
        "lsd_hf": results,
        "onnx_parity_relative": worst,
        "size_bytes": size,
    }
    manifest_path.write_text(json.dumps(manifest(metrics, training), indent=2) + "\n")
    log(f"done in {(time.time() - started) / 60:.1f} min: {onnx_path} ({size} bytes)")
    failing = [k for k, v in results.items() if v["ddsp_vs_sbr"] > -0.15]
    if failing:
        log(f"below target (15 % under SBR) at: {', '.join(failing)}")


if __name__ == "__main__":
    sys.exit(main())
