//! The committed recorded-music excerpts (`tests/excerpts/`) and the band-limited versions of
//! them that detection and generation are judged on.

use std::path::{Path, PathBuf};

use airlift::audio_file::read_audio;

use realfft::RealFftPlanner;

use crate::filters::{brick_wall, butterworth, chebyshev1, elliptic, mp3_round_trip};

/// One recorded excerpt with what `excerpts.json` says of it.
#[derive(Debug, Clone)]
pub struct Excerpt {
    /// File stem, for naming cases.
    pub name: String,
    /// The kind of music.
    pub kind: String,
    /// Sample rate in Hz.
    pub sample_rate_hz: u32,
    /// One vector per channel (always two).
    pub channels: Vec<Vec<f32>>,
    /// The excerpt's own band edge in Hz, the top of its content: its source codec's low-pass,
    /// the roll-off of a sample recorded band-limited, or Nyquist.
    pub band_edge_hz: f32,
}

impl Excerpt {
    /// The first `seconds` of every channel.
    pub fn opening(&self, seconds: usize) -> Vec<Vec<f32>> {
        let samples = seconds * self.sample_rate_hz as usize;
        self.channels
            .iter()
            .map(|c| c[..samples].to_vec())
            .collect()
    }
}

/// The folder of the committed excerpts.
pub fn excerpts_dir() -> PathBuf {
    crate::workspace_root().join("tests/excerpts")
}

/// Loads every committed excerpt, in the order of `excerpts.json`.
pub fn load_excerpts() -> Vec<Excerpt> {
    let dir = excerpts_dir();
    let listing = std::fs::read_to_string(dir.join("excerpts.json")).expect("excerpts.json");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listing).expect("valid JSON");
    entries
        .iter()
        .map(|entry| {
            let file = entry["file"].as_str().expect("file");
            let audio = read_audio(&dir.join(file)).expect("a readable excerpt");
            Excerpt {
                name: file.trim_end_matches(".flac").to_owned(),
                kind: entry["kind"].as_str().unwrap_or_default().to_owned(),
                sample_rate_hz: audio.sample_rate_hz,
                channels: audio.channels,
                band_edge_hz: entry["band_edge_hz"].as_f64().expect("band_edge_hz") as f32,
            }
        })
        .collect()
}

/// The band limits applied to every excerpt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BandLimit {
    /// An ideal brick-wall low-pass at this frequency.
    BrickWall(f32),
    /// A Butterworth low-pass of this order at this -3 dB frequency.
    Butterworth(usize, f32),
    /// An 8th-order Chebyshev type I low-pass (1 dB ripple) whose pass band ends here.
    Chebyshev(f32),
    /// A 6th-order elliptic low-pass (0.5 dB ripple, 60 dB stopband) whose pass band ends here.
    Elliptic(f32),
    /// lame at this bit rate (CBR, at the excerpt's own rate).
    Mp3(u32),
}

impl BandLimit {
    /// Short name for reports.
    pub fn label(&self) -> String {
        match self {
            BandLimit::BrickWall(hz) => format!("brick wall {hz:.0} Hz"),
            BandLimit::Butterworth(order, hz) => format!("Butterworth {order} {hz:.0} Hz"),
            BandLimit::Chebyshev(hz) => format!("Chebyshev I {hz:.0} Hz"),
            BandLimit::Elliptic(hz) => format!("elliptic {hz:.0} Hz"),
            BandLimit::Mp3(kbps) => format!("MP3 {kbps} kbps"),
        }
    }

    /// The family, for the accuracy table.
    pub fn family(&self) -> &'static str {
        match self {
            BandLimit::BrickWall(_) => "brick wall",
            BandLimit::Butterworth(4, _) => "Butterworth 4",
            BandLimit::Butterworth(8, _) => "Butterworth 8",
            BandLimit::Butterworth(_, _) => "Butterworth 12",
            BandLimit::Chebyshev(_) => "Chebyshev I 8",
            BandLimit::Elliptic(_) => "elliptic 6",
            BandLimit::Mp3(_) => "MP3 (lame)",
        }
    }
}

/// Cutoffs of the filter band limits, 3 to 16 kHz.
pub const FILTER_CUTOFFS_HZ: [f32; 7] =
    [3000.0, 4000.0, 6000.0, 8000.0, 11_000.0, 14_000.0, 16_000.0];

/// Bit rates of the MP3 band limits.
pub const MP3_KBPS: [u32; 7] = [32, 48, 64, 96, 128, 160, 192];

/// Every band limit applied to each excerpt: brick wall, Butterworth 4, 8 and 12, Chebyshev I
/// and elliptic at every cutoff of [`FILTER_CUTOFFS_HZ`], and lame at every rate of
/// [`MP3_KBPS`].
pub fn all_band_limits() -> Vec<BandLimit> {
    let mut limits = Vec::new();
    for hz in FILTER_CUTOFFS_HZ {
        limits.push(BandLimit::BrickWall(hz));
        for order in [4, 8, 12] {
            limits.push(BandLimit::Butterworth(order, hz));
        }
        limits.push(BandLimit::Chebyshev(hz));
        limits.push(BandLimit::Elliptic(hz));
    }
    limits.extend(MP3_KBPS.map(BandLimit::Mp3));
    limits
}

/// An excerpt after a band limit.
pub struct BandLimited {
    /// The channels after the band limit, aligned with the excerpt.
    pub channels: Vec<Vec<f32>>,
    /// Where the band really ends: the filter's edge (for MP3 the middle of lame's
    /// transition band), or the excerpt's own edge when that is lower.
    pub true_edge_hz: f32,
    /// Whether the band limit lies below the excerpt's own edge. Above it the limit acts on
    /// nothing but the excerpt's floor, so it leaves no edge of its own to find.
    pub below_own_edge: bool,
}

/// Applies `limit` to `excerpt`. MP3 work files go under `work_dir`.
pub fn band_limit(excerpt: &Excerpt, limit: BandLimit, work_dir: &Path) -> BandLimited {
    let rate = excerpt.sample_rate_hz;
    let per_channel = |filter: &dyn Fn(&[f32]) -> Vec<f32>| -> Vec<Vec<f32>> {
        excerpt.channels.iter().map(|c| filter(c)).collect()
    };
    let (channels, edge_hz) = match limit {
        BandLimit::BrickWall(hz) => (per_channel(&|c| brick_wall(c, rate, hz)), hz),
        BandLimit::Butterworth(order, hz) => {
            (per_channel(&|c| butterworth(c, rate, hz, order)), hz)
        }
        BandLimit::Chebyshev(hz) => (per_channel(&|c| chebyshev1(c, rate, hz, 8, 1.0)), hz),
        BandLimit::Elliptic(hz) => (per_channel(&|c| elliptic(c, rate, hz)), hz),
        BandLimit::Mp3(kbps) => {
            let mp3 = mp3_round_trip(&excerpt.channels, rate, kbps, work_dir);
            let (start, end) = mp3.transition_hz;
            (mp3.decoded, 0.5 * (start + end))
        }
    };
    BandLimited {
        channels,
        true_edge_hz: edge_hz.min(excerpt.band_edge_hz),
        below_own_edge: edge_hz < excerpt.band_edge_hz,
    }
}

/// Window of the frames [`first_sound_at_edge_seconds`] looks at, in samples (a hop of a
/// quarter of it), as the engine's STFT at 44.1 and 48 kHz.
const EDGE_SOUND_FRAME: usize = 2048;

/// A frame sounds at an edge when its level in the sixth of an octave above the edge comes
/// within this many dB of that band's bright level (its 95th percentile over the excerpt).
const EDGE_SOUND_WITHIN_DB: f64 = 10.0;

/// When `channels` first sound above `edge_hz` as they do at their bright moments, in seconds
/// from the start (the end of the first frame whose level in the sixth of an octave above the
/// edge comes within [`EDGE_SOUND_WITHIN_DB`] of that band's 95th percentile over time).
///
/// A band limit acts only on what lies above it, so before this moment it leaves nothing to
/// find: an orchestral opening with nothing above 8 kHz cannot show a 14 kHz limit.
pub fn first_sound_at_edge_seconds(
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    edge_hz: f32,
) -> f32 {
    let hop = EDGE_SOUND_FRAME / 4;
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(EDGE_SOUND_FRAME);
    let window = airlift::dsp::window::hann_periodic(EDGE_SOUND_FRAME);
    let bin_hz = sample_rate_hz as f32 / EDGE_SOUND_FRAME as f32;
    let band =
        (edge_hz / bin_hz).ceil() as usize..=(edge_hz * (1.0f32 / 6.0).exp2() / bin_hz) as usize;
    let (mut input, mut spectrum) = (fft.make_input_vec(), fft.make_output_vec());
    let frames = channels[0].len().saturating_sub(EDGE_SOUND_FRAME) / hop + 1;
    let levels_db: Vec<f64> = (0..frames)
        .map(|frame| {
            let mut power = 0.0f64;
            for channel in channels {
                let samples = &channel[frame * hop..frame * hop + EDGE_SOUND_FRAME];
                for ((x, s), w) in input.iter_mut().zip(samples).zip(&window) {
                    *x = s * w;
                }
                fft.process(&mut input, &mut spectrum).unwrap();
                power += spectrum[band.clone()]
                    .iter()
                    .map(|c| c.norm_sqr() as f64)
                    .sum::<f64>();
            }
            10.0 * (power + 1e-30).log10()
        })
        .collect();
    let mut sorted = levels_db.clone();
    sorted.sort_by(f64::total_cmp);
    let bright_db = sorted[((sorted.len() - 1) as f64 * 0.95).round() as usize];
    let first = levels_db
        .iter()
        .position(|&level| level >= bright_db - EDGE_SOUND_WITHIN_DB)
        .unwrap_or(0);
    (first * hop + EDGE_SOUND_FRAME) as f32 / sample_rate_hz as f32
}

/// Runs `job` over `items` on two threads (CI has two cores), keeping the order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let half = items.len().div_ceil(2);
    std::thread::scope(|scope| {
        let (first, second) = items.split_at(half);
        let other = scope.spawn(|| second.iter().map(&job).collect::<Vec<R>>());
        let mut results: Vec<R> = first.iter().map(&job).collect();
        results.extend(other.join().expect("worker thread"));
        results
    })
}
