//! Band-limit detection: finds where a band-limited signal's spectrum ends, on recorded music,
//! and judges which bands above it are missing for the fill.
//!
//! Recorded music rolls off gently, is quiet up high and changes from bar to bar, so the
//! detector looks at the brightest moments, where a natural roll-off reaches highest and a band
//! limit still holds. Each frame's level at every point of a log-frequency grid ([`grid`]) goes
//! into that point's histogram (weighted down with age: [`histograms`]), and a few times a
//! second the [`LEVEL_PERCENTILE`](detector::LEVEL_PERCENTILE) of every histogram gives a
//! "bright" spectrum, which is searched from the top down ([`edge`]):
//!
//! 1. **Floor.** The level just below the top of the audible band is the file's floor (its
//!    quantization or codec noise when band-limited). Music whose 1 to 2 kHz level is less
//!    than [`MIN_RANGE_DB`](edge::MIN_RANGE_DB) above it has no band limit to find.
//! 2. **Top of content.** The highest grid point more than
//!    [`CONTENT_MARGIN_DB`](edge::CONTENT_MARGIN_DB) above the floor. At the top of the band:
//!    no band limit.
//! 3. **A cliff** (brick wall, MP3, codec low-pass, steep filters): a drop of at least
//!    [`CLIFF_DROP_DB`](edge::CLIFF_DROP_DB) within a twelfth of an octave, starting well above
//!    the floor, near the top of content. The edge is the -3 dB point below the shoulder where
//!    the steep descent starts. A cliff that is not sheer (still falling above its shoulder: a
//!    digital filter steepening towards Nyquist) is followed further down its slope.
//! 4. **A deep cliff or a deep slope** (elliptic low-passes): a fall of
//!    [`DEEP_DROP_DB`](edge::DEEP_DROP_DB) within a third of an octave, or of
//!    [`DEEP_SLOPE_DROP_DB`](edge::DEEP_SLOPE_DROP_DB) within an octave, above which the music
//!    stays far down (its stopband) but may lie above the floor all the way up. A deep cliff is
//!    looked for before any other cliff; a deep slope only where the spectrum does not approach
//!    the floor as a slope must (below).
//! 5. **A slope** (gentle low-passes: [`slope`]): only when the spectrum falls to the floor
//!    faster than [`MIN_APPROACH_DB_PER_OCTAVE`](edge::MIN_APPROACH_DB_PER_OCTAVE). The bright
//!    spectrum is fitted, by least squares, with the music's own straight trend times a
//!    Butterworth low-pass of some order on the frequency axis of the bilinear transform
//!    (digital filters bend towards Nyquist); the edge is the corner of the best fit. A natural
//!    roll-off that meets the floor gently is no band limit.
//!
//! A new estimate replaces the reported one only when it differs by more than
//! [`HYSTERESIS_OCTAVES`](detector::HYSTERESIS_OCTAVES) for
//! [`CHANGE_VOTES`](detector::CHANGE_VOTES) estimates in a row, so the reported cutoff does not
//! wander ([`detector`]).
//!
//! Which bands the fill may add to is a judgement of its own ([`missing`]): a band that holds
//! still over time or lies far below the music is missing, a band that moves with the music is
//! not, and a band limit that has held vouches for the band just above it.
//!
//! The modules, by what each decides:
//! - [`detector`]: the streaming detector: frames in, estimates, votes and settling out;
//! - [`histograms`]: each grid point's level over time, and its percentiles;
//! - [`grid`]: the log-frequency analysis grid;
//! - [`edge`]: the edge search in a bright spectrum: floor, top of content, cliffs and deep
//!   falls;
//! - [`slope`]: the corner of a gentle low-pass, fitted with Butterworth templates;
//! - [`missing`]: which bands are missing, and how surely: the weights the fill reads;
//! - [`worn`]: whether the input is an old disc's transfer, whose gentle slope under hiss no
//!   edge search finds, and its corner (a small learned network on the same histograms).

pub mod detector;
pub mod edge;
pub mod grid;
pub mod histograms;
pub mod missing;
pub mod slope;
pub mod worn;

pub use detector::CutoffDetector;

/// What the detector currently reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detection {
    /// Not enough non-silent audio has been heard yet.
    Listening,
    /// The signal reaches the top of the audible band: nothing is missing.
    NoBandLimit,
    /// The signal is band-limited at this frequency.
    BandLimit {
        /// The detected edge in Hz.
        cutoff_hz: f32,
    },
}

impl Detection {
    /// The detected cutoff, if there is one.
    pub fn cutoff_hz(&self) -> Option<f32> {
        match self {
            Detection::BandLimit { cutoff_hz } => Some(*cutoff_hz),
            _ => None,
        }
    }
}
