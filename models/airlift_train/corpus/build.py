"""The recorded-music corpus: Debian packages of recorded music, decoded at 44.1 and 48 kHz.

Every piece is listed in `manifest.json` with its source package, its path inside the package
(a member of a `.pk3` or `.zip` archive as `archive.zip:member`, a song kept as stems as its
folder), its licence, the kind of music, its own band edge and its split. A piece of a package
is a file that package installed (another package's files in the same folder are not its), and
a music piece shorter than `MIN_MUSIC_SECONDS` is a sound effect and left out; sample libraries
keep every sample. Splits are disjoint by piece: the test pieces are named in `TEST_EXCERPTS`,
and every other piece goes to validation or training by a hash of its package and path, so the
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
import fnmatch
import glob
import hashlib
import io
import json
import os
import subprocess
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

MIN_MUSIC_SECONDS = 10.0
"""Shortest piece of a music package kept: shorter files in a music folder are stingers and
sound effects, not music."""

ARCHIVE_SUFFIXES = (".pk3", ".zip")
"""Zip archives whose audio members are pieces (Quake-engine `.pk3`, plain `.zip`)."""

AUDIO_SUFFIXES = (".ogg", ".opus", ".flac", ".wav")
"""Audio files that are pieces, archive members or stems."""

MIX_PEAK = 0.99
"""Highest peak of a song summed from its stems: a louder sum is scaled down as a whole, so the
mix keeps the balance the game plays it at and never clips."""

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
    """A glob of files, of archives (`ARCHIVE_SUFFIXES`) whose audio members are pieces, or of
    song folders (with `stems`)."""
    split_by_folder: bool = False
    """Split whole folders rather than files (a drum kit's samples stay together)."""
    members: str = "*"
    """A glob of the archive members that are music (0 A.D.'s one archive holds its sound
    effects too)."""
    stems: bool = False
    """Each folder of `pattern` is one song recorded as stems (Frets on Fire's `song.ogg`,
    `guitar.ogg`, `rhythm.ogg`): the piece is their sum, the full band mix."""
    min_seconds: float = MIN_MUSIC_SECONDS
    """Shortest file kept: `MIN_MUSIC_SECONDS` for music, 0 for a sample library."""


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
           "recorded samples and loops", "/usr/share/sonic-pi/samples/*.flac", min_seconds=0.0),
    Source("hydrogen-drumkits", "GPL-2+ (per kit, see the package)", "drum kit samples",
           "/usr/share/hydrogen/data/drumkits/**/*.flac", split_by_folder=True, min_seconds=0.0),
    Source("0ad-data", "CC-BY-SA-3.0", "orchestral, world (ancient civilizations)",
           "/usr/share/games/0ad/mods/public/public.zip", members="audio/music/*"),
    Source("naev-data", "GPL-2+ / GPL-3 or CC-BY-3.0 / CC-BY-SA-3.0 / CC-BY-3.0 (per file, "
           "see the package)", "space soundtrack (orchestral, electronic, ambient)",
           "/usr/share/naev/dat/snd/music/*.ogg"),
    Source("widelands-data", "GPL-2+ / CC-BY-SA-3.0 (per file, see the package)",
           "orchestral, folk, ambient", "/usr/share/games/widelands/data/music/*.ogg"),
    Source("freedroidrpg-data", "GPL-2+", "electronic, ambient, rock",
           "/usr/share/freedroidrpg/data/sound/music/*.ogg"),
    Source("redeclipse-data", "CC-BY-SA-3.0+", "electronic, rock",
           "/usr/share/games/redeclipse/data/sounds/music/*.ogg"),
    Source("megaglest-data", "CC-BY-SA-3.0", "orchestral, world",
           "/usr/share/games/megaglest/**/music/*.ogg"),
    Source("unknown-horizons", "CC-BY-SA-3.0", "orchestral, folk, classical",
           "/usr/share/unknown-horizons/content/audio/music/**/*.ogg"),
    Source("ardentryst", "CC-BY-SA-3.0", "orchestral, rock, ambient",
           "/usr/share/games/ardentryst/Music/*.ogg"),
    Source("openclonk-data", "ISC / CC-BY-3.0 / CC0-1.0 (per file, see the package)",
           "electronic, orchestral, ambient", "/usr/share/games/openclonk/Music.ocg/*.ogg"),
    Source("xmoto-data", "GPL-2+", "rock, electronic",
           "/usr/share/games/xmoto/Textures/Musics/*.ogg"),
    Source("freeorion-data", "GPL-2", "orchestral, ambient",
           "/usr/share/games/freeorion/default/data/sound/*.ogg"),
    Source("neverball-common", "GPL-2+", "game music (electronic, pop)",
           "/usr/share/games/neverball/bgm/*.ogg"),
    Source("extremetuxracer-data", "GPL-2+", "game music (rock, electronic)",
           "/usr/share/games/etr/music/*.ogg"),
    Source("lincity-ng-data", "GPL-2+", "electronic, blues, ambient",
           "/usr/share/games/lincity-ng/music/**/*.ogg"),
    Source("warmux-data", "GPL-2+", "game music (jazz, rock, classical)",
           "/usr/share/games/warmux/music/**/*.ogg"),
    Source("fretsonfire-songs-muldjord", "CC-BY-SA-3.0 (El Senator, Muldjord)",
           "metal band with vocals (stems mixed)",
           "/usr/share/games/fretsonfire/data/songs/muldjord/*", stems=True),
    Source("fretsonfire-songs-sectoid", "Expat (Carlos Viola Iborra, Sectoid)",
           "rock, metal band (stems mixed)",
           "/usr/share/games/fretsonfire/data/songs/sectoid/*", stems=True),
    Source("hydrogen-drumkits-effects", "CC-BY-3.0 (Gabriel Verdugo Soto, belofilms)",
           "acoustic guitar strums (samples)",
           "/usr/share/hydrogen/data/drumkits/belofilms_GuitarStrums/*.flac", min_seconds=0.0),
    Source("hydrogen-data", "GPL-2+", "drum kit samples (GMRockKit)",
           "/usr/share/hydrogen/data/drumkits/GMRockKit/*.wav", min_seconds=0.0),
    Source("lmms-common", "GPL-2+", "drum samples and loops (acoustic and electronic)",
           "/usr/share/lmms/samples/drums/*.ogg", min_seconds=0.0),
    Source("lmms-common", "GPL-2+", "drum breaks and loops",
           "/usr/share/lmms/samples/beats/*.ogg", min_seconds=0.0),
    Source("lmms-common", "GPL-2+", "instrument samples (piano, organ, strings, guitar, brass)",
           "/usr/share/lmms/samples/instruments/*.ogg", min_seconds=0.0),
    Source("lmms-common", "GPL-2+", "latin guitar and brass samples",
           "/usr/share/lmms/samples/latin/*.ogg", min_seconds=0.0),
    Source("drascula-music", "Drascula-License (BSD-like, see the package)",
           "game soundtrack", "/usr/share/scummvm/drascula/audio/*.ogg"),
    Source("colobot-common-sounds", "GPL-3+", "game soundtrack",
           "/usr/share/games/colobot/music/*.ogg"),
    Source("flare-game", "CC-BY-SA-3.0+", "game soundtrack",
           "/usr/share/games/flare/mods/*/music/*.ogg"),
    Source("scorched3d-data", "GPL-2+", "game soundtrack",
           "/usr/share/games/scorched3d/data/globalmods/none/data/music/*.ogg"),
    Source("starfighter-data", "GPL-2+ (see the package)",
           "game soundtrack", "/usr/share/starfighter/music/*.ogg"),
    Source("lordsawar-data", "GPL-3+", "game soundtrack", "/usr/share/games/lordsawar/music/*.ogg"),
    Source("pushover-data", "GPL-3+", "game soundtrack", "/usr/share/pushover/themes/*.ogg"),
    # c64revival.ogg has a licence of its own; the glob leaves out every file starting with c.
    Source("trackballs-data", "GPL-2+", "game soundtrack",
           "/usr/share/games/trackballs/music/[!c]*.ogg"),
    Source("torcs-data", "GPL-2+", "game soundtrack", "/usr/share/games/torcs/data/music/*.ogg"),
    Source("caveexpress-data", "GPL-3+", "game soundtrack",
           "/usr/share/games/caveexpress/sounds/music-*.ogg"),
    Source("zaz-data", "CC-BY-SA-3.0", "game soundtrack", "/usr/share/games/zaz/mus*.ogg"),
    Source("frozen-bubble-data", "GPL-2", "game soundtrack",
           "/usr/share/games/frozen-bubble/snd/*.ogg"),
    Source("pathological", "GPL-2+", "game soundtrack", "/usr/share/games/pathological/music/*.ogg"),
    Source("tuxmath-data", "CC-BY-SA-3.0 / public domain (per file, see the package)",
           "game soundtrack",
           "/usr/share/tuxmath/sounds/*.ogg"),
    Source("freeciv-data", "GPL-2+", "game soundtrack", "/usr/share/games/freeciv/stdmusic/*.ogg"),
    Source("gunroar-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/gunroar/sounds/musics/*.ogg"),
    Source("mu-cade-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/mu-cade/sounds/musics/*.ogg"),
    Source("titanion-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/titanion/sounds/musics/*.ogg"),
    Source("torus-trooper-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/torus-trooper/sounds/musics/*.ogg"),
    Source("parsec47-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/parsec47/sounds/*.ogg"),
    Source("rrootage-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/rrootage/sounds/*.ogg"),
    Source("noiz2sa-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/noiz2sa/sounds/*.ogg"),
    Source("tumiki-fighters-data", "BSD-2-Clause (Kenta Cho)", "electronic (arcade soundtrack)",
           "/usr/share/games/tumiki-fighters/sounds/*.ogg"),
)
"""The packages of the corpus (installed with apt by `cargo xtask corpus`); a package whose
music lies in several folders of different kinds has one source for each."""


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
    Excerpt("vocals_armygeddon", "fretsonfire-songs-muldjord",
            "/usr/share/games/fretsonfire/data/songs/muldjord/armygeddon",
            "metal band with vocals (stems mixed)",
            "CC-BY-SA-3.0 (El Senator, Muldjord)"),
    Excerpt("vocals_mutilated_mime", "fretsonfire-songs-muldjord",
            "/usr/share/games/fretsonfire/data/songs/muldjord/mutilated_mime",
            "metal band with vocals (stems mixed)",
            "CC-BY-SA-3.0 (El Senator, Muldjord)"),
    Excerpt("band_war_of_freedom", "fretsonfire-songs-sectoid",
            "/usr/share/games/fretsonfire/data/songs/sectoid/War of freedom",
            "rock, metal band (stems mixed)", "Expat (Carlos Viola Iborra, Sectoid)"),
)
"""The test split: one excerpt from each of these pieces, none of which trains or validates."""


EXPAT_NOTICES = {
    "fretsonfire-songs-sectoid": (
        "The songs, performances and fret files are all Copyright (c) 2006/2007 Carlos Viola "
        "Iborra <karuritosu@gmail.com>\n\n"
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
        "software and associated documentation files (the \"Software\"), to deal in the "
        "Software without restriction, including without limitation the rights to use, copy, "
        "modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and "
        "to permit persons to whom the Software is furnished to do so, subject to the following "
        "conditions:\n\n"
        "The above copyright notice and this permission notice shall be included in all copies "
        "or substantial portions of the Software.\n\n"
        "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, "
        "INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A "
        "PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT "
        "HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF "
        "CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR "
        "THE USE OR OTHER DEALINGS IN THE SOFTWARE."),
}
"""The copyright and permission notice of each package of Expat (MIT) music, from its copyright
file: the licence asks that it travel with every copy, so the excerpts' README carries it."""


@dataclasses.dataclass
class Piece:
    """One piece of music found in a package."""

    source: Source
    """Its package."""
    path: str
    """A file path, `archive.zip:member`, or a song folder (for a source of stems)."""

    def read(self) -> tuple[np.ndarray, int]:
        """The piece as float32 `[samples, channels]` and its sample rate."""
        if self.source.stems:
            return read_stems(self.path)
        archive, _, member = self.path.partition(":")
        if member and archive.lower().endswith(ARCHIVE_SUFFIXES):
            with zipfile.ZipFile(archive) as zf:
                data, rate = sf.read(io.BytesIO(zf.read(member)), dtype="float32",
                                     always_2d=True)
        else:
            data, rate = sf.read(self.path, dtype="float32", always_2d=True)
        return data, rate

    def seconds(self) -> float:
        """The piece's length from its file headers (the longest stem's, for stems); infinite
        when a header cannot be read, so that the reading itself reports the file."""
        if self.source.stems:
            paths = [path for path in glob.glob(os.path.join(glob.escape(self.path), "*"))
                     if path.lower().endswith(AUDIO_SUFFIXES)]
        else:
            paths = [self.path]
        try:
            return max(map(header_seconds, paths), default=float("inf"))
        except (RuntimeError, sf.LibsndfileError):
            return float("inf")


def header_seconds(path: str) -> float:
    """The length of a file or `archive.zip:member` from its header."""
    archive, _, member = path.partition(":")
    if member and archive.lower().endswith(ARCHIVE_SUFFIXES):
        with zipfile.ZipFile(archive) as zf:
            return sf.info(io.BytesIO(zf.read(member))).duration
    return sf.info(path).duration


def read_stems(folder: str) -> tuple[np.ndarray, int]:
    """The song of a folder of stems: the sum of its audio files, padded to the longest, scaled
    down as a whole to `MIX_PEAK` where it would clip, and its sample rate."""
    stems = [sf.read(path, dtype="float32", always_2d=True)
             for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*")))
             if path.lower().endswith(AUDIO_SUFFIXES)]
    rates = {rate for _, rate in stems}
    if not stems:
        raise RuntimeError("no stems in the folder")
    if len(rates) != 1:
        raise RuntimeError(f"stems at different rates {sorted(rates)}")
    channels = max(data.shape[1] for data, _ in stems)
    mix = np.zeros((max(len(data) for data, _ in stems), channels), dtype=np.float32)
    for data, _ in stems:
        mix[:len(data)] += data if data.shape[1] == channels else np.repeat(data, channels, 1)
    peak = float(np.abs(mix).max())
    if peak > MIX_PEAK:
        mix *= MIX_PEAK / peak
    return mix, rates.pop()


def installed_paths(package: str) -> set[str]:
    """The files and folders that `package` installed (dpkg's list), so that a glob over a
    folder two packages share (Hydrogen's drum kits) takes only this package's pieces."""
    listing = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True)
    return set(listing.stdout.splitlines())


def find_pieces() -> list[Piece]:
    """Every piece of every installed source package, in a stable order: the files (archive
    members, stem folders) of each source that its package installed and that last at least
    the source's `min_seconds`."""
    return [piece for source in SOURCES for piece in source_pieces(source)
            if source.min_seconds <= 0 or piece.seconds() >= source.min_seconds]


def source_pieces(source: Source) -> list[Piece]:
    """The pieces of one source, of any length."""
    pieces = []
    assert not any(r in source.package for r in RESERVED), source.package
    owned = installed_paths(source.package)
    for path in sorted(glob.glob(source.pattern, recursive=True)):
        if path not in owned:
            continue
        if source.stems:
            if os.path.isdir(path):
                pieces.append(Piece(source, path))
        elif path.lower().endswith(ARCHIVE_SUFFIXES):
            with zipfile.ZipFile(path) as zf:
                members = sorted(n for n in zf.namelist()
                                 if n.lower().endswith(AUDIO_SUFFIXES)
                                 and fnmatch.fnmatch(n, source.members))
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
        "here under the same licence, CC-BY-SA-3.0 music with the attribution above, Expat "
        "(MIT) music with its copyright and permission notice (below), and CC0 samples need "
        "none. A song that its package keeps as stems (Frets on Fire's `song.ogg` and "
        "`guitar.ogg`) is excerpted from their sum, its full mix.",
        "",
    ]
    for package in sorted({e["package"] for e in entries} & EXPAT_NOTICES.keys()):
        lines += [f"The notice of `{package}`:", ""]
        lines += ["> " + line if line else ">" for line in EXPAT_NOTICES[package].split("\n")]
        lines.append("")
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
