"""Old recordings: the committed excerpts made into worn transfers (`corpus.wear`), restored by
`airlift render --auto --denoise AMOUNT` (a first hearing, as the plugin's; with
`--look-ahead`, `airlift render --denoise AMOUNT`, which hears the whole file first), and scored
against the clean music.

Each excerpt is worn once, with a seed of its own, under issue 26's test conditions (a
Butterworth of order 2 to 4 at 3.5 to 5 kHz); every other excerpt carries the recorded vinyl
hiss (the half of `vinyl_hiss.flac` kept for tests) instead of the simulated one, and every
third is written as a stereo file with the mono transfer in both channels.

With `--clean`, the excerpts as they are (full band, no noise) go through every amount
instead, and the LSD of the output against the input, up to 16 kHz, says what Denoise harms;
`--clean-cutoff HZ` does the same with the cutoff set by hand.

Figures per Denoise amount, as the mean over the worn excerpts:
- LSD against the clean music, over the bins up to 16 kHz (DESIGN.md's metric STFT);
- LSD above the low-pass: from the worn low-pass corner to 16 kHz;
- SI-SDR against the clean music, in dB;
- noise reduction below the low-pass, in dB: the energy of what is not the music, below 70 %
  of the corner, in the worn input against the output. "The music" there is the clean music
  through the same filters, so the band generation and the filters' own phase do not count,
  and whatever the denoiser takes from the music counts against it;
- the level against the clean music in bands above the corner, and from 16 kHz to the
  excerpt's own band edge (`band_levels_db`): whether the band comes back at the original's
  level, which LSD alone does not say.

"Worn" is the worn input itself, unrendered; "noise-free" is the music through the worn
transfer's filters without any noise, what a perfect denoiser with no band generation would
give.

With `--ceiling`, what the band generation could reach at best on the same conditions: the
clean excerpt through a brick wall at the worn corner, and through the worn transfer's own
filters with no noise, each restored with the corner given as the cutoff (`--cutoff`, no
Denoise), by the U-Net and by SBR, and scored as above; beside them the "perfect band" (the
noise-free transfer below the corner, the clean music above it). No noise, no detection: the
best case for a restoration of these transfers. A second table gives the level of each input
and output against the clean music in three bands above the corner (to 1.5 times it, to 2.5
times, to 16 kHz): too dark or too bright, which LSD does not say.

With `--level-match`, a probe for a fill that raises what the worn transfer still holds above
its corner instead of taking it as present (nothing the engine does yet): each worn excerpt is
rendered at Denoise 100 % with the corner given, split into the cleaned input (the worn input
less what Denoise removed) and what the fill added, and the U-Net's band for the cleaned
input is rendered on its own (the cleaned input brick-walled at the corner, `--listen added`).
Above the corner, the cleaned input is then scaled, bin by bin, to the generated band's level
smoothed over `MATCH_BINS` bins (this STFT's, not the engine's), within the gain limits of
each row, with no band added: raising only (0 dB and up), or turning down too. LSD, SI-SDR and
the levels say whether such a fill is worth building. Run from `models/` with a venv holding numpy,
scipy and soundfile:
    python -m airlift_train.evaluation.worn --airlift ../target/release/airlift [--json FILE]
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

from ..corpus import wear
from .codec_holes import POWER_FLOOR, metric_stft

EXCERPTS = Path(__file__).resolve().parents[3] / "tests" / "excerpts"
TOP_HZ = 16_000.0
AMOUNTS = (0.0, 0.5, 1.0)
# The band where the noise left is measured: below this share of the low-pass corner.
NOISE_BAND_SHARE = 0.7


def lsd(reference: np.ndarray, estimate: np.ndarray, rate: int, lo_hz: float,
        hi_hz: float) -> float:
    """LSD between `lo_hz` and `hi_hz` (DESIGN.md's metric STFT, log10 power)."""
    ref, bin_hz = metric_stft(reference, rate)
    est, _ = metric_stft(estimate, rate)
    k0, k1 = int(np.ceil(lo_hz / bin_hz)), int(hi_hz / bin_hz) + 1
    diff = np.log10(ref[:, k0:k1] + POWER_FLOOR) - np.log10(est[:, k0:k1] + POWER_FLOOR)
    return float(np.sqrt((diff ** 2).mean(-1)).mean())


def si_sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SDR of `estimate` against `reference`, in dB."""
    ref = reference.astype(np.float64)
    est = estimate.astype(np.float64)
    target = ref * (est @ ref) / max(ref @ ref, 1e-20)
    return float(10 * np.log10(max(target @ target, 1e-20)
                               / max((est - target) @ (est - target), 1e-20)))


def noise_below_db(filtered: np.ndarray, signal_in: np.ndarray, rate: int,
                   corner_hz: float) -> float:
    """Energy of `signal_in - filtered` below `NOISE_BAND_SHARE` of the corner, in dB."""
    sos = signal.butter(8, NOISE_BAND_SHARE * corner_hz / (rate / 2), output="sos")
    residual = signal.sosfiltfilt(sos, signal_in.astype(np.float64) - filtered)
    return float(10 * np.log10(np.mean(residual ** 2) + 1e-20))


def mono(path: Path) -> tuple[np.ndarray, int]:
    """A file's channels averaged, and its rate."""
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return audio.mean(axis=1), rate


def figures(item: wear.Worn, estimate: np.ndarray, rate: int, edge_hz: float) -> dict:
    """The four figures of one output (module docstring), and its levels above the corner
    (`band_levels_db`; the excerpt's own band edge at `edge_hz`)."""
    n = min(len(item.clean), len(estimate))
    clean, est, filtered = item.clean[:n], estimate[:n], item.filtered[:n]
    return {
        "lsd": lsd(clean, est, rate, 0.0, TOP_HZ),
        "lsd_above": lsd(clean, est, rate, item.lowpass_hz, TOP_HZ),
        "si_sdr_db": si_sdr_db(clean, est),
        "noise_db": noise_below_db(filtered, est, rate, item.lowpass_hz),
        "levels_db": band_levels_db(clean, est, rate, item.lowpass_hz, edge_hz),
    }


def no_harm(args: argparse.Namespace, table: list, work: Path) -> None:
    """The clean excerpts as they are, through every amount. What Denoise changes is the LSD
    to 16 kHz between the output at an amount and the output at Denoise 0 (issue 26 asks at
    most 0.15 at 100 %, and 0.005 at 0); the LSD against the input itself is printed beside it
    (auto cutoff restores excerpts whose own edge lies below 16 kHz, at any amount). With
    `--clean-cutoff HZ` the cutoff is set by hand there instead of `--auto`: with Denoise on,
    such a cutoff vouches for the band above it, which is filled on full-band music too."""
    amounts = sorted(set(args.amounts) | {0.0})
    change = {amount: [] for amount in amounts}
    against_input = {amount: [] for amount in amounts}
    for entry in table:
        name = entry["file"].removesuffix(".flac")
        if args.only and name not in args.only:
            continue
        source = EXCERPTS / entry["file"]
        audio, rate = sf.read(source, dtype="float32", always_2d=True)
        outputs = {}
        for amount in amounts:
            out = work / f"{name}.clean.denoise{amount:g}.flac"
            cutoff = (["--cutoff", f"{args.clean_cutoff:g}"] if args.clean_cutoff
                      else ["--auto"])
            subprocess.run([args.airlift, "render", str(source), str(out), *cutoff,
                            "--model", args.model, "--denoise", f"{amount:g}"],
                           check=True, capture_output=True)
            outputs[amount], _ = sf.read(out, dtype="float32", always_2d=True)
        for amount in amounts:
            def mean_lsd(reference):
                return float(np.mean([lsd(reference[:, c], outputs[amount][:, c], rate, 0.0,
                                          TOP_HZ) for c in range(audio.shape[1])]))
            change[amount].append(mean_lsd(outputs[0.0]))
            against_input[amount].append(mean_lsd(audio))
            print(name, f"denoise {amount:g}", f"change {change[amount][-1]:.4f}",
                  f"against the input {against_input[amount][-1]:.4f}", flush=True)
    print()
    print("| Denoise | what it changes: mean LSD | most | LSD against the input: mean |")
    print("|---|---|---|---|")
    for amount in amounts:
        print(f"| {amount * 100:.0f} % | {np.mean(change[amount]):.4f} | "
              f"{np.max(change[amount]):.4f} | {np.mean(against_input[amount]):.4f} |")


def worn_excerpts(table: list, only: list | None):
    """Each committed excerpt as its worn test transfer, as (index, name, item, rate, edge_hz):
    a seed of its own, the recorded hiss on every other excerpt (module docstring); `edge_hz`
    is the excerpt's own band edge."""
    for index, entry in enumerate(table):
        name = entry["file"].removesuffix(".flac")
        if only and name not in only:
            continue
        audio, rate = sf.read(EXCERPTS / entry["file"], dtype="float32", always_2d=True)
        rng = np.random.default_rng(26_000 + index)
        noise = "recorded" if index % 2 else "simulated"
        yield index, name, wear.wear(audio, rate, rng, noise=noise, part="test",
                                     test_conditions=True), rate, entry["band_edge_hz"]


# The bands above the corner whose level is compared, as multiples of the corner, then the top:
# from 16 kHz to the excerpt's own band edge, up to 20 kHz (the excerpts' edges lie between 7.2
# and 22 kHz; the top counts only where the edge lies above `TOP_FROM_EDGE_HZ`).
LEVEL_BANDS = ("1x to 1.5x", "1.5x to 2.5x", "2.5x to 16 kHz", "16 kHz to the edge (20 kHz at most)")
TOP_FROM_EDGE_HZ = 17_000.0
# Welch power under which a band counts as silent (far under any 24-bit signal's).
LEVEL_FLOOR = 1e-20


def band_levels_db(clean: np.ndarray, estimate: np.ndarray, rate: int, corner_hz: float,
                   edge_hz: float) -> list:
    """The level of `estimate` against `clean` (dB, Welch power) in each of `LEVEL_BANDS`
    above `corner_hz`, for an excerpt whose own band ends at `edge_hz`: whether a band comes
    back at the original's level, too dark or too bright, which LSD alone does not say. NaN
    for a band that the excerpt's own edge leaves empty."""
    n = min(len(clean), len(estimate))
    freqs, clean_power = signal.welch(clean[:n], rate, nperseg=4096)
    _, estimate_power = signal.welch(estimate[:n], rate, nperseg=4096)
    top = (TOP_HZ, 20_000.0) if edge_hz > TOP_FROM_EDGE_HZ else (0.0, 0.0)
    levels = []
    for low, high in ((corner_hz, 1.5 * corner_hz), (1.5 * corner_hz, 2.5 * corner_hz),
                      (2.5 * corner_hz, TOP_HZ), top):
        band = (freqs >= low) & (freqs < min(high, edge_hz))
        if not band.any():
            levels.append(float("nan"))
            continue
        levels.append(float(10 * np.log10((estimate_power[band].mean() + LEVEL_FLOOR)
                                          / (clean_power[band].mean() + LEVEL_FLOOR))))
    return levels


def print_levels(levels: dict) -> None:
    """A Markdown table of the mean (and median) level per band, one row per entry of
    `levels` (a label and the per-excerpt lists of `band_levels_db`)."""
    print("| level against the clean music, dB: mean (median) | " + " | ".join(LEVEL_BANDS)
          + " |")
    print("|---" * (len(LEVEL_BANDS) + 1) + "|")
    for label, per_excerpt in levels.items():
        table_db = np.array(per_excerpt)
        print(f"| {label} | " + " | ".join(
            f"{mean:+.1f} ({median:+.1f})"
            for mean, median in zip(np.nanmean(table_db, 0), np.nanmedian(table_db, 0)))
            + " |")


def render_scored(args: argparse.Namespace, item: wear.Worn, source: np.ndarray, rate: int,
                  edge_hz: float, path: Path, render_args: list) -> tuple[float, list]:
    """`source` (mono) rendered with `render_args`, against the clean music (its own band
    edge at `edge_hz`): its LSD to 16 kHz and its levels above the corner
    (`band_levels_db`)."""
    sf.write(path, source, rate, subtype="FLOAT")
    out = path.with_suffix(".out.wav")
    subprocess.run([args.airlift, "render", str(path), str(out), "--overwrite", *render_args],
                   check=True, capture_output=True)
    estimate, _ = mono(out)
    n = min(len(item.clean), len(estimate))
    return (lsd(item.clean[:n], estimate[:n], rate, 0.0, TOP_HZ),
            band_levels_db(item.clean, estimate, rate, item.lowpass_hz, edge_hz))


def ceiling(args: argparse.Namespace, table: list, work: Path) -> None:
    """The best case for the band generation on the worn conditions (`--ceiling`, module
    docstring): LSD to 16 kHz per excerpt, then the means and the issue's target (35 % under
    the worn input's), and the mean level of each input and output against the clean music in
    the bands above the corner."""
    rows = []
    levels = {}
    for _, name, item, rate, edge_hz in worn_excerpts(table, args.only):
        spectrum = np.fft.rfft(item.clean)
        below = np.fft.rfftfreq(len(item.clean), 1 / rate) < item.lowpass_hz
        brick = np.fft.irfft(np.where(below, spectrum, 0), len(item.clean)).astype(np.float32)
        perfect = np.fft.irfft(np.where(below, np.fft.rfft(item.filtered), spectrum),
                               len(item.clean)).astype(np.float32)
        row = {"worn": lsd(item.clean, item.worn, rate, 0.0, TOP_HZ),
               "perfect band": lsd(item.clean, perfect, rate, 0.0, TOP_HZ)}
        cutoff = ["--cutoff", f"{item.lowpass_hz:.0f}"]
        for label, source in (("brick wall", brick), ("transfer's filters", item.filtered)):
            levels.setdefault(f"{label}, input", []).append(
                band_levels_db(item.clean, source, rate, item.lowpass_hz, edge_hz))
            for model in ("unet", "sbr"):
                row[f"{label}, {model}"], band_levels = render_scored(
                    args, item, source, rate, edge_hz,
                    work / f"{name}.{label[:5]}.{model}.wav",
                    [*cutoff, "--model", model])
                levels.setdefault(f"{label}, {model}", []).append(band_levels)
        rows.append(row)
        print(name, json.dumps({k: round(v, 3) for k, v in row.items()}), flush=True)
    print()
    columns = list(rows[0])
    print("| LSD to 16 kHz | target (35 % under worn) | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    means = [float(np.mean([row[c] for row in rows])) for c in columns]
    print(f"| mean of {len(rows)} | {0.65 * means[0]:.3f} | "
          + " | ".join(f"{m:.3f}" for m in means) + " |")
    print()
    print_levels(levels)


# The level-match probe (`--level-match`): its STFT, the bins its levels are smoothed over, and
# the gain limits (dB) of its rows: raising only, and turning down to 12 or 30 dB as well.
MATCH_FFT, MATCH_HOP = 2048, 512
MATCH_BINS = 9
MATCH_LIMITS_DB = ((0.0, 20.0), (-12.0, 20.0), (-30.0, 20.0))


def render_mono(args: argparse.Namespace, source: Path, out: Path, render_args: list) -> np.ndarray:
    """`source` rendered by the CLI with `render_args`, its channels averaged."""
    subprocess.run([args.airlift, "render", str(source), str(out), "--overwrite", *render_args],
                   check=True, capture_output=True)
    return mono(out)[0]


def level_match(args: argparse.Namespace, table: list, work: Path) -> None:
    """The level-match probe (`--level-match`, module docstring): per excerpt, then the mean
    LSD and SI-SDR of the render and of each gain limit, and their levels above the corner."""
    def stft(x):
        return signal.stft(x, nperseg=MATCH_FFT, noverlap=MATCH_FFT - MATCH_HOP)[2]

    def istft(spectrum, n):
        return signal.istft(spectrum, nperseg=MATCH_FFT, noverlap=MATCH_FFT - MATCH_HOP)[1][:n]

    def smoothed_power(spectrum):
        kernel = np.ones(MATCH_BINS) / MATCH_BINS
        return np.apply_along_axis(np.convolve, 0, np.abs(spectrum) ** 2, kernel, "same") + 1e-20

    rows, levels = [], {}
    for _, name, item, rate, edge_hz in worn_excerpts(table, args.only):
        worn_path = work / f"{name}.worn.wav"
        sf.write(worn_path, item.worn, rate, subtype="FLOAT")
        given = ["--cutoff", f"{item.lowpass_hz:.0f}", "--model", args.model]
        rendered = {listen: render_mono(args, worn_path, work / f"{name}.{listen}.wav",
                                        [*given, "--denoise", "1", "--listen", listen])
                    for listen in ("output", "removed")}
        n = min(len(item.worn), *(len(v) for v in rendered.values()))
        cleaned = stft(item.worn[:n] - rendered["removed"][:n])
        freqs = np.fft.rfftfreq(MATCH_FFT, 1 / rate)
        above = (freqs >= item.lowpass_hz)[:, None]
        brick_path = work / f"{name}.brick.wav"
        sf.write(brick_path, istft(np.where(above, 0, cleaned), n).astype(np.float32), rate,
                 subtype="FLOAT")
        generated = stft(render_mono(args, brick_path, work / f"{name}.generated.wav",
                                     [*given, "--listen", "added"])[:n])
        frames = min(cleaned.shape[1], generated.shape[1])
        cleaned, generated = cleaned[:, :frames], generated[:, :frames]
        gain = np.sqrt(smoothed_power(generated) / smoothed_power(cleaned))
        outputs = {"render": rendered["output"][:n]}
        for low_db, high_db in MATCH_LIMITS_DB:
            limited = np.clip(gain, 10 ** (low_db / 20), 10 ** (high_db / 20))
            outputs[f"matched {low_db:+g} to {high_db:+g} dB"] = istft(
                np.where(above, cleaned * limited, cleaned), n)
        row = {}
        for label, estimate in outputs.items():
            m = min(len(item.clean), len(estimate))
            row[label] = {"lsd": lsd(item.clean[:m], estimate[:m], rate, 0.0, TOP_HZ),
                          "si_sdr_db": si_sdr_db(item.clean[:m], estimate[:m])}
            levels.setdefault(label, []).append(
                band_levels_db(item.clean, estimate, rate, item.lowpass_hz, edge_hz))
        rows.append(row)
        print(name, json.dumps({k: {f: round(v, 3) for f, v in figures_.items()}
                                for k, figures_ in row.items()}), flush=True)
    print()
    print("| figure | " + " | ".join(rows[0]) + " |")
    print("|---" * (len(rows[0]) + 1) + "|")
    for key, label in (("lsd", "LSD to 16 kHz"), ("si_sdr_db", "SI-SDR (dB)")):
        print(f"| {label} | " + " | ".join(
            f"{np.mean([row[c][key] for row in rows]):.3f}" for c in rows[0]) + " |")
    print()
    print_levels(levels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airlift", required=True)
    parser.add_argument("--model", default="unet")
    parser.add_argument("--amounts", type=float, nargs="+", default=list(AMOUNTS))
    parser.add_argument("--only", nargs="*", help="excerpt names to keep")
    parser.add_argument("--keep", type=Path, help="a folder to keep the worn and restored files")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--oracle-cutoff", action="store_true",
                        help="give the render the worn low-pass corner instead of --auto "
                             "(what a perfect detector would give)")
    parser.add_argument("--look-ahead", action="store_true",
                        help="render with the CLI's default, which hears the whole file before "
                             "rendering it, instead of --auto (a first hearing, as the plugin's)")
    parser.add_argument("--clean", action="store_true",
                        help="measure the harm to the clean excerpts instead (no-harm table)")
    parser.add_argument("--clean-cutoff", type=float,
                        help="with --clean: a cutoff set by hand (Hz) instead of --auto")
    parser.add_argument("--ceiling", action="store_true",
                        help="measure the best case for the band generation instead (brick "
                             "wall and noise-free transfers, the corner given)")
    parser.add_argument("--level-match", action="store_true",
                        help="probe a fill that raises the transfer's own attenuated music to "
                             "the generated band's level instead (the corner given)")
    args = parser.parse_args()
    table = json.loads((EXCERPTS / "excerpts.json").read_text())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.clean:
            no_harm(args, table, work)
            return
        if args.ceiling:
            ceiling(args, table, work)
            return
        if args.level_match:
            level_match(args, table, work)
            return
        for index, name, item, rate, edge_hz in worn_excerpts(table, args.only):
            worn_path = work / f"{name}.worn.flac"
            channels = 2 if index % 3 == 0 else 1
            sf.write(worn_path, np.repeat(item.worn[:, None], channels, axis=1), rate,
                     subtype="PCM_24")
            row = {"excerpt": name, "noise": item.noise, "channels": channels,
                   "lowpass_hz": round(item.lowpass_hz), "order": item.lowpass_order,
                   "worn": figures(item, item.worn, rate, edge_hz),
                   "noise-free": figures(item, item.filtered, rate, edge_hz)}
            for amount in args.amounts:
                out = work / f"{name}.denoise{amount:g}.flac"
                if args.oracle_cutoff:
                    cutoff = ["--cutoff", f"{item.lowpass_hz:.0f}"]
                else:
                    cutoff = [] if args.look_ahead else ["--auto"]
                subprocess.run([args.airlift, "render", str(worn_path), str(out), *cutoff,
                                "--model", args.model, "--denoise", f"{amount:g}"],
                               check=True, capture_output=True)
                estimate, _ = mono(out)
                row[f"denoise {amount:g}"] = figures(item, estimate, rate, edge_hz)
            rows.append(row)
            print(name, json.dumps({k: v for k, v in row.items() if k != "excerpt"}), flush=True)
    print()
    columns = ["worn", "noise-free"] + [f"denoise {a:g}" for a in args.amounts]
    print("| figure | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for key, label in (("lsd", "LSD to 16 kHz"), ("lsd_above", "LSD above the low-pass"),
                       ("si_sdr_db", "SI-SDR (dB)"), ("noise_db", "noise below the low-pass (dB)")):
        means = [np.mean([row[c][key] for row in rows]) for c in columns]
        print(f"| {label} | " + " | ".join(f"{m:.3f}" for m in means) + " |")
    print()
    print_levels({c: [row[c]["levels_db"] for row in rows] for c in columns})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
