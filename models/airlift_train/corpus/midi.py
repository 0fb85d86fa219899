"""Generated multi-instrument MIDI pieces: melody, chords, bass and drums over many General MIDI
programs, tempos, keys and velocities. Written as Standard MIDI Files with no dependency."""

import struct

import numpy as np

# General MIDI programs by role (0-based). Broad on purpose: pianos, organs, guitars, strings,
# brass, reeds, pipes, synth leads and pads.
MELODY_PROGRAMS = [0, 1, 4, 6, 11, 13, 16, 19, 24, 25, 26, 40, 41, 56, 57, 60, 64, 65, 66,
                   68, 71, 73, 74, 80, 81, 82, 85]
CHORD_PROGRAMS = [0, 2, 4, 5, 16, 18, 19, 24, 25, 27, 29, 30, 48, 49, 50, 52, 61, 88, 89, 90,
                  91, 92, 95]
BASS_PROGRAMS = [32, 33, 34, 35, 36, 37, 38, 39, 42, 43, 58, 70]
# GM percussion keys on channel 10: kick, snare, closed/open hat, ride, crash, toms, clap.
KICK, SNARE, CLOSED_HAT, OPEN_HAT, RIDE, CRASH, CLAP = 36, 38, 42, 46, 51, 49, 39
TOMS = [41, 45, 48]

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
TICKS_PER_BEAT = 480


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _track(events) -> bytes:
    """events: (tick, bytes) pairs in any order; returns an MTrk chunk."""
    data = bytearray()
    last = 0
    for tick, message in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80)):
        data += _varlen(tick - last) + message
        last = tick
    data += _varlen(0) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(data)) + bytes(data)


def _note(events, channel, tick, length, key, velocity):
    key = int(np.clip(key, 0, 127))
    velocity = int(np.clip(velocity, 1, 127))
    events.append((tick, bytes([0x90 | channel, key, velocity])))
    events.append((tick + max(1, length), bytes([0x80 | channel, key, 0])))


def generate_piece(seed: int, seconds: float) -> bytes:
    """A random piece of about `seconds`, fully determined by `seed`, as SMF bytes."""
    rng = np.random.default_rng(seed)
    bpm = float(rng.uniform(70, 160))
    beats = int(seconds * bpm / 60) + 1
    scale = MAJOR if rng.random() < 0.5 else MINOR
    tonic = int(rng.integers(0, 12))
    events = []
    tempo = int(60_000_000 / bpm)
    events.append((0, b"\xff\x51\x03" + tempo.to_bytes(3, "big")))
    parts = []
    # Each part is optional, so pieces range from a solo line to a full band.
    if rng.random() < 0.9:
        parts.append(("melody", 0, int(rng.choice(MELODY_PROGRAMS))))
    if rng.random() < 0.8:
        parts.append(("chords", 1, int(rng.choice(CHORD_PROGRAMS))))
    if rng.random() < 0.75:
        parts.append(("bass", 2, int(rng.choice(BASS_PROGRAMS))))
    if rng.random() < 0.3:
        parts.append(("melody", 3, int(rng.choice(MELODY_PROGRAMS))))
    drums = rng.random() < 0.65
    if not parts:
        parts.append(("melody", 0, int(rng.choice(MELODY_PROGRAMS))))
    progression = rng.choice([[0, 3, 4, 0], [0, 5, 3, 4], [0, 4, 5, 3], [5, 3, 0, 4],
                              [0, 1, 4, 0]])
    for role, channel, program in parts:
        events.append((0, bytes([0xC0 | channel, program])))
        events.append((0, bytes([0xB0 | channel, 7, int(rng.integers(80, 120))])))
        events.append((0, bytes([0xB0 | channel, 10, int(rng.integers(24, 104))])))
        base = {"melody": 60 + int(rng.integers(-5, 13)), "chords": 52, "bass": 36}[role]
        velocity = int(rng.integers(50, 115))
        tick = 0
        degree = 0
        while tick < beats * TICKS_PER_BEAT:
            bar = tick // (4 * TICKS_PER_BEAT)
            root = progression[bar % 4]
            if role == "melody":
                length = int(rng.choice([0.25, 0.5, 0.5, 1, 1, 1.5, 2]) * TICKS_PER_BEAT)
                degree = int(np.clip(degree + rng.integers(-2, 3), -7, 10))
                if rng.random() > 0.12:
                    key = base + tonic + 12 * (degree // 7) + scale[degree % 7]
                    _note(events, channel, tick, int(length * 0.9), key,
                          velocity + rng.integers(-15, 15))
            elif role == "chords":
                length = int(rng.choice([1, 2, 2, 4]) * TICKS_PER_BEAT)
                for step in (0, 2, 4):
                    d = root + step
                    key = base + tonic + 12 * (d // 7) + scale[d % 7]
                    _note(events, channel, tick, int(length * 0.95), key,
                          velocity - 10 + rng.integers(-8, 8))
            else:
                length = int(rng.choice([0.5, 1, 1, 2]) * TICKS_PER_BEAT)
                key = base + tonic + scale[root % 7] + (12 if rng.random() < 0.2 else 0)
                _note(events, channel, tick, int(length * 0.85), key,
                      velocity + rng.integers(-10, 10))
            tick += length
    if drums:
        style = rng.integers(0, 3)
        for beat in range(beats):
            tick = beat * TICKS_PER_BEAT
            eighth = TICKS_PER_BEAT // 2
            if beat % 2 == 0 or (style == 2):
                _note(events, 9, tick, eighth, KICK, rng.integers(90, 127))
            if beat % 2 == 1:
                _note(events, 9, tick, eighth, SNARE if style != 1 else CLAP,
                      rng.integers(80, 120))
            cymbal = RIDE if style == 1 else CLOSED_HAT
            for sub in range(2):
                hat = OPEN_HAT if rng.random() < 0.08 else cymbal
                _note(events, 9, tick + sub * eighth, eighth, hat, rng.integers(50, 100))
            if beat % 16 == 0:
                _note(events, 9, tick, TICKS_PER_BEAT, CRASH, rng.integers(80, 120))
            if beat % 8 == 7 and rng.random() < 0.5:
                _note(events, 9, tick + eighth, eighth, int(rng.choice(TOMS)),
                      rng.integers(80, 120))
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    return header + _track(events)
