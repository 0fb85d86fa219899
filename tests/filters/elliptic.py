"""Writes `elliptic.json`: the second-order sections of the elliptic low-passes that the
real-music detection test applies to the committed excerpts (`tests/src/filters.rs` reads
them), one per sample rate of the excerpts and cutoff of the test, designed by SciPy.

An elliptic low-pass is the steepest filter of its order: equiripple in its pass band, it
falls through a narrow transition to a stopband that holds the music a fixed depth down, where
it still moves with the music and can lie above the file's floor all the way to Nyquist. The
order, ripple and stopband depth are the middle of what training degrades with
(`models/airlift_train/corpus/degrade.py`: order 5 to 8, 0.1 to 1 dB, 50 to 80 dB).

Usage (any Python with SciPy): python tests/filters/elliptic.py
"""

import json
from pathlib import Path

from scipy import signal

ORDER = 6
RIPPLE_DB = 0.5
STOPBAND_DB = 60.0
RATES_HZ = (44100, 48000)
# tests/src/excerpts.rs: FILTER_CUTOFFS_HZ.
CUTOFFS_HZ = (3000, 4000, 6000, 8000, 11000, 14000, 16000)


def main() -> None:
    filters = []
    for rate in RATES_HZ:
        for cutoff_hz in CUTOFFS_HZ:
            sos = signal.ellip(ORDER, RIPPLE_DB, STOPBAND_DB, cutoff_hz, fs=rate, output="sos")
            filters.append({
                "sample_rate_hz": rate,
                "edge_hz": cutoff_hz,
                "sections": [[float(c) for c in section] for section in sos],
            })
    # One line per section, so that a change of design reads as a diff of coefficients.
    entries = []
    for entry in filters:
        sections = ",\n".join("   " + json.dumps(section) for section in entry["sections"])
        entries.append(f'  {{"sample_rate_hz": {entry["sample_rate_hz"]}, '
                       f'"edge_hz": {entry["edge_hz"]}, "sections": [\n{sections}\n  ]}}')
    header = {
        "order": ORDER,
        "ripple_db": RIPPLE_DB,
        "stopband_db": STOPBAND_DB,
        "design": "scipy.signal.ellip(order, ripple_db, stopband_db, edge_hz, fs, output='sos');"
                  " each section is b0 b1 b2 a0 a1 a2",
    }
    lines = ["{"] + [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in header.items()]
    lines += [' "filters": [', ",\n".join(entries), " ]", "}"]
    path = Path(__file__).with_name("elliptic.json")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
