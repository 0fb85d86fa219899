"""What the trainers of the engine's small plain-Rust networks (the worn-transfer judge, the hiss
mask) share: their command line, and their examples made once per split and cached.

Both make their examples from the corpus's stretches, which takes minutes, and train in
seconds: the examples are kept in the work folder (`examples.npz`), so that a second run trains
from them and writes the same weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np


def arguments(description: str, measured_by: str) -> argparse.Namespace:
    """The trainer's arguments: `--out` (the models folder), `--work` (its cache, made here),
    `--corpus`, and `--cli`, accepted for `cargo xtask train` and unused (`measured_by` says
    what measures the network instead)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--cli", type=Path, help=f"unused: {measured_by}")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    return args


def cached_examples(work: Path, names: str, make: Callable[[str, int], tuple], seed: int):
    """The training and validation examples, each a tuple of arrays named by the letters of
    `names`: read from `work/examples.npz` when it is there, else made by `make(split, seed)`
    (the validation split with `seed + 1`) and stored there."""
    cache = work / "examples.npz"
    if cache.is_file():
        stored = np.load(cache)
        return tuple(tuple(stored[part + name] for name in names) for part in "tv")
    training = make("train", seed)
    validation = make("validation", seed + 1)
    np.savez(cache, **{part + name: array
                       for part, data in (("t", training), ("v", validation))
                       for name, array in zip(names, data)})
    return training, validation
