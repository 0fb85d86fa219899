"""The README's picture: spectrograms up to the top of the band of one committed full-band test
excerpt as it was, band-limited by lame at 128 kbps (the most common lossy file, missing 16 to
20 kHz), and restored by SBR, DDSP and the Spectral U-Net with the `airlift` CLI (auto cutoff,
as users run it: the whole file heard first). Run by `cargo xtask spectrograms` after every
retraining; `--kbps` draws another bit rate. With `--input` an MP3 that is already there is
drawn instead (the demo, `assets/demo/armygeddon_128k.mp3`), and `--with-auto` adds the U-Net
rendered as the plugin hears a song the first time, listening through its opening.

    python -m airlift_train.evaluation.spectrograms --cli target/release/airlift \
        --excerpt tests/excerpts/drums_amen.flac --out assets/spectrograms.png
"""

import argparse
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from ..corpus import degrade  # noqa: E402

KBPS = 128
SECONDS = 4.0
MODELS = (("sbr", "SBR"), ("ddsp", "DDSP"), ("unet", "Spectral U-Net"))


def spectrogram_db(audio: np.ndarray, rate: int):
    """Power in dB (channels summed) of 2048-point Hann frames, hop 256, and their axes."""
    mono = audio.mean(axis=1)
    frames = np.lib.stride_tricks.sliding_window_view(mono, 2048)[::256]
    power = np.abs(np.fft.rfft(frames * np.hanning(2048), axis=1)) ** 2
    times = np.arange(len(frames)) * 256 / rate
    freqs = np.fft.rfftfreq(2048, 1 / rate)
    return 10 * np.log10(power.T + 1e-12), times, freqs


def draw_rows(rows: list, rate: int, title: str, out: Path, *, row_inches: float,
              dpi: int, seconds: float | None = None) -> None:
    """One spectrogram per `(label, audio [samples, channels])` row, stacked over a shared time
    axis up to 22.05 kHz, on one colour scale (90 dB under the first row's loudest point),
    written to `out`."""
    figure, axes = plt.subplots(len(rows), 1, figsize=(9, row_inches * len(rows)), sharex=True,
                                constrained_layout=True)
    top = None
    for axis, (label, audio) in zip(axes, rows):
        if seconds is not None:
            audio = audio[: int(seconds * rate)]
        db, times, freqs = spectrogram_db(audio, rate)
        top = db.max() if top is None else top
        image = axis.pcolormesh(times, freqs / 1000, db, vmin=top - 90, vmax=top,
                                cmap="magma", shading="auto", rasterized=True)
        axis.set_ylim(0, min(rate / 2, 22050) / 1000)
        axis.set_ylabel("kHz")
        axis.set_title(label, loc="left", fontsize=10)
    axes[-1].set_xlabel("seconds")
    figure.colorbar(image, ax=axes, label="dB", shrink=0.5)
    figure.suptitle(title, fontsize=10)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=dpi)
    print(f"wrote {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cli", type=Path, required=True)
    parser.add_argument("--excerpt", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--kbps", type=int, default=KBPS, help="lame's bit rate")
    parser.add_argument("--input", type=Path, help="an MP3 of the excerpt, drawn as it is")
    parser.add_argument("--with-auto", action="store_true",
                        help="add the U-Net with --auto (no look-ahead)")
    args = parser.parse_args()
    audio, rate = soundfile.read(args.excerpt, dtype="float32", always_2d=True)
    audio = audio[: int(SECONDS * rate)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.input is None:
            limited = degrade.codec_chain_at(audio, rate, "lame", args.kbps)
        else:
            decoded = Path(tmp) / "decoded.wav"
            subprocess.run(["lame", "--quiet", "--decode", str(args.input), str(decoded)],
                           check=True)
            limited, _ = soundfile.read(decoded, dtype="float32", always_2d=True)
            limited = limited[: len(audio)]
        rows = [("original", audio), (f"lame {args.kbps} kbps", limited)]
        source = Path(tmp) / "limited.wav"
        soundfile.write(source, limited, rate, subtype="FLOAT")
        detected = subprocess.run([str(args.cli), "detect", str(source)], check=True,
                                  capture_output=True, text=True).stdout.strip()
        renders = [(name, label, "auto cutoff, whole file heard first", []) for name, label in MODELS]
        if args.with_auto:
            renders.append(("unet", "Spectral U-Net", "--auto: as a first hearing, no look-ahead",
                            ["--auto"]))
        for name, label, how, extra in renders:
            out = Path(tmp) / f"{name}{len(extra)}.wav"
            subprocess.run([str(args.cli), "render", str(source), str(out), "--model", name,
                            *extra], check=True, capture_output=True)
            rendered, _ = soundfile.read(out, dtype="float32", always_2d=True)
            rows.append((f"{label} ({how})", rendered))
    draw_rows(rows, rate, f"{args.excerpt.name}: {detected}", args.out, row_inches=2.1, dpi=90)

if __name__ == "__main__":
    main()
