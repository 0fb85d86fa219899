"""A line at the cutoff: how much each model adds just under and just over a codec's low-pass.

Issue 22 saw DDSP draw a steady bright line at the cutoff on a rock excerpt through lame at
64 kbps. This takes that case, `rock_infight` through `lame -b 64 --resample 44.1` (lame's band
stops at about 11.14 kHz), renders it with every model and the cutoff automatic, as a user runs
it, and prints the mean power over the excerpt in narrow bands around the low-pass, in dB
against the original: a line shows as a band where a model lies above the MP3 and the original.

From `models/` with the training venv:
    python -m airlift_train.evaluation.cutoff_line --airlift ../target/release/airlift
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import stft

EXCERPT = Path(__file__).resolve().parents[3] / "tests" / "excerpts" / "rock_infight.flac"
MODELS = ("sbr", "ddsp", "unet")
# Bands (Hz) around lame's low-pass at 64 kbps and 44.1 kHz.
BANDS = ((10_000, 10_600), (10_600, 10_800), (10_800, 11_000), (11_000, 11_140),
         (11_140, 11_370), (11_370, 12_000), (12_000, 14_000), (14_000, 18_000))


def mean_power(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and the mean power per bin over the file (both channels summed)."""
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    freqs, _, spectrum = stft(audio.mean(axis=1), rate, nperseg=8192, noverlap=6144)
    return freqs, (np.abs(spectrum) ** 2).mean(axis=1)


def row(freqs: np.ndarray, power: np.ndarray, reference: np.ndarray) -> list[float]:
    """The level of `power` against `reference` in each of BANDS, in dB."""
    cells = []
    for low, high in BANDS:
        band = (freqs >= low) & (freqs < high)
        cells.append(float(10 * np.log10(power[band].mean() / reference[band].mean())))
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--airlift", required=True, help="the release CLI")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        audio, rate = sf.read(EXCERPT, dtype="float32", always_2d=True)
        sf.write(work / "original.wav", audio, rate, subtype="PCM_16")
        subprocess.run(["lame", "--quiet", "-b", "64", "--resample", "44.1",
                        str(work / "original.wav"), str(work / "coded.mp3")], check=True)
        subprocess.run(["lame", "--quiet", "--decode", str(work / "coded.mp3"),
                        str(work / "mp3.wav")], check=True)
        freqs, original = mean_power(work / "original.wav")
        print("| | " + " | ".join(f"{lo / 1000:.2f}-{hi / 1000:.2f} kHz" for lo, hi in BANDS)
              + " |")
        print("|---|" + "---|" * len(BANDS))
        renders = [("MP3", work / "mp3.wav")]
        for model in MODELS:
            rendered = work / f"{model}.wav"
            subprocess.run([args.airlift, "render", str(work / "mp3.wav"), str(rendered),
                            "--model", model, "--auto"], check=True, capture_output=True)
            renders.append((model, rendered))
        for name, path in renders:
            cells = row(*mean_power(path), original)
            print(f"| {name} | " + " | ".join(f"{c:+.1f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
