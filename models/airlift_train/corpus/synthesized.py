"""Music synthesized here: generated MIDI pieces rendered by fluidsynth with the General MIDI
soundfont. Training and validation use disjoint seed ranges, so they share no piece and no
random stream."""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from .midi import generate_piece

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SAMPLE_RATE_HZ = 48_000

# Seed ranges of the two splits: no seed is shared, so neither pieces nor level choices are.
TRAIN_SEED_BASE = 10_000
VALIDATION_SEED_BASE = 900_000


def check_tools():
    """Fails with one readable line when fluidsynth or the soundfont is missing."""
    if not SOUNDFONT.is_file():
        raise SystemExit(f"{SOUNDFONT} is missing: install Debian's fluid-soundfont-gm")
    try:
        subprocess.run(["fluidsynth", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit("fluidsynth is missing: install Debian's fluidsynth")


def render_piece(seed: int, seconds: float) -> np.ndarray:
    """Renders the piece of `seed` to mono float32 at 48 kHz, trimmed to `seconds`, at a level
    drawn from the same seed (RMS between -32 and -14 dBFS, peak at most -0.5 dBFS)."""
    with tempfile.TemporaryDirectory() as tmp:
        midi = Path(tmp) / "piece.mid"
        wav = Path(tmp) / "piece.wav"
        midi.write_bytes(generate_piece(seed, seconds))
        subprocess.run(
            ["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(SAMPLE_RATE_HZ), "-F", str(wav),
             str(SOUNDFONT), str(midi)],
            capture_output=True, check=True,
        )
        audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE_HZ
    mono = audio.mean(axis=1)[: int(seconds * SAMPLE_RATE_HZ)]
    rng = np.random.default_rng(seed + 1)
    rms = float(np.sqrt(np.mean(mono**2)) + 1e-12)
    gain = 10 ** (rng.uniform(-32, -14) / 20) / rms
    gain = min(gain, 10 ** (-0.5 / 20) / (np.max(np.abs(mono)) + 1e-12))
    return (mono * gain).astype(np.float32)


def render_split(cache: Path, name: str, seed_base: int, count: int, seconds: float):
    """Renders (or reuses from `cache`) `count` pieces of a split; returns their arrays."""
    cache.mkdir(parents=True, exist_ok=True)
    pieces = []
    for i in range(count):
        path = cache / f"{name}_{i:03d}.flac"
        if not path.is_file():
            soundfile.write(path, render_piece(seed_base + 7 * i, seconds), SAMPLE_RATE_HZ)
        audio, _ = soundfile.read(path, dtype="float32")
        pieces.append(audio)
    return pieces
