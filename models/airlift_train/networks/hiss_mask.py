"""The hiss mask: a small network that tells a worn disc's hiss from the music, band by band and
frame by frame, from the statistics the engine's hiss reducer already keeps.

The reducer (`plugin/src/dsp/denoise/hiss.rs`) tracks a noise floor per bin by minimum
statistics, in plain DSP. It used to turn each bin down by a Wiener gain against that floor; a
Wiener gain knows one bin's level against one floor, cannot tell music that sits a few dB over
the hiss from a hiss that swells, and took some music with the noise. The mask reads more at
once:
- features, at `BANDS` log-spaced bands from `LOWEST_HZ` to `HIGHEST_HZ` (`band_layout`):
  the band's power in this frame and the two before against the reducer's floor, the
  reducer's smoothed power against the floor, and the floor against the loudest level heard
  (is the floor audible at all), each in dB, clamped and scaled (`frame_features`); and how
  the band's level moves over about a fifth of a second, its slow mean and mean deviation
  (`level_movement`): steady hiss holds its level, music moves;
- a multilayer perceptron (`training.hiss_mask_train.HissMaskNet`, two hidden layers of
  `HIDDEN` with ReLU, sigmoid out) gives each band's gain, from 0 to 1;
- the engine spreads the band gains over the bins (linear in log-frequency between band
  centres, held beyond the ends) and never turns a bin further down than the Denoise amount
  allows.

This module holds the band layout, a numpy replay of the reducer's floor
(`reducer_statistics`) and the features, with numpy only (the test venv has no PyTorch); the
engine computes the same in Rust, and the exported reference (`models/hiss_mask.reference.json`)
lets the Rust tests check both against each other.
"""

from __future__ import annotations

import numpy as np

from . import bands

# The reducer's constants (`plugin/src/dsp/denoise/hiss.rs`).
POWER_SMOOTHING = 0.9
SETTLE_FRAMES = 10
FLOOR_SECONDS = 3.0
SUB_WINDOWS = 6
MINIMUM_BIAS = 2.1
FLOOR_NEIGHBOURHOOD_OCTAVES = 0.5
FLOOR_SMOOTHING_BINS = 2
WARM_UP_SECONDS = 0.5
HISS_FROM_HZ = 500.0

# The mask's bands: centres evenly spaced in log-frequency.
BANDS = 32
LOWEST_HZ = 500.0
HIGHEST_HZ = 20000.0
# Frames of band levels read: this one and the ones before.
CONTEXT_FRAMES = 3
# The one-pole smoothing, per frame, of each band's level feature into its slow mean and its
# mean absolute deviation from it (about a fifth of a second): steady hiss holds its level,
# music moves.
LEVEL_SMOOTHING = 0.95
# Features per band: the levels of `CONTEXT_FRAMES` frames, the smoothed level, the floor's
# audibility, the level's slow mean and its deviation.
FEATURES_PER_BAND = CONTEXT_FRAMES + 4
# Levels against the floor are clamped to this range (dB); the floor against the loudest level
# heard to `AUDIBILITY_RANGE_DB`; both are divided by `FEATURE_SCALE_DB`.
LEVEL_RANGE_DB = (-20.0, 60.0)
AUDIBILITY_RANGE_DB = (-100.0, 0.0)
FEATURE_SCALE_DB = 20.0
# Hidden units per layer.
HIDDEN = 96
# Power under which a band counts as silent (the engine's FFT scale).
SILENT_POWER = 1e-20


def band_centres_bin(rate: float, fft_size: int = bands.N_FFT) -> np.ndarray:
    """[BANDS]: the band centres in bins of the engine's FFT at `rate`."""
    return np.geomspace(LOWEST_HZ, HIGHEST_HZ, BANDS) / (rate / fft_size)


def band_layout(rate: float, fft_size: int = bands.N_FFT):
    """The bands in bins: (first bin, weights) per band, each band a triangle from the centre
    below to the centre above (half as wide again beyond the ends), its weights normalized to
    sum to 1; and `[bins]` the expansion from band gains back to bins: (lower band, weight of
    the upper band), linear in log-frequency between centres, held beyond the ends."""
    bins = fft_size // 2 + 1
    centres = band_centres_bin(rate, fft_size)
    ratio = centres[1] / centres[0]
    pooling = []
    for b, c in enumerate(centres):
        lower = centres[b - 1] if b > 0 else c / ratio
        upper = centres[b + 1] if b + 1 < BANDS else c * ratio
        first = int(np.ceil(lower))
        last = min(int(np.floor(upper)), bins - 1)
        k = np.arange(first, last + 1, dtype=np.float64)
        w = np.where(k <= c, (k - lower) / (c - lower), (upper - k) / (upper - c))
        w = np.clip(w, 0.0, None)
        if w.sum() <= 0:
            w = np.ones_like(k)
        pooling.append((first, (w / w.sum()).astype(np.float32)))
    log_centres = np.log2(centres)
    expansion = []
    for k in range(bins):
        x = np.log2(max(k, 0.5))
        j = int(np.searchsorted(log_centres, x))
        if j == 0:
            expansion.append((0, 0.0))
        elif j >= BANDS:
            expansion.append((BANDS - 2, 1.0))
        else:
            t = (x - log_centres[j - 1]) / (log_centres[j] - log_centres[j - 1])
            expansion.append((j - 1, float(t)))
    return pooling, expansion


def pool(power: np.ndarray, pooling) -> np.ndarray:
    """`power` `[frames, bins]` as `[frames, BANDS]` band powers."""
    return np.stack([power[:, first:first + len(w)] @ w for first, w in pooling], axis=1)


def expand(gains: np.ndarray, expansion) -> np.ndarray:
    """Band gains `[..., BANDS]` as bin gains `[..., bins]`."""
    lower = np.array([e[0] for e in expansion])
    t = np.array([e[1] for e in expansion], dtype=np.float32)
    return gains[..., lower] * (1 - t) + gains[..., lower + 1] * t


def reducer_statistics(power: np.ndarray, rate: float):
    """The reducer's state after hearing each frame of `power` `[frames, bins]` (float32, as
    the engine): the floor per bin `[frames, bins]`, the smoothed power `[frames, bins]` and
    the loudest smoothed bin heard `[frames]`, replayed from `hiss.rs`'s `track`."""
    frames, bins = power.shape
    power = power.astype(np.float32)
    frames_per_second = rate / bands.HOP
    sub_window = max(int(round(FLOOR_SECONDS * frames_per_second)) // SUB_WINDOWS, 1)
    smoothed = np.empty_like(power)
    raw = np.empty_like(power)
    current = np.full(bins, np.finfo(np.float32).max, np.float32)
    past = np.full((SUB_WINDOWS, bins), np.finfo(np.float32).max, np.float32)
    past_floor = np.full(bins, np.finfo(np.float32).max, np.float32)
    level = power[0].copy()
    slot = 0
    a, b = np.float32(POWER_SMOOTHING), np.float32(1 - POWER_SMOOTHING)
    for t in range(frames):
        if t > 0:
            level = a * level + b * power[t]
        smoothed[t] = level
        settled = t >= SETTLE_FRAMES
        if settled:
            current = np.minimum(current, level)
        if (t + 1) % sub_window == 0:
            past[slot] = current
            current = np.full(bins, np.finfo(np.float32).max, np.float32)
            slot = (slot + 1) % SUB_WINDOWS
            past_floor = past.min(axis=0)
        lowest = np.minimum(np.minimum(level, current), past_floor) if settled else level
        raw[t] = np.float32(MINIMUM_BIAS) * lowest
    peak = np.maximum.accumulate(smoothed.max(axis=1))
    reach = 2 ** FLOOR_NEIGHBOURHOOD_OCTAVES
    envelope = np.empty_like(raw)
    for k in range(bins):
        low = int(np.floor(k / reach))
        high = min(max(int(np.ceil(k * reach)) + 1, k + 1), bins)
        envelope[:, k] = raw[:, low:high].min(axis=1)
    cumulative = np.concatenate([np.zeros((frames, 1)), np.cumsum(envelope, axis=1,
                                                                  dtype=np.float64)], axis=1)
    k = np.arange(bins)
    low = np.maximum(k - FLOOR_SMOOTHING_BINS, 0)
    high = np.minimum(k + FLOOR_SMOOTHING_BINS + 1, bins)
    floor = ((cumulative[:, high] - cumulative[:, low]) / (high - low)).astype(np.float32)
    return floor, smoothed, peak


def warm_up_frames(rate: float) -> int:
    """Frames the reducer hears before it trusts its floor."""
    return int(np.ceil(WARM_UP_SECONDS * rate / bands.HOP))


def db_feature(ratio: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """A power ratio as a feature: in dB, clamped to `limits`, over `FEATURE_SCALE_DB`."""
    return np.clip(10 * np.log10(np.maximum(ratio, 1e-30)), *limits) / FEATURE_SCALE_DB


def frame_features(power: np.ndarray, rate: float, layout=None) -> np.ndarray:
    """The mask's input for every frame of one channel's `power` `[frames, bins]`:
    `[frames, BANDS * FEATURES_PER_BAND]`, band-major (each band's features together). Frame t
    is judged against the reducer's state after frame t-1, as the engine turns a frame down
    before its floor hears it; frames before the first (and the first, with no floor yet) read
    as silent bands."""
    pooling, _ = layout or band_layout(rate)
    frames = len(power)
    floor, smoothed, peak = reducer_statistics(power, rate)
    band_power = pool(power.astype(np.float32), pooling)
    band_floor = np.zeros_like(band_power)
    band_smoothed = np.zeros_like(band_power)
    band_peak = np.zeros(frames, np.float32)
    band_floor[1:] = pool(floor[:-1], pooling)
    band_smoothed[1:] = pool(smoothed[:-1], pooling)
    band_peak[1:] = peak[:-1]
    return features_of(band_power, band_floor, band_smoothed, band_peak)


def features_of(band_power, band_floor, band_smoothed, peak) -> np.ndarray:
    """Features from band powers, floors and smoothed powers `[frames, BANDS]` and the loudest
    level heard `[frames]` (the frame's own power and the reducer's state before it)."""
    frames = len(band_power)
    live = band_floor > SILENT_POWER
    level = np.where(live & (band_power > SILENT_POWER),
                     db_feature(band_power / np.maximum(band_floor, 1e-30), LEVEL_RANGE_DB),
                     LEVEL_RANGE_DB[0] / FEATURE_SCALE_DB)
    context = [level]
    for back in range(1, CONTEXT_FRAMES):
        shifted = np.full_like(level, LEVEL_RANGE_DB[0] / FEATURE_SCALE_DB)
        shifted[back:] = level[:-back]
        context.append(shifted)
    smoothed = np.where(live & (band_smoothed > SILENT_POWER),
                        db_feature(band_smoothed / np.maximum(band_floor, 1e-30),
                                   LEVEL_RANGE_DB),
                        LEVEL_RANGE_DB[0] / FEATURE_SCALE_DB)
    audibility = np.where(live, db_feature(band_floor / np.maximum(peak, 1e-30)[:, None],
                                           AUDIBILITY_RANGE_DB),
                          AUDIBILITY_RANGE_DB[0] / FEATURE_SCALE_DB)
    mean, deviation = level_movement(level.astype(np.float32))
    stacked = np.stack(context + [smoothed, audibility, mean, deviation], axis=2)
    return stacked.reshape(frames, BANDS * FEATURES_PER_BAND).astype(np.float32)


def level_movement(level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each band's slow mean of its level feature and the mean absolute deviation of the level
    from the mean before it, both `[frames, BANDS]`, as one-pole averages (`LEVEL_SMOOTHING`)
    from a silent mean and no deviation."""
    s = np.float32(LEVEL_SMOOTHING)
    r = np.float32(1 - LEVEL_SMOOTHING)
    mean = np.full(level.shape[1], LEVEL_RANGE_DB[0] / FEATURE_SCALE_DB, np.float32)
    deviation = np.zeros(level.shape[1], np.float32)
    means, deviations = np.empty_like(level), np.empty_like(level)
    for t, now in enumerate(level):
        deviation = s * deviation + r * np.abs(now - mean)
        mean = s * mean + r * now
        means[t], deviations[t] = mean, deviation
    return means, deviations


def target_gains(noisy_power: np.ndarray, clean_power: np.ndarray, pooling) -> np.ndarray:
    """The band gains that take `noisy_power` to `clean_power` (both `[frames, bins]`), at most
    one: the square root of the band power ratio."""
    noisy = pool(noisy_power, pooling)
    clean = pool(clean_power, pooling)
    return np.sqrt(np.clip(clean / np.maximum(noisy, 1e-30), 0.0, 1.0)).astype(np.float32)
