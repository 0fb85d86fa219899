"""Codec holes: what a lossy codec zeroes below its low-pass, and what Airlift fills back.

Every committed test excerpt (`tests/excerpts/`) is encoded at its own rate with:
lame at 32, 48, 64, 96, 128 and 192 kbps (joint stereo, lame's own low-pass); ffmpeg's AAC
encoder at 48, 64, 96 and 128 kbps (in an .m4a, decoded by ffmpeg); oggenc at -q 0 and -q 2.
Each decoded file is rendered by `airlift render` with the cutoff automatic, as a user runs it
(the whole file heard first; with `--auto`, followed as the plugin does on a first hearing),
with Codec Repair on (the default) for every model and off for SBR.

Scored with the metric STFT of DESIGN.md (2048 points at 44.1 kHz, hop sr/100, Hann) over two
bands:
- **to the codec's low-pass**, as the issue asks: from 2 kHz to the codec's low-pass (where the
  decoded file's long-term level falls 20 dB under the original's for good), or the excerpt's
  own band edge if lower, less a semitone. Where Airlift detects a band limit under the codec's
  low-pass (a low-rate file thins out well under it), the band it generates above its cutoff
  is part of what is scored: the whole restoration;
- **below the band limit**: the same, but also under the band limit Airlift detected, less a
  semitone: Codec Repair's own part, with the generated band left out.

In each band:
- **holes**: the share of live bins (the original within 60 dB of its frame's loudest bin in the
  band, and above the power floor) where the file lies 20 dB or more under the original;
- **LSD** over the band's bins (log10 power, RMS over bins, mean over frames and channels).

Below the cutoff every model gets the same fill, so the model columns differ only where a
model's run detected differently.

Lossless check: the excerpts from lossless sources whose content reaches 20 kHz (the sonic-pi
FLAC loops: a drum break, percussion, tabla; `LOSSLESS`), as they are and through brick-wall
low-passes at 4, 8, 11 and 16 kHz (sox `sinc`), through `airlift render` with SBR; the LSD of
the output against the input, and against the output with Codec Repair off (what the repair
itself changed), between 1 kHz and a semitone under the detected band limit (20 kHz when none). The band-limited sparse material is where a hole finder
could mistake the music's own gaps for holes.

From `models/`, with any venv that has numpy and soundfile (`../target/corpus-venv`):
    python -m airlift_train.evaluation.codec_holes --airlift ../target/release/airlift \
        [--json FILE]
(about 20 minutes on 2 cores, the neural renders most of it; `--sbr-only` about 8).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

EXCERPTS = Path(__file__).resolve().parents[3] / "tests" / "excerpts"
LOSSLESS = ("drums_amen.flac", "percussion_safari.flac", "percussion_tabla.flac")
LOWPASSES_HZ = (None, 4000, 8000, 11000, 16000)
# (row name, encoder, setting).
CODECS = (
    ("lame 32 kbps", "lame", 32),
    ("lame 48 kbps", "lame", 48),
    ("lame 64 kbps", "lame", 64),
    ("lame 96 kbps", "lame", 96),
    ("lame 128 kbps", "lame", 128),
    ("lame 192 kbps", "lame", 192),
    ("AAC 48 kbps", "aac", 48),
    ("AAC 64 kbps", "aac", 64),
    ("AAC 96 kbps", "aac", 96),
    ("AAC 128 kbps", "aac", 128),
    ("Vorbis -q 0", "vorbis", 0),
    ("Vorbis -q 2", "vorbis", 2),
)
# The renders: (column, model, codec repair).
RENDERS = (
    ("SBR, repair off", "sbr", "off"),
    ("SBR", "sbr", "on"),
    ("DDSP", "ddsp", "on"),
    ("Spectral U-Net", "unet", "on"),
)
BAND_START_HZ = 2_000.0
LOSSLESS_START_HZ = 1_000.0
HOLE_DB = 20.0
LIVE_DB = 60.0
POWER_FLOOR = 1e-10
EDGE_DROP_DB = 20.0


def metric_stft(x: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """Power spectrogram `[channels, frames, bins]` with DESIGN.md's metric STFT, and the
    bin width in Hz."""
    n = int(round(2048 * sample_rate / 44100))
    hop = sample_rate // 100
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    frames = 1 + (x.shape[-1] - n) // hop
    index = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    return np.abs(np.fft.rfft(x[..., index] * window, axis=-1)) ** 2, sample_rate / n


def holes_and_lsd(
    reference: np.ndarray, estimate: np.ndarray, sample_rate: int, lo_hz: float, hi_hz: float
) -> tuple[float, float]:
    """The share of hole bins and the LSD between `lo_hz` and `hi_hz` (module docstring)."""
    n = min(reference.shape[-1], estimate.shape[-1])
    ref, bin_hz = metric_stft(reference[..., :n], sample_rate)
    est, _ = metric_stft(estimate[..., :n], sample_rate)
    k0, k1 = int(np.ceil(lo_hz / bin_hz)), int(hi_hz / bin_hz)
    log_ref = np.log10(ref[..., k0:k1] + POWER_FLOOR)
    log_est = np.log10(est[..., k0:k1] + POWER_FLOOR)
    lsd = float(np.sqrt(((log_ref - log_est) ** 2).mean(-1)).mean())
    live = (log_ref > log_ref.max(-1, keepdims=True) - LIVE_DB / 10) & (
        ref[..., k0:k1] > POWER_FLOOR * 1e3
    )
    holes = live & (log_est < log_ref - HOLE_DB / 10)
    return float(holes.sum() / max(live.sum(), 1)), lsd


def codec_edge_hz(reference: np.ndarray, decoded: np.ndarray, sample_rate: int) -> float:
    """Where the decoded file's long-term level falls `EDGE_DROP_DB` under the original's for
    good (twelfth-octave bands from 2 kHz up)."""
    ref, bin_hz = metric_stft(reference, sample_rate)
    dec, _ = metric_stft(decoded[..., : reference.shape[-1]], sample_rate)
    ref, dec = ref.mean((0, 1)), dec.mean((0, 1))
    edges = BAND_START_HZ * 2 ** (np.arange(0, 60) / 12)
    edges = edges[edges < sample_rate / 2]
    edge = edges[-1]
    for lo, hi in zip(edges[::-1][1:], edges[::-1][:-1]):
        a, b = int(lo / bin_hz), int(hi / bin_hz)
        drop = 10 * np.log10((dec[a:b].sum() + 1e-20) / (ref[a:b].sum() + 1e-20))
        if drop > -EDGE_DROP_DB:
            break
        edge = lo
    return float(edge)


def align(reference: np.ndarray, decoded: np.ndarray) -> np.ndarray:
    """`decoded` shifted so that it lines up with `reference` (a decoder may keep a codec's
    priming samples), and cut or padded to its length."""
    a = reference.sum(0)[: 4 * 44100]
    b = decoded.sum(0)[: 4 * 44100 + 4096]
    lags = range(-2048, 2049)
    scores = [
        np.dot(a[4096:-4096], b[4096 + lag : len(a) - 4096 + lag]) for lag in lags
    ]
    lag = list(lags)[int(np.argmax(scores))]
    shifted = np.roll(decoded, -lag, axis=-1) if lag else decoded
    out = np.zeros_like(reference)
    n = min(reference.shape[-1], shifted.shape[-1])
    out[:, :n] = shifted[:, :n]
    return out


def encode(source: Path, encoder: str, setting: int, work: Path) -> Path:
    """Encodes `source` (a WAV) at its own rate and decodes it to a WAV."""
    stem = work / f"{source.stem}_{encoder}{setting}"
    decoded = stem.with_suffix(".wav")
    rate = sf.info(source).samplerate
    run = lambda *cmd: subprocess.run(cmd, check=True, capture_output=True)  # noqa: E731
    if encoder == "lame":
        run("lame", "--quiet", "-b", str(setting), "--resample", str(rate / 1000),
            str(source), str(stem.with_suffix(".mp3")))
        run("lame", "--quiet", "--decode", str(stem.with_suffix(".mp3")), str(decoded))
    elif encoder == "aac":
        run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-c:a", "aac",
            "-b:a", f"{setting}k", str(stem.with_suffix(".m4a")))
        run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(stem.with_suffix(".m4a")),
            "-c:a", "pcm_s16le", str(decoded))
    else:
        run("oggenc", "--quiet", "-q", str(setting), "-o", str(stem.with_suffix(".ogg")),
            str(source))
        run("oggdec", "--quiet", "-o", str(decoded), str(stem.with_suffix(".ogg")))
    return decoded


def render(airlift: str, source: Path, out: Path, model: str, repair: str,
           follow: bool = False) -> dict:
    """`airlift render` with the cutoff automatic (the whole file heard first, the CLI's
    default, or followed as the plugin does on a first hearing with `follow`: `--auto`);
    returns its JSON report."""
    result = subprocess.run(
        [airlift, "render", str(source), str(out), "--model", model, "--codec-repair", repair,
         "--overwrite", "--json", *(["--auto"] if follow else [])],
        check=True, capture_output=True, text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def read(path: Path) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(path, dtype="float64", always_2d=True)
    return audio.T, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--airlift", required=True)
    parser.add_argument("--json")
    parser.add_argument("--excerpts", type=int, default=0, help="only the first N (0: all)")
    parser.add_argument("--sbr-only", action="store_true",
                        help="only the SBR renders (repair off and on): a fifth of the time")
    parser.add_argument("--auto", action="store_true",
                        help="render with --auto: no look-ahead, as the plugin on a first hearing")
    args = parser.parse_args()
    renders = RENDERS[:2] if args.sbr_only else RENDERS
    entries = json.loads((EXCERPTS / "excerpts.json").read_text())
    if args.excerpts:
        entries = entries[: args.excerpts]
    results: dict = {"codecs": {}, "lossless": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = {}
        for entry in entries:
            wav = work / (Path(entry["file"]).stem + ".wav")
            audio, rate = read(EXCERPTS / entry["file"])
            sf.write(wav, audio.T, rate, subtype="PCM_16")
            sources[entry["file"]] = (wav, audio, rate, entry["band_edge_hz"])
        lsds = []
        for name in LOSSLESS:
            wav, audio, rate, _ = sources[name]
            for lowpass in LOWPASSES_HZ:
                source = wav
                if lowpass:
                    source = work / "lowpassed.wav"
                    subprocess.run(["sox", str(wav), "-b", "24", str(source), "sinc",
                                    f"-{lowpass}"], check=True, capture_output=True)
                reference = read(source)[0]
                out, off = work / "lossless.wav", work / "lossless_off.wav"
                report = render(args.airlift, source, out, "sbr", "on")
                render(args.airlift, source, off, "sbr", "off")
                top = (report.get("band_limit_hz") or 20_000.0) * 2 ** (-1 / 12)
                output = read(out)[0]
                lsds.append((
                    holes_and_lsd(reference, output, rate, LOSSLESS_START_HZ, top)[1],
                    holes_and_lsd(read(off)[0], output, rate, LOSSLESS_START_HZ, top)[1],
                ))
                print(f"lossless {name} {lowpass}: LSD against the input {lsds[-1][0]:.5f}, "
                      f"against repair off {lsds[-1][1]:.5f}, holes {report['codec_holes']}",
                      flush=True)
        lsds = np.array(lsds)
        results["lossless"] = {"cases": len(lsds), "max_vs_input": float(lsds[:, 0].max()),
                               "max_vs_repair_off": float(lsds[:, 1].max())}
        for row, encoder, setting in CODECS:
            scores: dict[str, list] = {"decoded": []}
            for name, (wav, audio, rate, own_edge) in sources.items():
                decoded_path = encode(wav, encoder, setting, work)
                decoded = align(audio, read(decoded_path)[0])
                aligned = work / "aligned.wav"
                sf.write(aligned, decoded.T, rate, subtype="FLOAT")
                outputs = {}
                for column, model, repair in renders:
                    out = work / f"out_{model}_{repair}.wav"
                    outputs[column] = (
                        render(args.airlift, aligned, out, model, repair, args.auto), out)
                # The second band stops under the cutoff Airlift used as well, so that the band
                # it generates above a cutoff detected under the codec's own low-pass is left out.
                detected = outputs[RENDERS[0][0]][0].get("band_limit_hz") or rate / 2
                edge = min(codec_edge_hz(audio, decoded, rate), own_edge)
                tops = [edge * 2 ** (-1 / 12), min(edge, detected) * 2 ** (-1 / 12)]
                if tops[1] <= BAND_START_HZ * 2 ** (1 / 3):
                    continue
                score = lambda x: [  # noqa: E731
                    v for top in tops for v in holes_and_lsd(audio, x, rate, BAND_START_HZ, top)]
                scores["decoded"].append(score(decoded))
                for column, (_, out) in outputs.items():
                    scores.setdefault(column, []).append(score(read(out)[0]))
            means = {k: np.mean(v, axis=0).tolist() for k, v in scores.items()}
            results["codecs"][row] = {"pieces": len(scores["decoded"]), **means}
            print(row, len(scores["decoded"]), {k: [round(x, 4) for x in v] for k, v in means.items()},
                  flush=True)
    print_table(results, [c for c, _, _ in renders])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def print_table(results: dict, columns: list[str]) -> None:
    """The README's tables: holes and LSD per codec, decoded and after each render (`columns`),
    to the codec's low-pass and below the band limit."""
    for title, at in (("to the codec's low-pass", 0), ("below the detected band limit", 2)):
        print(f"\n{title}\n| codec | holes, decoded | "
              + " | ".join(f"holes, {c}" for c in columns) + " | LSD, decoded | "
              + " | ".join(f"LSD, {c}" for c in columns) + " |")
        print("|---" * (3 + 2 * len(columns)) + "|")
        for row, r in results["codecs"].items():
            names = ["decoded", *columns]
            cells = [f"{100 * r[c][at]:.1f} %" for c in names]
            cells += [f"{r[c][at + 1]:.3f}" for c in names]
            print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
