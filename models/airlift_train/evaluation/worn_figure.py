"""The README's picture of Denoise: spectrograms up to 22 kHz of one committed excerpt, clean,
made into a worn transfer (`corpus.wear`, as `evaluation.worn` makes it), restored by
`airlift render --denoise 1` (Spectral U-Net) with auto cutoff as the CLI renders a file by
default (it hears the whole file first, so the worn-transfer judge's corner holds from the
first sample) and with the cutoff set by hand at the worn corner, and what Denoise removed
(`--listen removed`).

    python -m airlift_train.evaluation.worn_figure --cli ../target/release/airlift \
        --excerpt world_caribbean --out ../assets/worn_spectrograms.png
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from ..corpus import wear
from .spectrograms import draw_rows
from .worn import EXCERPTS

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
        corner = ["--cutoff", f"{item.lowpass_hz:.0f}"]
        for number, (label, extra) in enumerate((
                ("Denoise 100 %, auto cutoff heard ahead (the CLI's default; Spectral U-Net)",
                 []),
                (f"Denoise 100 %, cutoff set by hand at {item.lowpass_hz:.0f} Hz "
                 "(Spectral U-Net)", corner),
                ("what Denoise removed (--listen removed, auto cutoff heard ahead)",
                 ["--listen", "removed"]))):
            out = Path(tmp) / f"out{number}.wav"
            subprocess.run([str(args.cli), "render", str(source), str(out), "--denoise", "1",
                            *extra], check=True, capture_output=True)
            rendered, _ = soundfile.read(out, dtype="float32", always_2d=True)
            rows.append((label, rendered))
    draw_rows(rows, rate, f"{args.excerpt}: a worn transfer through Denoise", args.out,
              row_inches=2.0, dpi=70, seconds=SECONDS)

if __name__ == "__main__":
    main()
