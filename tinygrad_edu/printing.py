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
    """The format function PyTorch's rules pick for these float values."""
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


def format_array(array, prefix: str = "", precision: int = 4) -> str:
    """``array`` as PyTorch prints a tensor's values; ``prefix`` is the text that
    will stand before it on the first line (such as ``"tensor("``), so that
    rows of a matrix line up under the first one."""
    array = np.asarray(array)
    flat = array.reshape(-1)
    if array.dtype.kind == "f":
        to_text = _float_format(array, precision)
        flat = flat[np.isfinite(flat) & (flat != 0)]  # like PyTorch: nan, inf and 0 set no width
    elif array.dtype.kind == "b":
        to_text = str
    else:
        to_text = lambda v: str(int(v))  # noqa: E731
    width = max((len(to_text(v)) for v in flat), default=0)
    return np.array2string(
        array, separator=", ", prefix=prefix, max_line_width=80, threshold=1000, edgeitems=3,
        formatter={"all": lambda v: to_text(v).rjust(width)},
    )
