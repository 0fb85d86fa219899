//! Spectral band replication: the plain-DSP high band that every learned model must beat.
//!
//! The last octave below the crossfade ramp is copied upward in patches whose shift is a
//! multiple of [`super::stft::OVERLAP`] bins, so a copied sinusoid keeps a consistent phase
//! advance from frame to frame (it becomes a clean frequency shift, not a warble). Each copied
//! bin is tilted by the spectral slope fitted to that octave, continuing the envelope past the
//! cutoff.

use realfft::num_complex::Complex;

use super::stft::{StftLayout, OVERLAP};

/// Width of the crossfade ramp below the cutoff, in octaves (a semitone).
pub const RAMP_OCTAVES: f32 = 1.0 / 12.0;

/// The ramp is never narrower than this many bins, so it stays a ramp at low cutoffs.
pub const MIN_RAMP_BINS: usize = 4;

/// Nothing is generated above this frequency: the audible band ends around 20 kHz, and
/// ultrasonic energy at high sample rates would only cost headroom.
pub const MAX_GENERATED_HZ: f32 = 24_000.0;

/// Width of the fade at the top of the generated band, in octaves.
pub const TOP_FADE_OCTAVES: f32 = 1.0 / 24.0;

/// Steepest and flattest slopes (dB per octave) the envelope may continue with. A flat or
/// rising fit would make the new band brighter than the music below it.
pub const SLOPE_LIMITS_DB_PER_OCTAVE: (f32, f32) = (-24.0, 0.0);

/// Number of sub-bands of the source octave that the slope is fitted over.
const SLOPE_BANDS: usize = 4;

/// Where the replaced band lies in bins for one cutoff. Reconfigured in place only when the
/// cutoff moves.
#[derive(Debug, Clone)]
pub struct BandLayout {
    /// The cutoff this layout was made for.
    pub cutoff_hz: f32,
    /// First bin of the crossfade ramp; every bin below it is left untouched.
    pub ramp_start_bin: usize,
    /// First bin that is fully replaced by the generated band.
    pub cutoff_bin: usize,
    /// One past the last bin that is (partly) replaced.
    pub end_bin: usize,
    /// Width of the copied source octave in bins (a multiple of `OVERLAP`).
    pub patch_bins: usize,
    /// Per bin: how much of the generated band replaces the input (0 below the ramp, 1 above
    /// the cutoff, fading out at the top of the band).
    pub replace_weight: Vec<f32>,
    /// Per bin: the source bin its content is copied from (meaningful from `ramp_start_bin`).
    pub source_bin: Vec<usize>,
    /// Per bin: how many octaves above its source bin it lies, for the envelope tilt.
    pub shift_octaves: Vec<f32>,
}

impl BandLayout {
    /// An empty layout with its per-bin tables sized for `layout`, so that
    /// [`BandLayout::configure`] never allocates.
    pub fn with_capacity(layout: &StftLayout) -> Self {
        let num_bins = layout.num_bins();
        Self {
            cutoff_hz: 0.0,
            ramp_start_bin: 0,
            cutoff_bin: 0,
            end_bin: 0,
            patch_bins: 0,
            replace_weight: vec![0.0; num_bins],
            source_bin: vec![0; num_bins],
            shift_octaves: vec![0.0; num_bins],
        }
    }

    /// Lays the band out for `cutoff_hz` in place. Returns `false` (and leaves nothing to
    /// replace) when nothing can be generated: the cutoff is at or above the top of the
    /// generated band, or too low to have an octave below it. No allocation.
    pub fn configure(&mut self, layout: &StftLayout, cutoff_hz: f32) -> bool {
        let bin_hz = layout.bin_hz();
        let num_bins = layout.num_bins();
        debug_assert_eq!(self.replace_weight.len(), num_bins);
        self.cutoff_hz = cutoff_hz;
        self.replace_weight.fill(0.0);
        self.end_bin = 0;
        let top_hz = MAX_GENERATED_HZ.min(layout.nyquist_hz());
        // The Nyquist bin is never replaced: it must stay real for the inverse transform.
        let end_bin = ((top_hz / bin_hz).floor() as usize).min(num_bins - 1);
        let cutoff_bin = (cutoff_hz / bin_hz).round() as usize;
        let fade_bins = ((end_bin as f32) * (1.0 - (-TOP_FADE_OCTAVES).exp2())).ceil() as usize;
        if cutoff_bin + fade_bins.max(1) >= end_bin {
            return false;
        }
        let ramp_from_octaves = (cutoff_hz * (-RAMP_OCTAVES).exp2() / bin_hz).round() as usize;
        let ramp_start_bin = ramp_from_octaves.min(cutoff_bin.saturating_sub(MIN_RAMP_BINS));
        let patch_bins = (ramp_start_bin / 2) / OVERLAP * OVERLAP;
        if patch_bins < 2 * OVERLAP.max(SLOPE_BANDS) {
            return false;
        }

        let ramp_len = (cutoff_bin - ramp_start_bin + 1) as f32;
        let fade_start = end_bin - fade_bins;
        for k in ramp_start_bin..end_bin {
            let ramp = if k < cutoff_bin {
                let x = (k - ramp_start_bin + 1) as f32 / ramp_len;
                0.5 - 0.5 * (std::f32::consts::PI * x).cos()
            } else {
                1.0
            };
            let fade = if k >= fade_start {
                let x = (end_bin - k) as f32 / (fade_bins + 1) as f32;
                0.5 - 0.5 * (std::f32::consts::PI * x).cos()
            } else {
                1.0
            };
            self.replace_weight[k] = ramp * fade;
            let source = ramp_start_bin - patch_bins + (k - ramp_start_bin) % patch_bins;
            self.source_bin[k] = source;
            self.shift_octaves[k] = (k as f32 / source as f32).log2();
        }
        self.ramp_start_bin = ramp_start_bin;
        self.cutoff_bin = cutoff_bin;
        self.end_bin = end_bin;
        self.patch_bins = patch_bins;
        true
    }

    /// First bin of the source octave.
    pub fn source_start_bin(&self) -> usize {
        self.ramp_start_bin - self.patch_bins
    }
}

/// Fits the slope in dB per octave of the source octave's power, over [`SLOPE_BANDS`]
/// sub-bands, clamped to [`SLOPE_LIMITS_DB_PER_OCTAVE`]. Returns `None` when the source is
/// silent, so that silence generates nothing.
pub fn source_slope_db_per_octave(spectrum: &[Complex<f32>], band: &BandLayout) -> Option<f32> {
    let start = band.source_start_bin();
    let width = band.patch_bins / SLOPE_BANDS;
    let mut sum_x = 0.0f32;
    let mut sum_y = 0.0f32;
    let mut sum_xx = 0.0f32;
    let mut sum_xy = 0.0f32;
    let mut total_power = 0.0f32;
    for b in 0..SLOPE_BANDS {
        let lo = start + b * width;
        let power: f32 = spectrum[lo..lo + width].iter().map(|c| c.norm_sqr()).sum();
        total_power += power;
        let x = (lo as f32 + width as f32 / 2.0).log2();
        let y = 10.0 * (power / width as f32 + 1e-30).log10();
        sum_x += x;
        sum_y += y;
        sum_xx += x * x;
        sum_xy += x * y;
    }
    if total_power <= 0.0 || !total_power.is_finite() {
        return None;
    }
    let n = SLOPE_BANDS as f32;
    let slope = (n * sum_xy - sum_x * sum_y) / (n * sum_xx - sum_x * sum_x);
    let (lo, hi) = SLOPE_LIMITS_DB_PER_OCTAVE;
    Some(if slope.is_finite() {
        slope.clamp(lo, hi)
    } else {
        lo
    })
}

/// Writes the SBR band for one frame into `generated`: every bin from the ramp to the top of the
/// band is its source bin, tilted by the source octave's slope; every other bin is zero. The
/// band joins the input through [`super::fill::write_fill_correction`].
pub fn write_generated(input: &[Complex<f32>], band: &BandLayout, generated: &mut [Complex<f32>]) {
    generated.fill(Complex::new(0.0, 0.0));
    let Some(slope_db) = source_slope_db_per_octave(input, band) else {
        return;
    };
    // Amplitude factor per octave of shift, as a natural-log exponent.
    let slope_ln = slope_db * std::f32::consts::LN_10 / 20.0;
    for k in band.ramp_start_bin..band.end_bin {
        let gain = (slope_ln * band.shift_octaves[k]).exp();
        generated[k] = input[band.source_bin[k]] * gain;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> StftLayout {
        StftLayout::for_sample_rate(48_000.0)
    }

    fn configured(cutoff_hz: f32) -> Option<BandLayout> {
        let mut band = BandLayout::with_capacity(&layout());
        band.configure(&layout(), cutoff_hz).then_some(band)
    }

    #[test]
    fn band_layout_leaves_low_band_alone_and_shifts_by_whole_hops() {
        let band = configured(8000.0).unwrap();
        assert!(band.replace_weight[..band.ramp_start_bin]
            .iter()
            .all(|&w| w == 0.0));
        assert_eq!(band.replace_weight[band.cutoff_bin], 1.0);
        assert_eq!(band.patch_bins % OVERLAP, 0);
        for k in band.ramp_start_bin..band.end_bin {
            assert_eq!((k - band.source_bin[k]) % OVERLAP, 0);
            assert!(band.source_bin[k] < band.ramp_start_bin);
            assert!(band.source_bin[k] >= band.source_start_bin());
        }
    }

    #[test]
    fn no_band_above_the_top() {
        assert!(configured(23_900.0).is_none());
        assert!(configured(20_000.0).is_some());
    }

    #[test]
    fn silent_source_generates_nothing() {
        let band = configured(8000.0).unwrap();
        let input = vec![Complex::new(0.0, 0.0); layout().num_bins()];
        let mut generated = vec![Complex::new(1.0, 1.0); layout().num_bins()];
        write_generated(&input, &band, &mut generated);
        assert!(generated.iter().all(|c| c.re == 0.0 && c.im == 0.0));
    }

    #[test]
    fn flat_source_is_continued_flat() {
        let band = configured(8000.0).unwrap();
        let input = vec![Complex::new(1.0, 0.0); layout().num_bins()];
        assert_eq!(source_slope_db_per_octave(&input, &band), Some(0.0));
    }
}
