"""How much hiss any mask can take from under the music of a worn transfer: the engine's hiss
mask against masks that know the clean music, below the worn low-pass.

The worn excerpts are those of `evaluation.worn` (same seeds, same test conditions). Each is
scored below 70 % of its corner (`worn.NOISE_BAND_SHARE`), where the band generation plays no
part, as:
- "worn": the worn input as it is;
- "engine": `airlift render --denoise 1` with the corner given as the cutoff, clicks and hum
  removed as well as hiss;
- "band oracle": the worn input turned down band by band at the mask's own bands (from 500
  Hz, `networks.hiss_mask.band_layout`) by the gains that take each band's power to the
  noise-free transfer's, the best the engine's mask could learn;
- "bin oracle": the same gains bin by bin (2048-point STFT, the engine's), a mask with the
  finest resolution the engine's STFT has;
- "noise-free": the music through the transfer's filters with no noise at all.
Both oracles turn nothing under 500 Hz and nothing further down than the engine's limit at
100 % (`MAX_REDUCTION_DB`), as the engine's mask; `--max-reduction-db` lifts that limit.
Figures are the means of LSD against the clean music below the band (`worn.lsd`), SI-SDR
against the clean music over the whole band, and the energy of what is not the filtered music
below the band (`worn.noise_below_db`).

A mask keeps a bin whole where the music dominates it, and the hiss under that music stays: the
oracles say how much of the noise below the low-pass is within any mask's reach. Run from
`models/` with a venv holding numpy, scipy and soundfile:
    python -m airlift_train.evaluation.mask_oracle --airlift ../target/release/airlift
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from ..networks import hiss_mask
from . import worn

# The engine's STFT (`networks.bands`).
FFT_SIZE = 2048
HOP = 512
# The engine's deepest hiss reduction at Denoise 100 % below the band limit
# (`plugin/src/dsp/denoise/hiss.rs`).
MAX_REDUCTION_DB = 12.0
COLUMNS = ("worn", "engine", "band oracle", "bin oracle", "noise-free")


def stft(x: np.ndarray) -> np.ndarray:
    """`[bins, frames]` STFT of `x` at the engine's size (Hann)."""
    return signal.stft(x, nperseg=FFT_SIZE, noverlap=FFT_SIZE - HOP)[2]


def istft(spectrum: np.ndarray, samples: int) -> np.ndarray:
    """The signal of `spectrum`, `samples` long."""
    return signal.istft(spectrum, nperseg=FFT_SIZE, noverlap=FFT_SIZE - HOP)[1][:samples]


def oracles(noisy: np.ndarray, filtered: np.ndarray, rate: int,
            max_reduction_db: float = MAX_REDUCTION_DB) -> dict[str, np.ndarray]:
    """`noisy` turned down by the band and the bin oracle's gains against `filtered`, by
    `max_reduction_db` at most."""
    spectrum = stft(noisy.astype(np.float64))
    noisy_power = (np.abs(spectrum) ** 2).T
    clean_power = (np.abs(stft(filtered.astype(np.float64))) ** 2).T
    pooling, expansion = hiss_mask.band_layout(rate)
    gains = {
        "band oracle": hiss_mask.expand(hiss_mask.target_gains(noisy_power, clean_power, pooling),
                                        expansion),
        "bin oracle": np.sqrt(np.clip(clean_power / np.maximum(noisy_power, 1e-30), 0.0, 1.0)),
    }
    untouched = (np.fft.rfftfreq(FFT_SIZE, 1 / rate) < hiss_mask.HISS_FROM_HZ)[:, None]
    deepest = 10 ** (-max_reduction_db / 20)
    return {label: istft(spectrum * np.where(untouched, 1.0, np.maximum(g.T, deepest)),
                         len(noisy))
            for label, g in gains.items()}


def scores(item, estimate: np.ndarray, rate: int) -> dict[str, float]:
    """LSD below the band, SI-SDR and the noise below the band of one output."""
    n = min(len(item.clean), len(estimate))
    below_hz = worn.NOISE_BAND_SHARE * item.lowpass_hz
    return {"lsd_below": worn.lsd(item.clean[:n], estimate[:n], rate, 0.0, below_hz),
            "si_sdr_db": worn.si_sdr_db(item.clean[:n], estimate[:n]),
            "noise_db": worn.noise_below_db(item.filtered[:n], estimate[:n], rate,
                                            item.lowpass_hz)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airlift", required=True)
    parser.add_argument("--model", default="unet")
    parser.add_argument("--only", nargs="*", help="excerpt names (without .flac)")
    parser.add_argument("--max-reduction-db", type=float, default=MAX_REDUCTION_DB,
                        help="the oracles' deepest reduction (the engine's at 100 %% by default)")
    args = parser.parse_args()
    table = json.loads((worn.EXCERPTS / "excerpts.json").read_text())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for _, name, item, rate, _ in worn.worn_excerpts(table, args.only):
            source, out = Path(tmp) / f"{name}.worn.wav", Path(tmp) / f"{name}.out.wav"
            sf.write(source, item.worn, rate, subtype="FLOAT")
            subprocess.run([args.airlift, "render", str(source), str(out), "--overwrite",
                            "--cutoff", f"{item.lowpass_hz:.0f}", "--model", args.model,
                            "--denoise", "1"], check=True, capture_output=True)
            outputs = {"worn": item.worn, "engine": worn.mono(out)[0],
                       **oracles(item.worn, item.filtered, rate, args.max_reduction_db),
                       "noise-free": item.filtered}
            row = {label: scores(item, outputs[label], rate) for label in COLUMNS}
            rows.append(row)
            print(name, json.dumps({k: {f: round(v, 3) for f, v in s.items()}
                                    for k, s in row.items()}), flush=True)
    print()
    print("| below 70 % of the corner | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for key, label in (("lsd_below", "LSD"), ("si_sdr_db", "SI-SDR, whole band (dB)"),
                       ("noise_db", "noise (dB)")):
        digits = {"lsd_below": 3, "si_sdr_db": 2, "noise_db": 1}[key]
        means = [np.mean([row[c][key] for row in rows]) for c in COLUMNS]
        print(f"| {label} | " + " | ".join(f"{m:.{digits}f}" for m in means) + " |")


if __name__ == "__main__":
    main()
