"""The Spectral U-Net's view of a spectrum, without PyTorch: the engine's STFT and the
log-frequency bands the model reads and writes. The training examples, the scoring of where a
reference's content ends and the model itself share it, and the test suite checks it with
numpy alone.

Everything is in bin units (the engine's STFT keeps the bin width at every rate).
"""

import math

import numpy as np

N_FFT = 2048
HOP = 512
BINS = N_FFT // 2 + 1
LOG_FLOOR = 1e-9

# The log-frequency axis: BANDS centres from LOWEST_BIN (140 Hz at 48 kHz) to the last bin.
BANDS = 128
LOWEST_BIN = 6.0
HIGHEST_BIN = float(BINS - 1)

def band_centres() -> np.ndarray:
    """[BANDS]: the band centres in bins, evenly spaced in log-frequency."""
    return np.geomspace(LOWEST_BIN, HIGHEST_BIN, BANDS)


def pooling_matrix() -> np.ndarray:
    """[BINS, BANDS]: each band's weights over the bins (a triangle from the centre below to the
    centre above, at least one bin wide on each side), normalized to sum to 1."""
    centres = band_centres()
    k = np.arange(BINS, dtype=np.float64)
    matrix = np.zeros((BINS, BANDS))
    for b, c in enumerate(centres):
        lower = centres[b - 1] if b > 0 else c / (centres[1] / centres[0])
        upper = centres[b + 1] if b + 1 < BANDS else c * (centres[1] / centres[0])
        left = max(c - lower, 1.0)
        right = max(upper - c, 1.0)
        w = np.where(k <= c, 1 - (c - k) / left, 1 - (k - c) / right)
        matrix[:, b] = np.clip(w, 0, None)
        matrix[:, b] /= matrix[:, b].sum()
    return matrix.astype(np.float32)


def bins_per_band() -> np.ndarray:
    """[BANDS]: how many bins each band stands for (the spacing of the centres), the weight of a
    band's error in a per-bin log-spectral distance."""
    centres = band_centres()
    edges = np.sqrt(centres[:-1] * centres[1:])
    edges = np.concatenate([[centres[0] / np.sqrt(centres[1] / centres[0])], edges,
                            [float(BINS)]])
    return np.maximum(np.diff(edges), 1.0 / 8).astype(np.float32)


def expansion_matrix() -> np.ndarray:
    """[BANDS, BINS]: linear interpolation in log-frequency between band centres, held beyond
    the first and last centre."""
    centres = np.log2(band_centres())
    matrix = np.zeros((BANDS, BINS))
    for k in range(BINS):
        x = math.log2(max(k, 0.5))
        j = int(np.searchsorted(centres, x))
        if j == 0:
            matrix[0, k] = 1
        elif j >= BANDS:
            matrix[BANDS - 1, k] = 1
        else:
            t = (x - centres[j - 1]) / (centres[j] - centres[j - 1])
            matrix[j - 1, k] = 1 - t
            matrix[j, k] = t
    return matrix.astype(np.float32)


def window() -> np.ndarray:
    """[N_FFT]: the engine's analysis and synthesis window, a periodic Hann."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)


def stft(audio: np.ndarray) -> np.ndarray:
    """[frames, BINS] complex spectra of one channel with the engine's STFT (periodic Hann,
    unnormalized, a frame every HOP from the first sample, no padding), in float64."""
    x = np.asarray(audio, dtype=np.float64)
    if len(x) < N_FFT:
        return np.zeros((0, BINS), dtype=np.complex128)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    return np.fft.rfft(frames * window(), axis=1)


def stft_log_mag(audio: np.ndarray) -> np.ndarray:
    """[frames, BINS] float32 ln(|X| + LOG_FLOOR) of one channel with the engine's STFT."""
    return np.log(np.abs(stft(audio)) + LOG_FLOOR).astype(np.float32)


POOL = pooling_matrix()


def bands_of(audio: np.ndarray) -> np.ndarray:
    """[channels, frames, BANDS] float16 band log-magnitudes of `audio` [samples, channels]."""
    return np.stack([stft_log_mag(audio[:, c]) @ POOL
                     for c in range(audio.shape[1])]).astype(np.float16)
