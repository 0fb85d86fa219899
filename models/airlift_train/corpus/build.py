"""The recorded-music corpus: Debian packages of recorded music, decoded at 44.1 and 48 kHz.

Every piece is listed in `manifest.json` with its source package, its path inside the package
(a `.pk3` member as `archive.pk3:member`), its licence, the kind of music, its own band edge
and its split. Splits are disjoint by piece: the test pieces are named in `TEST_EXCERPTS`, and
every other piece goes to validation or training by a hash of its package and path, so the
split of a piece never depends on which other pieces exist.

The test split is written as short FLAC excerpts into the repository (`tests/excerpts/`), with
a README giving each excerpt's package, file and licence: it is the real music of the test
suite, so CI never needs the large packages. Training and validation audio goes under the
output folder (`target/corpus/`), at most `MAX_SECONDS` of each piece at each rate.

Packages of wesnoth, supertuxkart, supertux and hedgewars are never used: they are reserved for an
independent evaluation of Airlift.

Run by `cargo xtask corpus`, which installs the packages with apt first.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

RATES_HZ = (44_100, 48_000)
"""The rates every training and validation piece is decoded at."""

MAX_SECONDS = 60.0
"""Most seconds of one piece kept for training and validation, from its first tenth on."""

VALIDATION_PERCENT = 12
"""Share of the non-test pieces that go to validation, by hash."""

EXCERPT_SECONDS = 9.0
"""Length of a test excerpt."""

RESERVED = ("wesnoth", "supertux", "hedgewars")
"""Package name parts reserved for an independent evaluation: never read ("supertux" covers
supertuxkart and, to keep the rule simple, supertux-data too)."""

EDGE_DROP_DB = 90.0
"""A file's own band edge lies within this many dB of its loudest band, in its brightest frames
(95th percentile over time)."""

EDGE_SPREAD_DB = 3.0
"""Content moves with the music and a noise floor holds still: a band counts as content only
where its brightest frames stand at least this many dB above its median frame. This keeps a
noise-shaped dither hump, or the hiss above a sample's own roll-off, from reading as content."""

EDGE_BANDS_PER_OCTAVE = 24
"""Resolution of the own-edge measurement: bands of this fraction of an octave."""

EDGE_SPREAD_MIN_FRAMES = 20
"""Frames (of 2048 samples' hop) a file needs before its spread over time means anything: a
one-shot shorter than about a second is judged by its level alone."""


@dataclasses.dataclass(frozen=True)
class Source:
    """Where one package keeps its music."""

    package: str
    """The Debian package."""
    licence: str
    """The licence of the music, from the package's copyright file."""
    kind: str
    """The kind of music, as the soundtrack describes itself."""
    pattern: str
    """A glob of files, or of `.pk3` archives whose audio members are pieces."""
    split_by_folder: bool = False
    """Split whole folders rather than files (a drum kit's samples stay together)."""


SOURCES = (
    Source("warzone2100-music", "GPL-2+", "soundtrack (electronic, orchestral)",
           "/usr/share/games/warzone2100/music/**/*.opus"),
    Source("nexuiz-music", "GPL-2+", "electronic, metal",
           "/usr/share/games/nexuiz/data/music.pk3"),
    Source("ufoai-music", "GPL-2+ / CC-BY-3.0 / CC-BY-SA-3.0 (per file, see the package)",
           "orchestral, rock", "/usr/share/games/ufoai/base/0music.pk3"),
    Source("hyperrogue-music", "GPL-2+", "ambient, acoustic, world",
           "/usr/share/hyperrogue/music/*.ogg"),
    Source("singularity-music", "CC-BY-SA-3.0", "electronic, ambient",
           "/usr/share/games/singularity/music/*.ogg"),
    Source("planetblupi-music-ogg", "GPL-3+", "game music (pop, chiptune-like)",
           "/usr/share/planetblupi/music/*.ogg"),
    Source("sonic-pi-samples", "CC0-1.0 (per file, see the package)",
           "recorded samples and loops", "/usr/share/sonic-pi/samples/*.flac"),
    Source("hydrogen-drumkits", "GPL-2+ (per kit, see the package)", "drum kit samples",
           "/usr/share/hydrogen/data/drumkits/**/*.flac", split_by_folder=True),
)
"""The packages of the corpus (installed with apt by `cargo xtask corpus`)."""


@dataclasses.dataclass(frozen=True)
class Excerpt:
    """One committed test excerpt."""

    name: str
    """File name stem under `tests/excerpts/`."""
    package: str
    """Source package."""
    path: str
    """Path of the piece inside the package (as in the manifest)."""
    kind: str
    """The kind of music."""
    licence: str
    """The piece's licence."""


TEST_EXCERPTS = (
    Excerpt("orchestral_battlescape", "ufoai-music",
            "/usr/share/games/ufoai/base/0music.pk3:music/Crystan-Battlescape01.ogg",
            "orchestral", "GPL-2+ (UFO:AI Team)"),
    Excerpt("orchestral_geosphere", "ufoai-music",
            "/usr/share/games/ufoai/base/0music.pk3:music/Crystan-Geosphere02.ogg",
            "orchestral", "GPL-2+ (UFO:AI Team)"),
    Excerpt("orchestral_aftermath20", "warzone2100-music",
            "/usr/share/games/warzone2100/music/albums/aftermath_soundtrack/track20.opus",
            "orchestral", "GPL-2+"),
    Excerpt("orchestral_aftermath24", "warzone2100-music",
            "/usr/share/games/warzone2100/music/albums/aftermath_soundtrack/track24.opus",
            "orchestral", "GPL-2+"),
    Excerpt("metal_beast", "nexuiz-music",
            "/usr/share/games/nexuiz/data/music.pk3:sound/cdtracks/beast-of-insanity.ogg",
            "rock, metal", "GPL-2+ (Alientrap)"),
    Excerpt("rock_infight", "nexuiz-music",
            "/usr/share/games/nexuiz/data/music.pk3:sound/cdtracks/infight.ogg",
            "rock, metal", "GPL-2+ (Alientrap)"),
    Excerpt("rock_fightmare", "ufoai-music",
            "/usr/share/games/ufoai/base/0music.pk3:music/AlexFightmare.ogg",
            "rock", "GPL-2+ (UFO:AI Team)"),
    Excerpt("electronic_brainsukker", "nexuiz-music",
            "/usr/share/games/nexuiz/data/music.pk3:sound/cdtracks/brainsukker.ogg",
            "electronic", "GPL-2+ (Alientrap)"),
    Excerpt("electronic_pursuit", "nexuiz-music",
            "/usr/share/games/nexuiz/data/music.pk3:sound/cdtracks/digital-pursuit.ogg",
            "electronic", "GPL-2+ (Alientrap)"),
    Excerpt("electronic_media_threat", "singularity-music",
            "/usr/share/games/singularity/music/Media Threat.ogg",
            "electronic", "CC-BY-SA-3.0 (Max McCracken)"),
    Excerpt("ambient_nebula", "singularity-music",
            "/usr/share/games/singularity/music/Nebula.ogg",
            "ambient electronic", "CC-BY-SA-3.0 (Max McCracken)"),
    Excerpt("electronic_legacy5", "warzone2100-music",
            "/usr/share/games/warzone2100/music/albums/legacy_soundtrack/track5.opus",
            "electronic", "GPL-2+"),
    Excerpt("world_caribbean", "hyperrogue-music",
            "/usr/share/hyperrogue/music/hr-savino-caribbean.ogg",
            "acoustic, world", "GPL-2+ (Zeno Rogue and contributors)"),
    Excerpt("world_desert", "hyperrogue-music",
            "/usr/share/hyperrogue/music/hr3-desert.ogg",
            "acoustic, world", "GPL-2+ (Zeno Rogue and contributors)"),
    Excerpt("ambient_hunting", "hyperrogue-music",
            "/usr/share/hyperrogue/music/hr-domina-hunting.ogg",
            "ambient", "GPL-2+ (Zeno Rogue and contributors)"),
    Excerpt("game_blupi4", "planetblupi-music-ogg",
            "/usr/share/planetblupi/music/music004.ogg",
            "game music", "GPL-3+ (Mathieu Schroeter)"),
    Excerpt("drums_amen", "sonic-pi-samples",
            "/usr/share/sonic-pi/samples/loop_amen_full.flac",
            "drums (recorded break, looped)", "CC0-1.0 (gowers, freesound 202537)"),
    Excerpt("percussion_safari", "sonic-pi-samples",
            "/usr/share/sonic-pi/samples/loop_safari.flac",
            "percussion", "CC0-1.0 (nemaavla, freesound 318759)"),
    Excerpt("percussion_tabla", "sonic-pi-samples",
            "/usr/share/sonic-pi/samples/loop_tabla.flac",
            "acoustic percussion (tabla)", "CC0-1.0 (lezaarth, freesound 242591)"),
    Excerpt("guitar_em9", "sonic-pi-samples",
            "/usr/share/sonic-pi/samples/guit_em9.flac",
            "acoustic guitar", "CC0-1.0 (Sub-d, freesound 46992)"),
)
"""The test split: one excerpt from each of these pieces, none of which trains or validates."""


@dataclasses.dataclass
class Piece:
    """One piece of music found in a package."""

    source: Source
    """Its package."""
    path: str
    """A file path, or `archive.pk3:member`."""

    def read(self) -> tuple[np.ndarray, int]:
        """The piece as float32 `[samples, channels]` and its sample rate."""
        if ":" in self.path:
            archive, member = self.path.split(":", 1)
            with zipfile.ZipFile(archive) as zf:
                data, rate = sf.read(io.BytesIO(zf.read(member)), dtype="float32",
                                     always_2d=True)
        else:
            data, rate = sf.read(self.path, dtype="float32", always_2d=True)
        return data, rate


def find_pieces() -> list[Piece]:
    """Every piece of every installed source package, in a stable order."""
    pieces = []
    for source in SOURCES:
        assert not any(r in source.package for r in RESERVED), source.package
        for path in sorted(glob.glob(source.pattern, recursive=True)):
            if path.endswith(".pk3"):
                with zipfile.ZipFile(path) as zf:
                    members = sorted(n for n in zf.namelist()
                                     if n.lower().endswith((".ogg", ".flac", ".wav")))
                pieces.extend(Piece(source, f"{path}:{m}") for m in members)
            else:
                pieces.append(Piece(source, path))
    return pieces


def band_edge_hz(audio: np.ndarray, rate: int) -> float:
    """The file's own band edge: the top of the highest band of content, where content is
    within `EDGE_DROP_DB` of the loudest band and moves with the music (`EDGE_SPREAD_DB`, for
    files of at least `EDGE_SPREAD_MIN_FRAMES` frames).
    Bands are `1/EDGE_BANDS_PER_OCTAVE` octave wide from 500 Hz up to Nyquist; the Nyquist
    frequency when content reaches the top band, 0 for digital silence."""
    n_fft, hop, chunk = 4096, 2048, 256
    if len(audio) < n_fft:
        audio = np.pad(audio, ((0, n_fft - len(audio)), (0, 0)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, (n_fft, audio.shape[1]))[::hop, 0]
    window = np.hanning(n_fft)[None, :, None]
    power = np.concatenate([
        (np.abs(np.fft.rfft(frames[i:i + chunk] * window, axis=1)) ** 2).sum(axis=2)
        for i in range(0, len(frames), chunk)
    ])
    total = power.sum(axis=1)
    if total.max() <= 0:
        return 0.0
    active = power[total > total.max() * 1e-6]
    bin_hz = rate / n_fft
    step = 1.0 / EDGE_BANDS_PER_OCTAVE
    centres = 2.0 ** np.arange(np.log2(500.0), np.log2(rate / 2) - step / 2, step)
    lo = np.round(centres * 2 ** (-step / 2) / bin_hz).astype(int)
    hi = np.maximum(np.round(centres * 2 ** (step / 2) / bin_hz).astype(int), lo + 1)
    band_power = np.stack([active[:, a:b].mean(axis=1) for a, b in zip(lo, hi)], axis=1)
    band_db = 10 * np.log10(band_power + 1e-30)
    bright = np.percentile(band_db, 95, axis=0)
    median = np.percentile(band_db, 50, axis=0)
    content = bright > bright.max() - EDGE_DROP_DB
    if len(active) >= EDGE_SPREAD_MIN_FRAMES:
        content &= bright - median >= EDGE_SPREAD_DB
    bands = np.nonzero(content)[0]
    if len(bands) == 0:
        return 0.0
    if bands[-1] == len(centres) - 1:
        return rate / 2
    return float(centres[bands[-1]] * 2 ** (step / 2))


def split_of(piece: Piece, test_paths: set[str]) -> str:
    """`test` for the named test pieces, else `validation` or `train` by a stable hash of the
    piece (or of its folder, for sources split by folder)."""
    if piece.path in test_paths:
        return "test"
    key = os.path.dirname(piece.path) if piece.source.split_by_folder else piece.path
    digest = hashlib.sha256(f"{piece.source.package}\n{key}".encode()).digest()
    return "validation" if digest[0] * 100 // 256 < VALIDATION_PERCENT else "train"


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """`audio` at `target` Hz (polyphase, Kaiser window)."""
    if rate == target:
        return audio
    g = np.gcd(rate, target)
    return resample_poly(audio, target // g, rate // g, axis=0).astype(np.float32)


def excerpt_start(audio: np.ndarray, rate: int, seconds: float) -> int:
    """The start of a typical stretch: of the whole-second windows between 10 % and 90 % of
    the piece, the one of median loudness (loops shorter than the excerpt start at 0)."""
    length = int(seconds * rate)
    if len(audio) <= length:
        return 0
    lo, hi = int(0.1 * len(audio)), int(0.9 * len(audio)) - length
    starts = list(range(lo, max(lo, hi) + 1, rate))
    loudness = [float(np.mean(audio[s:s + length] ** 2)) for s in starts]
    return starts[int(np.argsort(loudness)[len(starts) // 2])]


def write_excerpt(piece: Piece, excerpt: Excerpt, folder: Path) -> dict:
    """Writes one test excerpt (16-bit FLAC at the piece's own rate, looping a loop shorter
    than the excerpt) and returns its manifest entry."""
    audio, rate = piece.read()
    length = int(EXCERPT_SECONDS * rate)
    if len(audio) < length:
        audio = np.concatenate([audio] * (length // len(audio) + 1))
    start = excerpt_start(audio, rate, EXCERPT_SECONDS)
    clip = audio[start:start + length]
    if clip.shape[1] == 1:
        clip = np.repeat(clip, 2, axis=1)
    peak = float(np.abs(clip).max())
    if peak > 0.99:
        clip = clip * (0.99 / peak)
    name = f"{excerpt.name}.flac"
    sf.write(folder / name, clip, rate, subtype="PCM_16")
    return {
        "file": name,
        "package": excerpt.package,
        "path": excerpt.path,
        "licence": excerpt.licence,
        "kind": excerpt.kind,
        "sample_rate_hz": rate,
        "start_seconds": round(start / rate, 3),
        "seconds": EXCERPT_SECONDS,
        "band_edge_hz": round(band_edge_hz(clip, rate)),
    }


def excerpts_readme(entries: list[dict]) -> str:
    """The README beside the test excerpts."""
    lines = [
        "# Test excerpts: recorded music",
        "",
        "The real music of the test suite: "
        f"{len(entries)} excerpts of {EXCERPT_SECONDS:g} s, 16-bit FLAC at the source's own "
        "rate, stereo (mono sources duplicated), peaks at most -0.1 dBFS. Made by "
        "`cargo xtask corpus` (`models/airlift_train/corpus/build.py`) from Debian packages; none "
        "of these pieces is used for training or validation. Each starts at the whole second "
        "of median loudness between 10 % and 90 % of its piece; loops shorter than the "
        "excerpt are repeated. `band_edge_hz` is the excerpt's own band edge, the top of its "
        "content (its Ogg or Opus low-pass, the roll-off of a sample recorded band-limited, "
        "or the Nyquist frequency); "
        "`excerpts.json` has the same table for the tests.",
        "",
        "| file | kind | package | source file | start | own band edge | licence |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        lines.append(
            f"| `{e['file']}` | {e['kind']} | `{e['package']}` | `{e['path']}` | "
            f"{e['start_seconds']:.0f} s | {e['band_edge_hz']} Hz | {e['licence']} |")
    lines += [
        "",
        "The licences are those of the Debian packages' copyright files "
        "(`/usr/share/doc/<package>/copyright`): GPL-2+ and GPL-3+ music is redistributed "
        "here under the same licence, CC-BY-SA-3.0 music with the attribution above, and CC0 "
        "samples need none.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True,
                        help="folder for the training and validation audio and the manifest")
    parser.add_argument("--excerpts", type=Path, required=True,
                        help="folder for the committed test excerpts")
    parser.add_argument("--skip-audio", action="store_true",
                        help="write the manifest and excerpts only, not the training audio")
    args = parser.parse_args()

    pieces = find_pieces()
    by_path = {p.path: p for p in pieces}
    missing = [e.path for e in TEST_EXCERPTS if e.path not in by_path]
    if missing:
        raise SystemExit(f"test pieces not found (are the packages installed?): {missing}")
    test_paths = {e.path for e in TEST_EXCERPTS}

    args.excerpts.mkdir(parents=True, exist_ok=True)
    entries = [write_excerpt(by_path[e.path], e, args.excerpts) for e in TEST_EXCERPTS]
    (args.excerpts / "excerpts.json").write_text(json.dumps(entries, indent=1) + "\n")
    (args.excerpts / "README.md").write_text(excerpts_readme(entries))
    print(f"wrote {len(entries)} test excerpts to {args.excerpts}")

    manifest = []
    for index, piece in enumerate(pieces):
        split = split_of(piece, test_paths)
        try:
            audio, rate = piece.read()
        except (RuntimeError, sf.LibsndfileError) as error:
            print(f"skipped {piece.path}: {error}")
            continue
        entry = {
            "package": piece.source.package,
            "path": piece.path,
            "licence": piece.source.licence,
            "kind": piece.source.kind,
            "split": split,
            "sample_rate_hz": rate,
            "channels": audio.shape[1],
            "seconds": round(len(audio) / rate, 2),
            "band_edge_hz": round(band_edge_hz(audio, rate)),
            "files": {},
        }
        usable = rate >= min(RATES_HZ) and split != "test"
        if usable and not args.skip_audio:
            start = int(0.1 * len(audio)) if len(audio) / rate > MAX_SECONDS else 0
            part = audio[start:start + int(MAX_SECONDS * rate)]
            stem = hashlib.sha256(piece.path.encode()).hexdigest()[:12]
            for target in RATES_HZ:
                relative = Path(str(target)) / split / piece.source.package / f"{stem}.flac"
                (args.out / relative).parent.mkdir(parents=True, exist_ok=True)
                sf.write(args.out / relative, resample(part, rate, target), target,
                         subtype="PCM_24")
                entry["files"][str(target)] = str(relative)
        manifest.append(entry)
        if index % 20 == 0:
            print(f"{index + 1}/{len(pieces)} pieces", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    counts = {s: sum(e["split"] == s for e in manifest) for s in ("train", "validation", "test")}
    print(f"corpus: {len(manifest)} pieces {counts} in {args.out}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
