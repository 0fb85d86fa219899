//! What the plugin remembers of the material between sessions: the band limit its detection
//! settled on, whether it found codec holes below it, and the corner of a worn transfer. The
//! host saves this with the plugin's state, as a restoration tool's "learn" setting keeps what
//! it learned, so a reopened session and an offline bounce from the top start restored at their
//! first block instead of listening for a second first ([`crate::engine::Engine::remember`]).

use serde::{Deserialize, Serialize};

/// A detection's verdict as the saved state keeps it. The default remembers nothing, as does
/// an older state saved without it.
///
/// Eight bytes with no undefined byte, so that the audio thread can publish it to the host's
/// state through a lock-free `AtomicCell` and compare it in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[repr(C, align(8))]
pub struct RememberedBand {
    /// The band limit in whole Hz; 0 where there is none (nothing settled, or the detection
    /// settled on no band limit).
    pub band_limit_hz: u32,
    /// Whether the detection had settled on a verdict, a band limit or none, when this was
    /// written.
    pub settled: bool,
    /// Whether codec holes were found below the band limit.
    pub codec_holes: bool,
    /// The corner in whole Hz of an old disc's transfer, as the worn-transfer judge found it
    /// ([`crate::dsp::cutoff::worn`]); 0 where it found none. Written only when not 0, so a
    /// state without one reads as before.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub worn_corner_hz: u16,
}

/// Whether a remembered corner is absent (serde's test for leaving it out).
fn is_zero(hz: &u16) -> bool {
    *hz == 0
}

impl RememberedBand {
    /// A settled band limit at `band_limit_hz`, with or without codec holes below it.
    pub fn band_limit(band_limit_hz: f32, codec_holes: bool) -> Self {
        Self {
            band_limit_hz: band_limit_hz.round().max(1.0) as u32,
            settled: true,
            codec_holes,
            worn_corner_hz: 0,
        }
    }

    /// A detection that settled on no band limit: nothing is missing.
    pub fn no_band_limit() -> Self {
        Self {
            settled: true,
            ..Self::default()
        }
    }

    /// The same, with the corner of a worn transfer (none: `None`).
    pub fn with_worn_corner(self, corner_hz: Option<f32>) -> Self {
        Self {
            worn_corner_hz: corner_hz
                .map_or(0, |hz| hz.round().clamp(1.0, f32::from(u16::MAX)) as u16),
            ..self
        }
    }

    /// The remembered corner of a worn transfer in Hz, if the judge had found one.
    pub fn worn_corner_hz(&self) -> Option<f32> {
        (self.worn_corner_hz > 0).then_some(f32::from(self.worn_corner_hz))
    }

    /// The remembered band limit in Hz, if a settled detection found one.
    pub fn band_limit_hz(&self) -> Option<f32> {
        (self.settled && self.band_limit_hz > 0).then_some(self.band_limit_hz as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_utils::atomic::AtomicCell;

    #[test]
    fn the_audio_thread_can_publish_it_without_a_lock() {
        assert!(AtomicCell::<RememberedBand>::is_lock_free());
    }

    #[test]
    fn it_reads_back_what_was_written_and_an_older_state_remembers_nothing() {
        let band = RememberedBand::band_limit(11_204.6, true);
        assert_eq!(band.band_limit_hz(), Some(11_205.0));
        let json = serde_json::to_string(&band).unwrap();
        assert_eq!(
            json,
            r#"{"band_limit_hz":11205,"settled":true,"codec_holes":true}"#
        );
        assert_eq!(serde_json::from_str::<RememberedBand>(&json).unwrap(), band);
        assert_eq!(RememberedBand::no_band_limit().band_limit_hz(), None);
        assert_eq!(RememberedBand::default().band_limit_hz(), None);
        assert!(!RememberedBand::default().settled);
    }

    #[test]
    fn a_worn_transfers_corner_is_kept_and_an_older_state_has_none() {
        let band = RememberedBand::no_band_limit().with_worn_corner(Some(3_912.4));
        assert_eq!(band.worn_corner_hz(), Some(3_912.0));
        let json = serde_json::to_string(&band).unwrap();
        assert_eq!(
            json,
            r#"{"band_limit_hz":0,"settled":true,"codec_holes":false,"worn_corner_hz":3912}"#
        );
        assert_eq!(serde_json::from_str::<RememberedBand>(&json).unwrap(), band);
        let older = r#"{"band_limit_hz":0,"settled":true,"codec_holes":false}"#;
        let read = serde_json::from_str::<RememberedBand>(older).unwrap();
        assert_eq!(read, RememberedBand::no_band_limit());
        assert_eq!(read.worn_corner_hz(), None);
    }
}
