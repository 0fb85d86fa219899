"""Detection on recorded music that the detector was never tuned on: the corpus's validation
pieces and 40 music pieces of its training split (the detector learns nothing, so for it both
are held out; the committed test excerpts are what it is tuned on).

A 9-s part of each piece (from 10 % in, as the corpus takes it) is low-passed by Butterworth 4,
8 and 12 and the tests' 6th-order elliptic (0.5 dB, 60 dB) at 3 to 16 kHz, below the piece's
own band edge, written as float WAV, and `airlift detect --json` is run on every file with each
binary given. A case is found when the reported edge lies within a sixth of an octave of the
filter's edge. The unfiltered parts must show no false edge below 15 kHz (one that is not the
piece's own edge).

Needs the corpus's Debian packages (`cargo xtask corpus` installs them; the audio it writes is
not used). Usage (from `models/`, about 3 minutes and 5 GB of temporary files):
    python -m airlift_train.evaluation.detect_heldout --work DIR AIRLIFT [AIRLIFT_BEFORE]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import random
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from ..corpus import build as corpus

CUTOFFS_HZ = (3000, 4000, 6000, 8000, 11000, 14000, 16000)
FILTERS = ("butter4", "butter8", "butter12", "ellip")
TRAIN_PIECES = 40
SECONDS = 9
TOLERANCE_OCTAVES = 1 / 6
LOWEST_CODEC_EDGE_HZ = 15000


def held_out_pieces() -> list[tuple[corpus.Piece, str]]:
    """The validation pieces, then a fixed draw of music pieces from the training split."""
    pieces = corpus.find_pieces()
    test_paths = {e.path for e in corpus.TEST_EXCERPTS}
    split = {p.path: corpus.split_of(p, test_paths) for p in pieces}
    # Music sources keep only pieces of MIN_MUSIC_SECONDS or more; sample libraries keep all.
    music = [p for p in pieces if split[p.path] == "train" and p.source.min_seconds > 0]
    random.Random(8).shuffle(music)
    chosen = [p for p in pieces if split[p.path] == "validation"] + music[:TRAIN_PIECES]
    return [(p, split[p.path]) for p in chosen]


def lowpass(part: np.ndarray, rate: int, kind: str, cutoff_hz: int) -> np.ndarray:
    if kind == "ellip":
        sos = signal.ellip(6, 0.5, 60, cutoff_hz, fs=rate, output="sos")
    else:
        sos = signal.butter(int(kind[6:]), cutoff_hz, fs=rate, output="sos")
    return signal.sosfilt(sos, part, axis=0).astype(np.float32)


def write_cases(work: Path) -> list[dict]:
    """Writes every case (and the unfiltered parts) under `work`; returns their records."""
    work.mkdir(parents=True, exist_ok=True)
    cases = []
    count = 0
    for piece, split in held_out_pieces():
        try:
            audio, rate = piece.read()
        except Exception:  # noqa: BLE001 - an unreadable piece is left out, as the corpus does
            continue
        if rate not in (44100, 48000) or len(audio) < SECONDS * rate:
            continue
        start = int(0.1 * len(audio)) if len(audio) > 20 * rate else 0
        part = audio[start:start + SECONDS * rate]
        if part.ndim == 1:
            part = part[:, None]
        if part.shape[1] == 1:
            part = np.repeat(part, 2, axis=1)
        if np.abs(part).max() < 1e-4:
            continue
        edge_hz = corpus.band_edge_hz(part, rate)
        count += 1
        name = f"p{count:03d}_raw.wav"
        sf.write(work / name, part.astype(np.float32), rate, subtype="FLOAT")
        cases.append({"file": name, "kind": "unfiltered", "split": split, "edge_hz": edge_hz})
        for kind in FILTERS:
            for cutoff_hz in CUTOFFS_HZ:
                if cutoff_hz >= edge_hz:
                    continue
                name = f"p{count:03d}_{kind}_{cutoff_hz}.wav"
                sf.write(work / name, lowpass(part, rate, kind, cutoff_hz), rate, subtype="FLOAT")
                cases.append({"file": name, "kind": kind, "split": split, "edge_hz": edge_hz,
                              "cutoff_hz": cutoff_hz})
    print(f"{count} pieces, {len(cases)} files in {work}", flush=True)
    return cases


def detect(binary: str, work: Path, files: list[str]) -> dict[str, float | None]:
    """Each file's reported edge in Hz (None: no band limit)."""
    out = subprocess.run([binary, "detect", "--json", *files], cwd=work, check=True,
                         capture_output=True, text=True).stdout
    return {d["input"]: d.get("band_limit_hz") for d in map(json.loads, out.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the WAV files")
    parser.add_argument("binaries", nargs="+", help="airlift binaries to compare")
    args = parser.parse_args()
    cases = write_cases(args.work)
    files = [c["file"] for c in cases]
    results = [detect(b, args.work, files) for b in args.binaries]
    table: dict[tuple[str, str], list[int]] = collections.defaultdict(
        lambda: [0] * (1 + len(results)))
    false_edges: list[list[str]] = [[] for _ in results]
    for case in cases:
        for i, found in enumerate(results):
            hz = found[case["file"]]
            if case["kind"] == "unfiltered":
                own = hz is not None and abs(math.log2(hz / case["edge_hz"])) <= TOLERANCE_OCTAVES
                if hz is not None and hz < LOWEST_CODEC_EDGE_HZ and not own:
                    false_edges[i].append(f"{case['file']} ({hz:.0f} Hz)")
                continue
            hit = hz is not None and abs(math.log2(hz / case["cutoff_hz"])) <= TOLERANCE_OCTAVES
            for key in ((case["split"], case["kind"]), (case["split"], "all"),
                        ("both", case["kind"]), ("both", "all")):
                row = table[key]
                row[0] += i == 0
                row[1 + i] += hit
    print("| pieces | band limit | cases | " + " | ".join(args.binaries) + " |")
    print("|---|---|---|" + "---|" * len(results))
    for (split, kind), row in sorted(table.items()):
        found = " | ".join(f"{h} ({100 * h / row[0]:.1f} %)" for h in row[1:])
        print(f"| {split} | {kind} | {row[0]} | {found} |")
    for binary, edges in zip(args.binaries, false_edges):
        print(f"{binary}: false edges on unfiltered parts: {len(edges)} {edges}")


if __name__ == "__main__":
    main()
