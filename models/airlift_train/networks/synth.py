"""The harmonic-plus-noise synthesizer, in the STFT domain of the engine (periodic Hann
analysis and synthesis windows, `N_FFT` points, hop `HOP`, unnormalized real FFT). Everything
is in bin units, so the model runs unchanged at 44.1 and 48 kHz.

One frame's generated spectrum, for each source j (f0 `f0[j]` bins, fundamental phase `phi[j]`
cycles at the frame centre) and harmonic h (frequency `h * f0[j]`, peak magnitude `mag[j, h]`):

    X[k] += mag[j, h] * kernel(k - h * f0[j]) * (-1)^k * exp(2 pi i frac(h * phi[j]))

for the bins within `KERNEL_HALF_BINS` of the harmonic, where `kernel` is the Hann window's
transform normalized to 1 at 0. Between frames the phase advances by the mean of the old and
new f0 times HOP / N_FFT cycles. That is exactly the STFT of a sinusoid of amplitude
4 * mag / N_FFT, so the overlap-add turns the frames into continuous oscillators.

The noise adds `NOISE_SCALE * gain(k) * u[k]`, with `u` unit-power complex Gaussian noise drawn
anew each frame and `gain` interpolated from the band gains (`noise_gain_per_bin`). Frames of
independent noise overlap-add to a signal whose STFT power is a quarter of theirs, hence
`NOISE_SCALE = 2`: the band gains are the magnitudes the output measures.

The Rust synthesizer (plugin/src/dsp/ddsp.rs) implements the same; `export.py` (beside this
module, `write_synth_reference`) writes the controls and spectra its parity test checks.
"""

import math

import numpy as np
import torch

N_FFT = 2048
HOP = 512
BINS = N_FFT // 2 + 1
KERNEL_HALF_BINS = 4
NOISE_SCALE = 2.0

# The envelope grid of the outputs: band centres evenly spaced in log-frequency between these
# bins (750 Hz and 24 kHz at 48 kHz); values between centres are interpolated linearly in the
# log of the bin, and held beyond the ends.
ENVELOPE_LOWEST_BIN = 32.0
ENVELOPE_HIGHEST_BIN = 1024.0
ENVELOPE_BANDS = 24
ENVELOPE_STEP = math.log(ENVELOPE_HIGHEST_BIN / ENVELOPE_LOWEST_BIN) / (ENVELOPE_BANDS - 1)


def hann_kernel(delta: torch.Tensor) -> torch.Tensor:
    """The periodic Hann window's transform at `delta` bins from its centre, normalized to 1
    at 0 (the large-N form sinc(d) / (1 - d^2), exact at the bins that matter)."""
    d = delta.abs()
    near_one = (d - 1).abs() < 1e-4
    safe = torch.where(near_one, torch.full_like(d, 0.5), d)
    value = torch.sinc(safe) / (1 - safe**2)
    return torch.where(near_one, torch.full_like(d, 0.5), value)


def envelope_position(bins: torch.Tensor) -> torch.Tensor:
    """Position of frequencies (in bins) on the envelope grid, clamped to its ends."""
    pos = (torch.log(bins.clamp(min=1e-3)) - math.log(ENVELOPE_LOWEST_BIN)) / ENVELOPE_STEP
    return pos.clamp(0, ENVELOPE_BANDS - 1)


def envelope_at(envelope: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """Linear interpolation of `envelope` [..., ENVELOPE_BANDS] at `bins` [..., M] (the leading
    dimensions match)."""
    pos = envelope_position(bins)
    lower = torch.floor(pos).clamp(max=ENVELOPE_BANDS - 2)
    frac = pos - lower
    index = lower.long()
    below = torch.gather(envelope, -1, index)
    above = torch.gather(envelope, -1, index + 1)
    return below + (above - below) * frac


def noise_matrix() -> torch.Tensor:
    """[ENVELOPE_BANDS, BINS]: the interpolation of the band values at every bin."""
    bins = torch.arange(BINS, dtype=torch.float64)
    pos = envelope_position(bins)
    grid = torch.arange(ENVELOPE_BANDS, dtype=torch.float64)
    return torch.relu(1 - (pos.unsqueeze(-1) - grid).abs()).T.float()


NOISE_MATRIX = noise_matrix()


def noise_gain_per_bin(noise_log_mags: torch.Tensor) -> torch.Tensor:
    """Noise magnitude per bin [..., BINS] from the band log-magnitudes [..., ENVELOPE_BANDS]."""
    return torch.exp(noise_log_mags @ NOISE_MATRIX.to(noise_log_mags.dtype))


# The mean of the log of an exponentially distributed power is the log of its mean minus
# Euler's constant: a noise bin's typical (geometric-mean) power is exp(-0.5772) of its mean.
NOISE_GEOMETRIC_MEAN = math.exp(-0.5772156649)


def expected_power(f0: torch.Tensor, mags: torch.Tensor, noise_log_mags: torch.Tensor,
                   noise_weight: float = NOISE_GEOMETRIC_MEAN) -> torch.Tensor:
    """STFT power [..., BINS] of the generated frame, for training: the harmonics' kernels and
    the noise add in power (their cross terms average out over phases). By default the noise
    counts at its geometric mean, which is what a log-domain distance sees; `noise_weight=1`
    gives the mean power, for energies."""
    lead = mags.shape[:-2]
    harmonics = mags.shape[-1]
    h = torch.arange(1, harmonics + 1, dtype=f0.dtype, device=f0.device)
    freq = (f0.unsqueeze(-1) * h).reshape(*lead, -1)
    amp = mags.reshape(*lead, -1)
    offsets = torch.arange(-KERNEL_HALF_BINS + 1, KERNEL_HALF_BINS + 1, device=f0.device)
    base = torch.floor(freq).long().unsqueeze(-1) + offsets
    index = base.clamp(0, BINS - 1)
    valid = (base >= 0) & (base < BINS)
    contribution = (amp.unsqueeze(-1) * hann_kernel(base.to(f0.dtype) - freq.unsqueeze(-1)))**2
    contribution = contribution * valid
    power = torch.zeros(*lead, BINS, dtype=f0.dtype, device=f0.device)
    power = power.scatter_add(-1, index.reshape(*lead, -1), contribution.reshape(*lead, -1))
    return power + noise_weight * noise_gain_per_bin(noise_log_mags) ** 2


def harmonic_spectrum(f0: np.ndarray, phase_cycles: np.ndarray, mags: np.ndarray) -> np.ndarray:
    """The complex harmonic spectrum of one frame (float64 reference, for the parity test):
    `f0` [K] bins, `phase_cycles` [K] fundamental phases at the frame centre, `mags` [K, H]."""
    spectrum = np.zeros(BINS, dtype=np.complex128)
    for j in range(len(f0)):
        for h in range(mags.shape[1]):
            mag = mags[j, h]
            if mag == 0:
                continue
            freq = (h + 1) * f0[j]
            phase = math.fmod((h + 1) * phase_cycles[j], 1.0)
            rotor = np.exp(2j * np.pi * phase)
            first = math.floor(freq) - KERNEL_HALF_BINS + 1
            for k in range(first, first + 2 * KERNEL_HALF_BINS):
                if 0 <= k < BINS:
                    kernel = hann_kernel(torch.tensor(k - freq, dtype=torch.float64)).item()
                    sign = -1.0 if k % 2 else 1.0
                    spectrum[k] += mag * kernel * sign * rotor
    return spectrum


def advance_phase(phase_cycles: np.ndarray, previous_f0: np.ndarray, f0: np.ndarray):
    """The fundamental phases one hop later, wrapped to [0, 1)."""
    return np.mod(phase_cycles + HOP / N_FFT * 0.5 * (previous_f0 + f0), 1.0)
