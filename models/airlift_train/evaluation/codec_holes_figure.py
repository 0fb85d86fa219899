"""The README's picture of codec holes: spectrograms up to 20 kHz of one committed excerpt as it
was, through lame at 64 kbps at its own rate, and restored by `airlift render` (SBR, auto
cutoff) with Codec Repair off and on, so that the holes below lame's low-pass and their fill
show beside the band generated above it.

From `models/`, with a venv that has numpy, soundfile and matplotlib (`../target/corpus-venv`):
    python -m airlift_train.evaluation.codec_holes_figure --airlift ../target/release/airlift \
        --excerpt ../tests/excerpts/rock_infight.flac --out ../assets/codec_holes.png
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

from .codec_holes import encode  # noqa: E402
from .spectrograms import spectrogram_db  # noqa: E402

START_SECONDS = 2.0
SECONDS = 4.0
TOP_HZ = 20_000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--airlift", required=True)
    parser.add_argument("--excerpt", required=True)
    parser.add_argument("--kbps", type=int, default=64)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        original, rate = soundfile.read(args.excerpt, dtype="float32", always_2d=True)
        wav = work / "original.wav"
        soundfile.write(wav, original, rate, subtype="PCM_16")
        decoded = encode(wav, "lame", args.kbps, work)
        panels = [("original", original), (f"lame {args.kbps} kbps", None)]
        panels[1] = (panels[1][0], soundfile.read(decoded, dtype="float32", always_2d=True)[0])
        for repair in ("off", "on"):
            out = work / f"repair_{repair}.wav"
            subprocess.run([args.airlift, "render", str(decoded), str(out), "--model", "sbr",
                            "--codec-repair", repair, "--overwrite"], check=True,
                           capture_output=True)
            panels.append((f"Airlift (SBR), Codec Repair {repair}",
                           soundfile.read(out, dtype="float32", always_2d=True)[0]))
    first, count = int(START_SECONDS * rate), int(SECONDS * rate)
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), sharey=True)
    peak = None
    for axis, (title, audio) in zip(axes, panels):
        db, times, freqs = spectrogram_db(audio[first:first + count], rate)
        peak = db.max() if peak is None else peak
        shown = freqs <= TOP_HZ
        axis.pcolormesh(times, freqs[shown] / 1000, db[shown], vmin=peak - 90, vmax=peak,
                        shading="auto", cmap="magma")
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("s")
    axes[0].set_ylabel("kHz")
    figure.suptitle(f"{Path(args.excerpt).stem}: holes below lame's low-pass, filled", fontsize=11)
    figure.tight_layout()
    figure.savefig(args.out, dpi=80)


if __name__ == "__main__":
    main()
