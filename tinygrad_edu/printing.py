"""Format arrays the way PyTorch prints tensors, so output matches the slides.

PyTorch prints floats with 4 decimals (``0.5449``), whole-number floats as
``1.``, and switches to scientific notation (``1.0000e-05``) when the values
span more than three orders of magnitude. Every element gets the same width,
so columns line up. Doing it here, rather than through numpy's own ``repr``,
keeps printed output identical on every numpy version.
"""

from __future__ import annotations

import numpy as np


def _float_format(values: np.ndarray, precision: int):
    """The format function PyTorch picks for these float values."""
    finite = np.abs(values[np.isfinite(values)])
    nonzero = finite[finite != 0]
    if nonzero.size == 0:
        whole, big, ratio, small = True, 0.0, 1.0, 1.0
    else:
        whole = bool(np.all(finite == np.floor(finite)))
        big, small = float(nonzero.max()), float(nonzero.min())
        ratio = big / small
    if whole and ratio <= 1000 and big <= 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    if ratio > 1000 or big > 1e8 or (not whole and small < 10 ** -precision):
        return lambda v: f"{v:.{precision}e}" if np.isfinite(v) else f"{v}"
    return lambda v: f"{v:.{precision}f}" if np.isfinite(v) else f"{v}"


LINE_WIDTH, THRESHOLD, EDGE_ITEMS = 80, 1000, 3  # PyTorch's print options


def names_dtype(dtype: np.dtype) -> bool:
    """Whether PyTorch's repr adds ``dtype=...``: for every dtype but its defaults,
    float32 for floats and int64 for integers, and bool, which the values show."""
    return dtype.kind != "b" and dtype != (np.int64 if dtype.kind in "iu" else np.float32)


def _summarized(array: np.ndarray) -> np.ndarray:
    """The elements still shown when the middle of every long axis is elided (arrays
    of more than THRESHOLD elements); PyTorch picks the number format from these alone."""
    for axis, n in enumerate(array.shape):
        if n > 2 * EDGE_ITEMS:
            edges = list(range(EDGE_ITEMS)) + list(range(n - EDGE_ITEMS, n))
            array = array.take(edges, axis=axis)
    return array


def format_array(array, prefix: str = "", precision: int = 4) -> str:
    """``array`` as PyTorch prints a tensor's values; ``prefix`` is the text that
    will stand before it on the first line (such as ``"tensor("``), so that
    rows of a matrix line up under the first one."""
    array = np.asarray(array)
    if array.ndim == 0 and array.dtype.kind == "f":
        # One number has no columns to line up. speed: no array2string, which graphs of 10,000
        # scalar nodes notice; see benchmarks/README.md.
        return _float_format(array, precision)(array.item())
    shown = _summarized(array) if array.size > THRESHOLD else array
    flat = shown.reshape(-1)
    if array.dtype.kind == "f":
        to_text = _float_format(shown, precision)
        flat = flat[np.isfinite(flat) & (flat != 0)]  # like PyTorch: nan, inf and 0 set no width
    elif array.dtype.kind == "b":
        to_text = str
    else:
        to_text = lambda v: str(int(v))  # noqa: E731
    width = max((len(to_text(v)) for v in flat), default=0)
    text = np.array2string(
        array, separator=", ", prefix=prefix, max_line_width=LINE_WIDTH, threshold=THRESHOLD,
        edgeitems=EDGE_ITEMS, formatter={"all": lambda v: to_text(v).rjust(width)},
    )
    return text.replace(", ...,", ",  ...,")  # PyTorch elides the middle of a row as " ..."
