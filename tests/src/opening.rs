//! How a restored file starts: LSD-HF over its first half second against that over the rest,
//! on the committed excerpts through the band limits people most often have. The CLI's
//! look-ahead and a plugin that remembers its band limit are both judged by it.

use airlift::cli::metrics::evaluate;

use crate::excerpts::{BandLimit, Excerpt};

/// The opening that is judged against the rest of the file, in seconds.
pub const OPENING_SECONDS: f32 = 0.5;

/// The bound: LSD-HF over the opening at most this times that over the rest.
pub const MAX_OPENING_RATIO: f64 = 1.25;

/// The band limits the opening is judged through: lame at 64 and 128 kbps, and a Butterworth
/// of order 8 at 8 kHz.
pub const OPENING_BAND_LIMITS: [BandLimit; 3] = [
    BandLimit::Mp3(64),
    BandLimit::Mp3(128),
    BandLimit::Butterworth(8, 8_000.0),
];

/// LSD-HF of `output` (aligned with the excerpt) above `cutoff_hz`, to the excerpt's own edge,
/// over the opening and over the rest.
pub fn opening_and_rest(e: &Excerpt, output: &[Vec<f32>], cutoff_hz: f32) -> (f64, f64) {
    let split = (OPENING_SECONDS * e.sample_rate_hz as f32) as usize;
    let part = |signal: &[Vec<f32>], opening: bool| -> Vec<Vec<f32>> {
        signal
            .iter()
            .map(|c| {
                let end = c.len().min(e.channels[0].len());
                if opening {
                    c[..split].to_vec()
                } else {
                    c[split..end].to_vec()
                }
            })
            .collect()
    };
    let lsd_hf = |opening: bool| {
        evaluate(
            &part(&e.channels, opening),
            &part(output, opening),
            e.sample_rate_hz,
            Some(cutoff_hz),
            Some(e.band_edge_hz),
        )
        .expect("both parts are long enough")
        .lsd_hf
        .expect("a cutoff gives LSD-HF")
    };
    (lsd_hf(true), lsd_hf(false))
}
