"""A checkpoint with an array of more than 2 GiB: saved with zip64, loaded back exactly.

Too big for the test suite (it writes 2 GiB twice and holds two copies in memory), so it
runs by hand: ``python benchmarks/checkpoint_2gib.py [--folder DIR]``. It checks what the
suite checks on a small array with zip64 forced (tests/test_checkpoints_damage.py), on the
real thing: the round trip is exact, ``numpy.load`` reads the file too, and ``load`` needs
no second copy of the array. It prints the times and the peak memory (resident set size).
Exit code 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

import tinygrad_edu as tg

SIZE = 2**31 + 2**20  # bytes: past zip's 2 GiB limit (zipfile.ZIP64_LIMIT), so zip64 is required


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=None, help="where to write the 2 GiB file (default: a temporary folder)")
    args = parser.parse_args()
    big = np.arange(SIZE // 4, dtype=np.float32)  # distinct numbers (up to 2**24 exact): a shifted byte shows
    state = {"big": big, "small": np.ones(3)}
    print(f"array: {big.nbytes / 2**30:.3f} GiB, {big.size:,} float32; peak so far {peak_gib():.2f} GiB")
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = Path(folder) / "big.npz"
        start = time.perf_counter()
        tg.save(state, path)
        print(f"save: {time.perf_counter() - start:.1f} s, file {path.stat().st_size / 2**30:.3f} GiB, "
              f"peak {peak_gib():.2f} GiB")
        with zipfile.ZipFile(path) as archive:
            zip64 = b"\x01\x00" in archive.getinfo("big.npy").extra[:2]
        before = peak_gib()
        start = time.perf_counter()
        loaded = tg.load(path)
        seconds, after = time.perf_counter() - start, peak_gib()
        exact = list(loaded) == ["big", "small"] and np.array_equal(loaded["big"], big) \
            and loaded["big"].dtype == big.dtype and np.array_equal(loaded["small"], state["small"])
        print(f"load: {seconds:.1f} s, peak {after:.2f} GiB (the array is {big.nbytes / 2**30:.2f} GiB; "
              f"peak before the load {before:.2f} GiB)")
        del loaded
        with np.load(path) as plain:
            numpy_reads = np.array_equal(plain["small"], state["small"])
    checks = {"the member is zip64": zip64, "the round trip is exact": exact, "numpy.load reads it": numpy_reads,
              "load made no second copy": after - before < 1.5 * big.nbytes / 2**30}
    for check, passed in checks.items():
        print(f"{'ok' if passed else 'FAILED'}: {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
