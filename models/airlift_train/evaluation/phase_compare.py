"""Which phase the Spectral U-Net's generated bins take, by measurement: the same model run by
the CLI with each phase source the engine offers (the manifest's `phase`), on validation
stretches band-limited three ways. LSD-HF is blind to phase, so the high band's spectral
convergence (on the output's own STFT, which shows what overlap-adding inconsistent frames
does to the magnitudes) and its SI-SDR are reported beside it.

    python -m airlift_train.evaluation.phase_compare --models models --corpus target/corpus \
        --cli target/release/airlift --work target/unet/phase
"""

import argparse
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile

from ..corpus import degrade
from ..training import unet_pipeline
from . import validation

PHASES = ("copy_up", "input", "propagated")
LIMITS = (("butter8", 4000), ("brickwall", 8000), ("ellip", 12000))


def high_band(audio: np.ndarray, rate: int, from_hz: float, to_hz: float) -> np.ndarray:
    """`audio` [samples, channels] with everything outside `from_hz`..`to_hz` removed (FFT)."""
    spectrum = np.fft.rfft(audio, axis=0)
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    spectrum[(freqs < from_hz) | (freqs >= to_hz)] = 0
    return np.fft.irfft(spectrum, len(audio), axis=0)


def si_sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SDR over all channels."""
    r, e = reference.ravel(), estimate.ravel()
    target = (e @ r) / max(r @ r, 1e-20) * r
    return float(10 * np.log10(max(target @ target, 1e-20) / max((e - target) @ (e - target),
                                                                   1e-20)))


def spectral_convergence(reference: np.ndarray, estimate: np.ndarray) -> float:
    """|| |S_ref| - |S_est| || / || S_ref || over 2048-point STFT frames, all channels."""
    def mags(x):
        frames = np.lib.stride_tricks.sliding_window_view(x, 2048, axis=0)[::512]
        return np.abs(np.fft.rfft(frames * np.hanning(2048), axis=-1))
    a, b = mags(reference), mags(estimate)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-20))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--cli", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--pieces", type=int, default=8)
    args = parser.parse_args()
    stretches = validation.stretches(args.corpus, args.pieces)
    rng = np.random.default_rng(unet_pipeline.SEED)
    args.work.mkdir(parents=True, exist_ok=True)
    folders = {}
    for phase in PHASES:
        folder = args.work / f"models_{phase}"
        folder.mkdir(exist_ok=True)
        shutil.copy(args.models / "unet.onnx", folder / "unet.onnx")
        manifest = json.loads((args.models / "unet.json").read_text())
        manifest["phase"] = phase
        (folder / "unet.json").write_text(json.dumps(manifest))
        folders[phase] = folder
    rows = {}
    for shape, cutoff in LIMITS:
        figures = {p: {"lsd_hf": [], "sc": [], "si_sdr": []} for p in PHASES}
        for i, (piece, audio) in enumerate(stretches):
            rate = piece.rate
            edge = min(piece.band_edge_hz, rate / 2)
            if cutoff >= edge * 2 ** (-1 / 6):
                continue
            original = args.work / f"original_{i}.wav"
            soundfile.write(original, audio, rate, subtype="FLOAT")
            limited_audio = np.stack([degrade.lowpass(audio[:, c], rate, shape, cutoff, rng)
                                      for c in range(audio.shape[1])], axis=1)
            limited = args.work / f"{shape}_{cutoff}_{i}.wav"
            soundfile.write(limited, limited_audio, rate, subtype="FLOAT")
            reference_high = high_band(audio, rate, cutoff, edge)
            for phase in PHASES:
                rendered = args.work / f"{shape}_{cutoff}_{i}_{phase}.wav"
                subprocess.run([str(args.cli), "render", str(limited), str(rendered), "--cutoff",
                                str(cutoff), "--model", "unet"], check=True,
                               capture_output=True,
                               env={**os.environ, "AIRLIFT_MODEL_DIR": str(folders[phase])})
                out, _ = soundfile.read(rendered, dtype="float64", always_2d=True)
                estimate_high = high_band(out, rate, cutoff, edge)
                f = figures[phase]
                f["lsd_hf"].append(validation.cli_lsd_hf(args.cli, original, rendered,
                                                            cutoff, edge)[0])
                f["sc"].append(spectral_convergence(reference_high, estimate_high))
                f["si_sdr"].append(si_sdr_db(reference_high, estimate_high))
        key = f"{shape}@{cutoff}"
        rows[key] = {p: {k: round(float(np.mean(v)), 3) for k, v in figures[p].items()}
                     for p in PHASES}
        print(key, json.dumps(rows[key]), flush=True)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
