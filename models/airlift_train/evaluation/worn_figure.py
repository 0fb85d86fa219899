"""The README's picture of Denoise: spectrograms up to 22 kHz of one committed excerpt, clean,
made into a worn transfer (`corpus.wear`, as `evaluation.worn` makes it), restored by
`airlift render --auto --denoise 1` (Spectral U-Net), and what Denoise removed
(`--listen removed`).

    python -m airlift_train.evaluation.worn_figure --cli ../target/release/airlift \
        --excerpt world_caribbean --out ../assets/worn_spectrograms.png
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from ..corpus import wear  # noqa: E402
from .spectrograms import spectrogram_db  # noqa: E402
from .worn import EXCERPTS  # noqa: E402

SECONDS = 4.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", type=Path, required=True)
    parser.add_argument("--excerpt", default="world_caribbean")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    table = json.loads((EXCERPTS / "excerpts.json").read_text())
    index = next(i for i, e in enumerate(table) if e["file"] == f"{args.excerpt}.flac")
    audio, rate = soundfile.read(EXCERPTS / table[index]["file"], dtype="float32",
                                 always_2d=True)
    # The same seed and noise as the worn table's row of this excerpt.
    noise = "recorded" if index % 2 else "simulated"
    item = wear.wear(audio, rate, np.random.default_rng(26_000 + index), noise=noise,
                     part="test", test_conditions=True)
    rows = [("clean", item.clean[:, None]),
            (f"worn: Butterworth {item.lowpass_order} at {item.lowpass_hz:.0f} Hz, "
             f"{noise} hiss, clicks", item.worn[:, None])]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "worn.wav"
        soundfile.write(source, item.worn, rate, subtype="FLOAT")
        for label, extra in (("Denoise 100 %, auto cutoff (Spectral U-Net)", []),
                             ("what Denoise removed (--listen removed)",
                              ["--listen", "removed"])):
            out = Path(tmp) / f"out{len(extra)}.wav"
            subprocess.run([str(args.cli), "render", str(source), str(out), "--auto",
                            "--denoise", "1", *extra], check=True, capture_output=True)
            rendered, _ = soundfile.read(out, dtype="float32", always_2d=True)
            rows.append((label, rendered))
    figure, axes = plt.subplots(len(rows), 1, figsize=(9, 2.0 * len(rows)), sharex=True,
                                constrained_layout=True)
    top = None
    for axis, (label, signal) in zip(axes, rows):
        db, times, freqs = spectrogram_db(signal[: int(SECONDS * rate)], rate)
        top = db.max() if top is None else top
        image = axis.pcolormesh(times, freqs / 1000, db, vmin=top - 90, vmax=top,
                                cmap="magma", shading="auto", rasterized=True)
        axis.set_ylim(0, min(rate / 2, 22050) / 1000)
        axis.set_ylabel("kHz")
        axis.set_title(label, loc="left", fontsize=10)
    axes[-1].set_xlabel("seconds")
    figure.colorbar(image, ax=axes, label="dB", shrink=0.5)
    figure.suptitle(f"{args.excerpt}: a worn transfer through Denoise", fontsize=10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=70)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
