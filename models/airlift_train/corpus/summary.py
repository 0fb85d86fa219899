"""The README's table of the recorded-music corpus, from `target/corpus/manifest.json`: pieces
per package and split, minutes, and how many pieces have their own edge at 18 kHz or above.

    python -m airlift_train.corpus.summary ../target/corpus/manifest.json   (from `models/`)
"""

import json
import sys
from pathlib import Path

BRIGHT_EDGE_HZ = 18_000
"""Pieces whose own edge reaches this have a top octave to learn from."""


def rows(manifest: list[dict]) -> list[tuple]:
    """(package, pieces, train, validation, test, minutes, bright) per package in the
    manifest's order, then the totals."""
    packages = list(dict.fromkeys(e["package"] for e in manifest))
    table = []
    for package in packages + [None]:
        entries = [e for e in manifest if package is None or e["package"] == package]
        table.append((
            "all" if package is None else f"`{package}`",
            len(entries),
            *(sum(e["split"] == s for e in entries) for s in ("train", "validation", "test")),
            round(sum(e["seconds"] for e in entries) / 60),
            sum(e["band_edge_hz"] >= BRIGHT_EDGE_HZ for e in entries),
        ))
    return table


def main() -> None:
    manifest = json.loads(Path(sys.argv[1]).read_text())
    print("| package | pieces | train | validation | test | minutes | own edge >= 18 kHz |")
    print("|---|---|---|---|---|---|---|")
    for row in rows(manifest):
        print("| " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
