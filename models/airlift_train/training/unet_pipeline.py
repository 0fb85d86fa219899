"""End to end for the Spectral U-Net: recorded music from the corpus, degradations, training,
export, the PyTorch/ONNX Runtime parity check, the reference steps, and the validation table
against SBR and DDSP measured with the `airlift` CLI. Run by `cargo xtask train unet`.

    python -m airlift_train.training.unet_pipeline --out models --work target/unet \
        --corpus target/corpus --cli target/release/airlift
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

from ..corpus import content_edge, degrade, music, synthesized
from ..evaluation import validation
from ..networks import bands
from ..networks import export as export_module
from ..networks import unet
from . import unet_train

SEED = 20261122
INPUTS = ["log_mag", "cutoff_bin"]
OUTPUTS = ["high_log_mag"]
SIZE_LIMIT_BYTES = 20 * 1024 * 1024
MODELS = ("sbr", "ddsp", "unet")


def log(message: str):
    print(f"[train unet] {message}", flush=True)


def manifest(metrics: dict, training: str) -> dict:
    """The manifest the plugin checks the model against (see models/README.md)."""
    return {
        "name": "unet",
        "description": "Spectral U-Net: the high band's log-magnitude envelope inpainted from "
                       "the low band on a log-frequency axis, trained on recorded music",
        "slot": "unet",
        "kind": "spectral",
        "sample_rates_hz": [44100, 48000, 88200, 96000, 176400, 192000],
        "fft_size_at_48k": unet.N_FFT,
        "hop_fraction": unet.HOP / unet.N_FFT,
        "context_frames": unet.CONTEXT,
        "lookahead_frames": unet.LOOKAHEAD,
        "phase": "copy_up",
        "inputs": [
            {"name": "log_mag", "shape": [-1, unet.FRAMES, unet.BINS],
             "meaning": "ln(|X| + 1e-9) of the first 1025 bins (up to 24 kHz) of "
                        f"{unet.CONTEXT} past frames, the frame to generate and "
                        f"{unet.LOOKAHEAD} future one, oldest first"},
            {"name": "cutoff_bin", "shape": [-1, 1], "meaning": "the cutoff in bins"},
        ],
        "outputs": [
            {"name": "high_log_mag", "shape": [-1, unet.BINS],
             "meaning": "ln of the generated magnitude of the frame to generate"},
        ],
        "training": training,
        "metrics": metrics,
    }


def cached_examples(work: Path, corpus: Path, split: str, passes: int, per_minute: float,
                    most: int, seed: int, kind: str = ""):
    """The examples of a split, built once and kept in `work`; `kind` "mp3" makes every
    stretch a low-rate MP3 (`music.make_low_rate_mp3_example`), "worn" a worn transfer after
    Denoise (`music.make_worn_example`)."""
    path = work / f"examples_{kind + '_' if kind else ''}{split}_{passes}x{per_minute:g}x{most}_{seed}.pt"
    if path.is_file():
        return torch.load(path, weights_only=False)
    pieces = music.pieces(corpus, split)
    make = {"": music.make_example, "mp3": music.make_low_rate_mp3_example,
            "worn": music.make_worn_example}[kind]
    made = []
    for p in range(passes):
        made += music.examples(pieces, per_minute, most, seed + 1000 * p, make=make)
    work.mkdir(parents=True, exist_ok=True)
    torch.save(made, path)
    return made


# Training examples are built and kept in files of this many passes each, so that more passes
# reuse the files of fewer.
PASSES_PER_FILE = 3


def training_examples(work: Path, corpus: Path, passes: int, per_minute: float, seed: int):
    """The training split's examples, `passes` degraded versions of every stretch (pass p drawn
    from seed + 1000 p), built PASSES_PER_FILE passes at a time and kept in `work`."""
    made = []
    for first in range(0, passes, PASSES_PER_FILE):
        made += cached_examples(work, corpus, "train", min(PASSES_PER_FILE, passes - first),
                                per_minute, 10, seed + 1000 * first)
    return made


def synthesized_examples(work: Path, count: int, passes: int, per_minute: float, seed: int):
    """Examples from `count` generated General MIDI pieces of 24 s (fluidsynth, the DDSP
    pipeline's music and seeds): bright synthesized timbres that recorded music rarely has,
    full band to 24 kHz. Built once and kept in `work`."""
    path = work / f"examples_synth_{count}_{passes}x{per_minute:g}_{seed}.pt"
    if path.is_file():
        return torch.load(path, weights_only=False)
    synthesized.check_tools()
    audio_dir = work / "synth"
    synthesized.render_split(audio_dir, "train", synthesized.TRAIN_SEED_BASE, count, 24.0)
    pieces = []
    for i in range(count):
        piece = music.Piece(audio_dir / f"train_{i:03d}.flac", synthesized.SAMPLE_RATE_HZ,
                            synthesized.SAMPLE_RATE_HZ / 2, 24.0, "synthesized (General MIDI)")
        pieces.append((piece, piece))
    made = []
    for p in range(passes):
        made += music.examples(pieces, per_minute, 10, seed + 1000 * p)
    torch.save(made, path)
    return made


def export(model: unet.SpectralUnet, path: Path):
    """Writes the streaming step as one ONNX graph (batch = channels)."""
    model.eval()
    example = (torch.full((2, unet.FRAMES, unet.BINS), -6.0), torch.full((2, 1), 300.0))
    batch = {0: "batch"}
    torch.onnx.export(model, example, str(path), input_names=INPUTS, output_names=OUTPUTS,
                      opset_version=17, dynamic_axes={n: batch for n in INPUTS + OUTPUTS},
                      dynamo=False)


def reference_steps(model: unet.SpectralUnet, audio: np.ndarray, rate: int, cutoff_hz: float,
                    steps: int, start: int):
    """`steps` streaming steps of a band-limited stereo stretch through PyTorch."""
    log_mag = torch.from_numpy(np.stack([bands.stft_log_mag(audio[:, c]) for c in range(2)]))
    cutoff = torch.full((2, 1), cutoff_hz / (rate / unet.N_FFT))
    made = []
    for t in range(start, start + steps):
        window = log_mag[:, t:t + unet.FRAMES]
        with torch.no_grad():
            out = model(window, cutoff)
        made.append({"inputs": [window, cutoff], "outputs": [out]})
    return made


def write_reference(steps, path: Path):
    """The steps' inputs and outputs, for the Rust ONNX Runtime parity test."""
    def flat(t):
        return [round(float(v), 6) for v in t.numpy().ravel()]
    path.write_text(json.dumps({
        "description": "Streaming steps of models/unet.onnx on a band-limited validation "
                       "stretch, two channels; written by "
                       "models/airlift_train/training/unet_pipeline.py",
        "steps": [{"inputs": {n: flat(v) for n, v in zip(INPUTS, s["inputs"])},
                   "outputs": {n: flat(v) for n, v in zip(OUTPUTS, s["outputs"])}}
                  for s in steps],
    }))


# The level calibration: offsets tried (nepers), on training pieces, with these band limits.
CALIBRATION_OFFSETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
CALIBRATION_LIMITS = (("butter8", 4000), ("brickwall", 8000), ("butter8", 12000), ("mp3", 64))


def calibrate(model: unet.SpectralUnet, cli: Path, corpus: Path, work: Path) -> float:
    """Sets the model's level offset to the one of CALIBRATION_OFFSETS with the lowest mean
    LSD-HF through the CLI on eight training pieces (never the validation split), scored up to
    where each piece's content ends (`content_edge.content_edge_hz`), as the validation table is: the
    engine's overlap-add of frames with borrowed phases does not measure at the envelope the
    model was trained to give. Returns the offset."""
    stretches = validation.stretches(corpus, 8, "train")
    rng = np.random.default_rng(SEED + 7)
    work.mkdir(parents=True, exist_ok=True)
    content_edges_hz = [content_edge.content_edge_hz(audio, piece.rate, piece.band_edge_hz)
                        for piece, audio in stretches]
    cases = []
    for shape, value in CALIBRATION_LIMITS:
        for i, (piece, audio) in enumerate(stretches):
            rate, edge_hz = piece.rate, content_edges_hz[i]
            original = work / f"original_{i}.wav"
            soundfile.write(original, audio, rate, subtype="FLOAT")
            case = validation.band_limited(audio, rate, edge_hz, shape, value, rng)
            if case is None:
                continue
            limited_audio, cutoff_hz = case
            limited = work / f"{shape}_{value}_{i}.wav"
            soundfile.write(limited, limited_audio, rate, subtype="FLOAT")
            cases.append((original, limited, cutoff_hz, edge_hz))
    scores = {}
    for offset in CALIBRATION_OFFSETS:
        model.level_offset.fill_(offset)
        folder = work / f"offset_{offset}"
        folder.mkdir(exist_ok=True)
        export(model, folder / "unet.onnx")
        (folder / "unet.json").write_text(json.dumps(manifest({}, "calibration")))
        env = {**os.environ, "AIRLIFT_MODEL_DIR": str(folder)}
        lsd = []
        for original, limited, cutoff_hz, edge_hz in cases:
            rendered = work / "rendered.wav"
            subprocess.run([str(cli), "render", str(limited), str(rendered), "--cutoff",
                            f"{cutoff_hz:.0f}", "--model", "unet"], env=env, check=True,
                           capture_output=True)
            lsd.append(validation.cli_lsd_hf(cli, original, rendered, cutoff_hz, edge_hz)[0])
        scores[offset] = float(np.mean(lsd))
        log(f"calibration: level offset {offset:+.1f} nepers, mean LSD-HF {scores[offset]:.3f} "
            f"({len(cases)} training cases)")
    best = min(scores, key=scores.get)
    model.level_offset.fill_(best)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where unet.onnx/.json go")
    parser.add_argument("--work", type=Path, required=True, help="scratch and data cache")
    parser.add_argument("--corpus", type=Path, required=True, help="`cargo xtask corpus`'s")
    parser.add_argument("--cli", type=Path, required=True, help="the airlift CLI binary")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--passes", type=int, default=1,
                        help="degraded versions of every stretch")
    parser.add_argument("--low-rate-mp3-per-minute", type=float, default=5.0,
                        help="stretches per minute of music added as lame at 32-96 kbps")
    parser.add_argument("--worn-per-minute", type=float, default=0.0,
                        help="stretches per minute of music added as worn transfers after Denoise")
    parser.add_argument("--stretches-per-minute", type=float, default=10.0)
    parser.add_argument("--validation-pieces", type=int, default=10)
    parser.add_argument("--synth-pieces", type=int, default=0,
                        help="generated General MIDI pieces added to the recorded music")
    parser.add_argument("--reuse-checkpoint", action="store_true",
                        help="skip training and export the weights of the last run")
    parser.add_argument("--skip-evaluation", action="store_true")
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    torch.manual_seed(SEED)
    if not (args.corpus / "manifest.json").is_file():
        raise SystemExit(f"no corpus in {args.corpus}: run `cargo xtask corpus` first")

    log("cutting and degrading recorded music")
    training = training_examples(args.work, args.corpus, args.passes,
                                 args.stretches_per_minute, SEED)
    if args.low_rate_mp3_per_minute:
        training = training + cached_examples(
            args.work, args.corpus, "train", 1, args.low_rate_mp3_per_minute, 10, SEED + 500,
            kind="mp3")
    if args.worn_per_minute:
        training = training + cached_examples(
            args.work, args.corpus, "train", 1, args.worn_per_minute, 10, SEED + 600,
            kind="worn")
    if args.synth_pieces:
        training = training + synthesized_examples(args.work, args.synth_pieces, args.passes,
                                                   args.stretches_per_minute, SEED + 2)
    validation_examples = cached_examples(args.work, args.corpus, "validation", 1, 2.0, 2,
                                          SEED + 1)
    counts = {}
    for e in training:
        counts[e.degradation] = counts.get(e.degradation, 0) + 1
    log(f"{len(training)} training and {len(validation_examples)} validation stretches "
        f"({time.time() - started:.0f} s); degradations {counts}")

    model = unet.SpectralUnet()
    checkpoint = args.work / "unet.pt"
    if args.reuse_checkpoint and checkpoint.is_file():
        saved = torch.load(checkpoint)
        saved["model"].setdefault("level_offset", torch.zeros(()))
        model.load_state_dict(saved["model"])
        history, train_seconds = saved["history"], saved["seconds"]
        log(f"reusing the trained weights in {checkpoint}")
    else:
        history = unet_train.train(model, unet_train.Windows(training),
                                   unet_train.Windows(validation_examples), args.steps, SEED, log)
        train_seconds = time.time() - started
        torch.save({"model": model.state_dict(), "history": history,
                    "seconds": train_seconds}, checkpoint)

    args.out.mkdir(parents=True, exist_ok=True)
    offset = calibrate(model, args.cli, args.corpus, args.work / "calibration")
    log(f"level offset {offset:+.1f} nepers")
    onnx_path = args.out / "unet.onnx"
    export(model, onnx_path)
    stretches = validation.stretches(args.corpus, args.validation_pieces)
    piece, audio = stretches[0]
    limited = np.stack([degrade.lowpass(audio[:, c], piece.rate, "butter8", 6000.0,
                                        np.random.default_rng(SEED))
                        for c in range(2)], axis=1)
    steps = reference_steps(model, limited, piece.rate, 6000.0, 4, 200)
    worst = export_module.check_onnx(onnx_path, steps, inputs=INPUTS, outputs=OUTPUTS)
    log(f"ONNX Runtime matches PyTorch within {worst:.1e} (relative)")
    write_reference(steps, args.out / "unet.reference.json")
    size = onnx_path.stat().st_size
    if size > SIZE_LIMIT_BYTES:
        raise SystemExit(f"unet.onnx is {size} bytes, over the 20 MB budget")

    training_note = (
        f"`cargo xtask train unet`: {len(training)} stretches of up to "
        f"{music.STRETCH_SECONDS:.0f} s of the corpus's training split (both channels, 48 and "
        f"44.1 kHz){f' and of {args.synth_pieces} generated General MIDI pieces' if args.synth_pieces else ''}, "
        f"each degraded {'once' if args.passes == 1 else f'{args.passes} times'} (filters "
        f"2-16 kHz, lame 32-320 kbps, "
        f"Vorbis, a 22.05/32 kHz round trip; EQ tilt, noise floor)"
        f"{f', of them {args.low_rate_mp3_per_minute:g} per minute of music through lame at 32-96 kbps' if args.low_rate_mp3_per_minute else ''}"
        f"{f' and {args.worn_per_minute:g} per minute as worn transfers after Denoise (mono, Butterworth 1-4 at 2.5-6 kHz, residual hiss 24-45 dB under the music)' if args.worn_per_minute else ''}"
        f", {args.steps} AdamW steps "
        f"of {unet_train.BATCH} windows, seed {SEED}; {train_seconds / 60:.1f} min on "
        f"{os.cpu_count()} CPU cores; final validation loss {history[-1][2]:.3f}; level "
        f"offset {offset:+.1f} nepers (calibrated on training pieces)")
    manifest_path = args.out / "unet.json"
    manifest_path.write_text(json.dumps(manifest({}, training_note), indent=2) + "\n")
    if args.skip_evaluation:
        return
    log("measuring on the validation split with the CLI")
    results = validation.evaluate(args.cli, args.out, stretches, args.work / "validation",
                                 MODELS, "unet", log)
    metrics = validation.metrics(stretches, results, "unet", worst, size)
    manifest_path.write_text(json.dumps(manifest(metrics, training_note), indent=2) + "\n")
    log(f"done in {(time.time() - started) / 60:.1f} min: {onnx_path} ({size} bytes)")


if __name__ == "__main__":
    sys.exit(main())
