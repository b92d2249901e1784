"""How an axis or an index is read, as PyTorch reads it.

Not derivatives: what ``ops.Sum``, ``ops.Mean`` and ``ops.Index`` need so that their
forward picks the elements PyTorch picks, where numpy's reading of the same argument
differs (``axis=()``, integers mixed with index arrays, an ``...`` that covers no axis).
"""

from __future__ import annotations

import numpy as np

from .arguments import is_int


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes.

    None and () both mean every axis, as PyTorch's ``dim=()`` does (numpy's ``axis=()``
    reduces none); a 0-d array accepts axis 0 and -1, and they reduce nothing.
    """
    if axis is None or (isinstance(axis, (tuple, list)) and not axis):
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if ndim == 0 and all(a in (0, -1) for a in axes):  # a 0-d array has the one axis 0 (or -1), as in PyTorch
        return ()
    for a in axes:
        if not -ndim <= a < ndim:  # a bare ``a % ndim`` would quietly reduce the wrong axis
            raise ValueError(f"axis {a} is out of range for an array with {ndim} dimensions")
    return tuple(sorted(int(a) % ndim for a in axes))


def is_integer_index(index) -> bool:
    """An int, a numpy integer or a 0-d integer array (not a bool: True indexes as a mask)."""
    if isinstance(index, np.ndarray):
        return index.ndim == 0 and index.dtype.kind in "iu"
    return is_int(index)


def split_integers(index) -> tuple | None:
    """PyTorch's reading of an index that mixes integers with index arrays, as two numpy indices.

    numpy counts an integer as one more index array, and when index arrays are
    separated by a slice, their axes go first: ``x[0, :, [1, 2]]`` of a (2, 3, 4)
    x has shape (2, 3). PyTorch takes the integers first, as plain selections
    (shape (3, 4) here), and only then the index arrays (shape (3, 2)). So: first
    the integers, with every other position kept whole; then the rest. None if
    the index has no integer or no index array, where the two readings agree.
    """
    if not isinstance(index, tuple) or not any(map(is_integer_index, index)):
        return None
    if not any(isinstance(i, (list, np.ndarray)) and np.ndim(i) > 0 for i in index):
        return None
    integers, rest = [], []
    for i in index:
        if is_integer_index(i):
            integers.append(int(i))
        elif i is None:  # a new axis: made by the first index, kept whole by the second
            integers.append(None)
            rest.append(slice(None))
        elif i is Ellipsis or isinstance(i, slice):
            integers.append(i if i is Ellipsis else slice(None))
            rest.append(i)
        else:  # an index array; a boolean one spans as many axes as it has dimensions
            spans = np.ndim(i) if np.asarray(i).dtype == bool else 1
            integers.extend([slice(None)] * spans)
            rest.append(i)
    return tuple(integers), tuple(rest)


def without_ellipsis(index, ndim: int):
    """``index`` with its ``...`` written out as the slices it stands for (none, if it covers no axis).

    PyTorch places index arrays as numpy does, except that an ``...`` covering no
    axis does not keep them apart: ``x[:0, [0], ..., [0]]`` of a (1, 1, 1) x has
    shape (0, 1) in PyTorch and (1, 0) in numpy, which reads the ``...`` as a slice.
    With the slices written out, numpy's placement gives PyTorch's answer.
    """
    if index is Ellipsis:
        index = (Ellipsis,)
    if not isinstance(index, tuple) or not any(i is Ellipsis for i in index):
        return index
    used = sum(np.ndim(i) if isinstance(i, np.ndarray | list) and np.asarray(i).dtype == bool else 1
               for i in index if i is not None and i is not Ellipsis)
    at = next(position for position, i in enumerate(index) if i is Ellipsis)
    return index[:at] + (slice(None),) * max(ndim - used, 0) + index[at + 1:]


def is_basic(index) -> bool:
    """Only integers, slices, None and ``...``: basic indexing, whose result is a view of the
    indexed array in numpy and in PyTorch (a list, an index array or a mask makes a copy)."""
    entries = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, slice) or is_integer_index(i) for i in entries)


def torch_index(index, ndim: int) -> tuple:
    """``index`` for an array of ``ndim`` dimensions as PyTorch reads it, and its split (``split_integers``).

    A basic index ends with ``...``, so that numpy returns a view even where it picks one
    element (``x[0]`` of a 1-D x alone would give a numpy scalar, a copy), as PyTorch does.
    """
    index = without_ellipsis(index, ndim)
    if is_basic(index):
        return (index if isinstance(index, tuple) else (index,)) + (Ellipsis,), None
    return index, split_integers(index)


def select(array: np.ndarray, index, split) -> np.ndarray:
    """``array[index]`` as PyTorch reads it (``torch_index``)."""
    if split is None:
        return array[index]
    integers, rest = split
    return array[integers][rest]


def put(array: np.ndarray, index, split, values) -> None:
    """``array[index] = values`` as PyTorch reads it (``torch_index``): into ``array`` itself."""
    if split is None:
        array[index] = values
    else:
        integers, rest = split
        array[integers][rest] = values  # array[integers] is a view: the write lands in array
