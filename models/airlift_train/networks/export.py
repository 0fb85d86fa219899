"""Export of the streaming step to ONNX, the PyTorch/ONNX Runtime parity check, and the
reference inputs and outputs that the Rust tests replay."""

import json
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from ..training import ddsp_frames as frames_module
from . import synth
from .ddsp import SOURCES, STATE, DdspBwe
from .synth import BINS

INPUTS = ["log_mag", "cutoff_bin", "state_in"]
OUTPUTS = ["f0_bins", "harmonic_mags", "noise_log_mags", "state_out"]


def export(model: DdspBwe, path: Path):
    """Writes the streaming step (features, GRU, controls) as one ONNX graph."""
    model.eval()
    example = (torch.full((2, 2, BINS), -6.0), torch.full((2, 1), 300.0), torch.zeros(2, STATE))
    batch = {0: "batch"}
    torch.onnx.export(
        model, example, str(path), input_names=INPUTS, output_names=OUTPUTS, opset_version=17,
        dynamic_axes={name: batch for name in INPUTS + OUTPUTS}, dynamo=False,
    )


def reference_steps(model: DdspBwe, clip, frames: int, start: int):
    """Streams `frames` steps of a clip through PyTorch for two channels (the clip and a copy
    6 dB down), carrying the state: the inputs and outputs of every step."""
    steps = []
    state = torch.zeros(2, STATE)
    for t in range(start, start + frames):
        log_mag = clip.input_log_mag[t: t + 2].float()
        log_mag = torch.stack([log_mag, log_mag + np.log(0.5)])
        cutoff = torch.full((2, 1), float(clip.cutoff_bin))
        with torch.no_grad():
            outputs = model(log_mag, cutoff, state)
        steps.append({"inputs": [log_mag, cutoff, state], "outputs": list(outputs)})
        state = outputs[3]
    return steps


def check_onnx(path: Path, steps, tolerance: float = 1e-4, inputs=INPUTS,
               outputs=OUTPUTS) -> float:
    """Largest difference between ONNX Runtime and PyTorch over the steps, relative to the
    value's magnitude or 1, whichever is larger; `inputs` and `outputs` name the tensors of
    each step's lists (the DDSP model's by default)."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options)
    worst = 0.0
    for step in steps:
        feeds = {n: v.numpy() for n, v in zip(inputs, step["inputs"])}
        got = session.run(outputs, feeds)
        for name, ours, theirs in zip(outputs, got, step["outputs"]):
            theirs = theirs.numpy()
            scale = np.maximum(np.abs(theirs), 1.0)
            diff = float(np.max(np.abs(ours - theirs) / scale))
            worst = max(worst, diff)
            if diff > tolerance:
                raise SystemExit(f"ONNX Runtime differs from PyTorch in {name}: {diff:.2e}")
    return worst


def write_model_reference(steps, path: Path):
    """Reference inputs and outputs of the exported model, for the Rust ORT parity test."""
    def flat(t):
        return [round(float(v), 7) for v in t.numpy().ravel()]
    data = {
        "description": "Streaming steps of models/ddsp.onnx on a validation clip, two channels, "
                       "state carried; written by models/airlift_train/networks/export.py",
        "steps": [
            {"inputs": {n: flat(v) for n, v in zip(INPUTS, s["inputs"])},
             "outputs": {n: flat(v) for n, v in zip(OUTPUTS, s["outputs"])}}
            for s in steps
        ],
    }
    path.write_text(json.dumps(data))


def write_synth_reference(path: Path, seed: int = 5):
    """Fixed controls and the synthesizer's output for them (float64), for the Rust parity
    test: two frames of harmonics (the phase advancing between them), the noise gains, and the
    STFT log-magnitudes of a fixed signal (the model's input, computed on both sides)."""
    rng = np.random.default_rng(seed)
    frames = []
    f0 = np.array([7.31, 11.853])
    phase = np.array([0.1, 0.72])
    previous = f0.copy()
    for frame in range(2):
        if frame:
            f0 = np.array([7.36, 11.79])
            phase = synth.advance_phase(phase, previous, f0)
        mags = rng.uniform(0.0, 3.0, (SOURCES, 256))
        freq = f0[:, None] * np.arange(1, 257)
        mags[(freq < 300) | (freq >= BINS - 5)] = 0
        spectrum = synth.harmonic_spectrum(f0, phase, mags)
        frames.append({"f0_bins": f0.tolist(), "previous_f0_bins": previous.tolist(),
                       "phase_cycles": phase.tolist(),
                       "harmonic_mags": mags.ravel().tolist(),
                       "spectrum_re": spectrum.real.tolist(),
                       "spectrum_im": spectrum.imag.tolist()})
        previous = f0.copy()
    # The model's input as training computes it, on a fixed signal: the Rust engine's STFT
    # must give the same log-magnitudes.
    t = np.arange(synth.N_FFT + 3 * synth.HOP)
    signal = (0.3 * np.sin(2 * np.pi * 0.0123 * t) + 0.05 * rng.standard_normal(len(t)))
    signal = signal.astype(np.float32)
    log_mag = torch.log(frames_module.stft(signal).abs() + 1e-9).float()
    noise_log = rng.uniform(-4, 2, synth.ENVELOPE_BANDS)
    gains = synth.noise_gain_per_bin(torch.tensor(noise_log)[None].float())[0].double().numpy()
    data = {
        "description": "PyTorch synthesizer output for fixed controls; written by "
                       "models/airlift_train/networks/export.py",
        "frames": frames,
        "noise_log_mags": noise_log.tolist(),
        "noise_gain_per_bin": gains.tolist(),
        "stft_signal": signal.tolist(),
        "stft_log_mag": log_mag.numpy().tolist(),
    }
    path.write_text(json.dumps(data))
