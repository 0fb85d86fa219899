//! Denoise, for old recordings: mains hum subtracted and clicks repaired in the waveform, then
//! hiss and surface noise turned down in the spectrum, before the band is generated.
//!
//! One amount (the plugin's Denoise, 0 to 1) drives all three: how much of the hum found is
//! subtracted ([`hum`]), how small a click is still repaired ([`clicks`]) and how far the noise
//! is turned down ([`hiss`]). At 0 nothing is touched, and the engine's output is bit for bit
//! what it was without the stage. What is taken out is kept apart (the hum and the clicks as
//! samples, the hiss as a spectrum per frame) so that Listen can play it, and so that the band
//! above the cutoff is generated from the cleaned spectrum while the output still equals the
//! delayed input plus what was added less what was removed.
//!
//! The hum and the clicks are plain DSP; the hiss's gains come from a small learned mask
//! ([`mask`]) against the floor the reducer tracks.

pub mod clicks;
pub mod hiss;
pub mod hum;
pub mod mask;

use realfft::num_complex::Complex;

pub use clicks::ClickRepair;
pub use hiss::HissReducer;
pub use hum::HumCanceller;

use crate::dsp::stft::StftLayout;

/// The denoiser of one channel.
pub struct ChannelDenoiser {
    /// Repairs clicks in the channel's samples.
    pub clicks: ClickRepair,
    /// Turns hiss down in the channel's spectra.
    pub hiss: HissReducer,
    /// Subtracts mains hum from the channel's samples, where it finds hum.
    pub hum: HumCanceller,
    /// The last frame's spectrum (clicks repaired, hiss not yet turned down), which the hiss
    /// floor hears between frames ([`ChannelDenoiser::hear_last_frame`]).
    unheard: Vec<Complex<f32>>,
    /// Whether `unheard` holds a frame the floor has not heard.
    unheard_pending: bool,
}

impl ChannelDenoiser {
    /// A denoiser for frames of `layout`.
    pub fn new(layout: &StftLayout) -> Self {
        Self {
            clicks: ClickRepair::new(layout.fft_size, layout.hop_size, layout.sample_rate_hz),
            hiss: HissReducer::new(layout),
            hum: HumCanceller::new(layout.sample_rate_hz),
            unheard: vec![Complex::new(0.0, 0.0); layout.num_bins()],
            unheard_pending: false,
        }
    }

    /// Forgets the material heard.
    pub fn reset(&mut self) {
        self.clicks.reset();
        self.hiss.reset();
        self.hum.reset();
        self.unheard_pending = false;
    }

    /// Denoises one frame's `spectrum` in place at `amount`, against the floor heard up to the
    /// frame before, deeper from `band_start_bin` up (where the band is generated); writes what
    /// is taken out to `removed`. The floor hears this frame at
    /// [`ChannelDenoiser::hear_last_frame`]: a floor is the minimum over seconds, so one frame
    /// later changes it by next to nothing, and its work leaves the frame's block.
    pub fn clean_spectrum(
        &mut self,
        amount: f32,
        band_start_bin: usize,
        spectrum: &mut [Complex<f32>],
        removed: &mut [Complex<f32>],
    ) {
        self.unheard.copy_from_slice(spectrum);
        self.unheard_pending = true;
        self.hiss.apply(amount, band_start_bin, spectrum, removed);
    }

    /// The hiss floor hears the last frame given to [`ChannelDenoiser::clean_spectrum`], once.
    pub fn hear_last_frame(&mut self) {
        if std::mem::take(&mut self.unheard_pending) {
            self.hiss.track(&self.unheard);
        }
    }
}
