//! `airlift eval`: a restored (or degraded) file scored against its full-band reference with
//! the [`metrics`](super::metrics) of the README's tables: LSD, LSD-HF, SI-SDR, the low band's
//! deviation, and the level and LSD of the top of the band.

use std::path::Path;

use super::metrics::evaluate;
use crate::audio_file::read_audio;

/// Runs `eval`: `estimate` against `reference`, with the band limit of the degraded input
/// (`cutoff_hz`) and the reference's own band edge (`band_edge_hz`) when known.
pub fn run(
    reference: &Path,
    estimate: &Path,
    cutoff_hz: Option<f32>,
    band_edge_hz: Option<f32>,
    json: bool,
) -> Result<(), String> {
    let reference_audio = read_audio(reference).map_err(|e| e.to_string())?;
    let estimate_audio = read_audio(estimate).map_err(|e| e.to_string())?;
    if reference_audio.sample_rate_hz != estimate_audio.sample_rate_hz {
        return Err(format!(
            "sample rates differ: {} Hz and {} Hz",
            reference_audio.sample_rate_hz, estimate_audio.sample_rate_hz
        ));
    }
    let report = evaluate(
        &reference_audio.channels,
        &estimate_audio.channels,
        reference_audio.sample_rate_hz,
        cutoff_hz,
        band_edge_hz,
    )
    .map_err(|e| e.to_string())?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "reference": reference,
                "estimate": estimate,
                "cutoff_hz": cutoff_hz,
                "band_edge_hz": band_edge_hz,
                "lsd": report.lsd,
                "lsd_hf": report.lsd_hf,
                "si_sdr_db": report.si_sdr_db,
                "low_band_error_db": report.low_band_error_db,
                "top_band": report.top_band.as_ref().map(|top| serde_json::json!({
                    "from_hz": top.from_hz,
                    "to_hz": top.to_hz,
                    "bias_db": top.bias_db,
                    "lsd": top.lsd,
                })),
                "frames": report.frames,
            })
        );
        return Ok(());
    }
    println!("LSD:       {:.4}", report.lsd);
    match (report.lsd_hf, cutoff_hz) {
        (Some(lsd_hf), Some(hz)) => println!("LSD-HF:    {lsd_hf:.4}  (bins above {hz:.0} Hz)"),
        _ => println!("LSD-HF:    n/a (pass --cutoff)"),
    }
    println!("SI-SDR:    {:.2} dB", report.si_sdr_db);
    match report.low_band_error_db {
        Some(db) => {
            println!("low band:  {db:.1} dB  (energy of EST-REF below the ramp, relative to REF)")
        }
        None => println!("low band:  n/a (pass --cutoff)"),
    }
    match &report.top_band {
        Some(top) => println!(
            "top band:  {:.0} to {:.0} Hz: level {:+.1} / {:+.1} / {:+.1} dB by thirds, LSD {:.4}",
            top.from_hz, top.to_hz, top.bias_db[0], top.bias_db[1], top.bias_db[2], top.lsd
        ),
        None => println!("top band:  n/a (pass --cutoff below the edge and 20 kHz)"),
    }
    println!("frames:    {}", report.frames);
    Ok(())
}
