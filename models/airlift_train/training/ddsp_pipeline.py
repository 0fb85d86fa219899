"""End to end for DDSP: recorded music from the corpus with the Spectral U-Net's degradations
(and, on request, generated General MIDI pieces), training, export, parity checks, reference
files, and the validation table against SBR measured with the `airlift` CLI on the same pieces
and conditions as the U-Net's. Run by `cargo xtask train ddsp`.

    python -m airlift_train.training.ddsp_pipeline --out models --work target/ddsp \
        --corpus target/corpus --cli target/release/airlift
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..corpus import music, synthesized
from ..evaluation import validation
from ..networks import export, synth
from ..networks.ddsp import HARMONICS, SOURCES, STATE, DdspBwe
from . import ddsp_frames, ddsp_train

SEED = 20261121
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


def cached_clips(work: Path, name: str, make):
    """Clips built once by `make()` and kept in `work` under `name`."""
    path = work / f"clips_{name}.pt"
    if path.is_file():
        return torch.load(path, weights_only=False)
    made = make()
    work.mkdir(parents=True, exist_ok=True)
    torch.save(made, path)
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where ddsp.onnx/.json go")
    parser.add_argument("--work", type=Path, required=True, help="scratch and data cache")
    parser.add_argument("--cli", type=Path, required=True, help="the airlift CLI binary")
    parser.add_argument("--corpus", type=Path, required=True, help="`cargo xtask corpus`'s")
    parser.add_argument("--passes", type=int, default=2,
                        help="degraded versions of every stretch")
    parser.add_argument("--stretches-per-minute", type=float, default=4.0)
    parser.add_argument("--synth-pieces", type=int, default=0,
                        help="generated General MIDI pieces of 24 s added to the recorded music")
    parser.add_argument("--validation-pieces", type=int, default=10)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--reuse-checkpoint", action="store_true",
                        help="skip training and export the weights of the last run")
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    torch.manual_seed(SEED)
    if not (args.corpus / "manifest.json").is_file():
        raise SystemExit(f"no corpus in {args.corpus}: run `cargo xtask corpus` first")

    model = DdspBwe()
    log("cutting and degrading recorded music")
    train_pieces = music.pieces(args.corpus, "train")
    key = f"train_{args.passes}x{args.stretches_per_minute:g}_{SEED}"
    clips = cached_clips(args.work, key, lambda: [
        clip for p in range(args.passes)
        for clip in ddsp_frames.corpus_clips(model.features, train_pieces,
                                             args.stretches_per_minute, 4, SEED + 1000 * p)])
    if args.synth_pieces:
        synthesized.check_tools()
        generated = synthesized.render_split(args.work / "audio", "train",
                                             synthesized.TRAIN_SEED_BASE, args.synth_pieces,
                                             24.0)
        clips = clips + ddsp_frames.degraded_clips(model.features, generated,
                                                   synthesized.SAMPLE_RATE_HZ, args.passes,
                                                   np.random.default_rng(SEED))
    validation_clips = cached_clips(
        args.work, f"validation_{SEED + 1}", lambda: ddsp_frames.corpus_clips(
            model.features, music.pieces(args.corpus, "validation"), 2.0, 2, SEED + 1))
    counts = {}
    for clip in clips:
        counts[clip.shape] = counts.get(clip.shape, 0) + 1
    log(f"{len(clips)} training clips, {len(validation_clips)} validation clips "
        f"({time.time() - started:.0f} s); degradations {counts}")
    checkpoint = args.work / "ddsp.pt"
    if args.reuse_checkpoint and checkpoint.is_file():
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["model"])
        history, train_seconds = saved["history"], saved["seconds"]
        log(f"reusing the trained weights in {checkpoint}")
    else:
        history = ddsp_train.train(model, clips, validation_clips, args.steps, SEED, log)
        train_seconds = time.time() - started
        torch.save({"model": model.state_dict(), "history": history, "seconds": train_seconds},
                   checkpoint)

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "ddsp.onnx"
    export.export(model, onnx_path)
    steps = export.reference_steps(model, validation_clips[0], 6, 200)
    worst = export.check_onnx(onnx_path, steps)
    log(f"ONNX Runtime matches PyTorch within {worst:.1e} (relative)")
    export.write_model_reference(steps, args.out / "ddsp.reference.json")
    export.write_synth_reference(args.out / "ddsp.synth_reference.json")
    size = onnx_path.stat().st_size
    if size > 5 * 1024 * 1024:
        raise SystemExit(f"ddsp.onnx is {size} bytes, over the 5 MB budget")

    training = (
        f"`cargo xtask train ddsp`: {len(clips)} clips of up to {music.STRETCH_SECONDS:.0f} s, "
        f"one channel each, of the corpus's training split (48 and 44.1 kHz)"
        f"{f' and of {args.synth_pieces} generated General MIDI pieces' if args.synth_pieces else ''}, "
        f"degraded as for the U-Net (filters 2-16 kHz, lame 32-320 kbps, Vorbis, a "
        f"22.05/32 kHz round trip; EQ tilt, noise floor), {args.steps} Adam steps of "
        f"32 x {ddsp_train.SEQUENCE_FRAMES} frames, seed {SEED}; {train_seconds / 60:.1f} min "
        f"on {os.cpu_count()} CPU cores; final validation loss {history[-1][2]:.3f}"
    )
    manifest_path = args.out / "ddsp.json"
    manifest_path.write_text(json.dumps(manifest({}, training), indent=2) + "\n")
    log("measuring on the validation split with the CLI")
    stretches = validation.stretches(args.corpus, args.validation_pieces)
    results = validation.evaluate(args.cli, args.out, stretches, args.work / "validation",
                                  ("sbr", "ddsp"), "ddsp", log)
    metrics = validation.metrics(stretches, results, "ddsp", worst, size)
    manifest_path.write_text(json.dumps(manifest(metrics, training), indent=2) + "\n")
    log(f"done in {(time.time() - started) / 60:.1f} min: {onnx_path} ({size} bytes)")


if __name__ == "__main__":
    sys.exit(main())
