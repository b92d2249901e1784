"""Changing a Value's numbers in place: ``x += y`` (and ``-=``, ``*=``, ``/=``, ``**=``) and ``x[index] = v``.

The numbers are written into ``x.data`` itself, so every view of x (views.py) sees them, and the
version count x shares with its views goes up by one: an operation that saved the old numbers
then refuses to go backward (``autograd.check_versions``). x stays the same object, with its
``requires_grad`` and its ``.grad``.

PyTorch's rules, checked before anything changes (``check_may_change``). Outside ``no_grad``:

* a leaf that requires grad refuses: its numbers now are what its gradient is for (an
  optimizer changes them inside ``no_grad``), and so does a view of one;
* a view taken inside ``no_grad`` of a Value that requires grad refuses too ("ambiguous and
  error-prone", says PyTorch: do both inside ``no_grad``, or both outside).

In a graph. Outside ``no_grad``, when x requires grad or the value written does, PyTorch records
the change as an operation. The graph's nodes here are the Values themselves, so an operation
recorded earlier holds the very object x, and must still send its gradient to x's history from
before the change. ``x[index] = v`` does this (``value._record_assignment``, with the checks
here): a new Value takes over x's history, and x's operation becomes ``IndexPut`` of that Value
and v; an operation recorded earlier is led to the new Value by its version stamp (recording.py).
As with PyTorch's CopySlices, a write into a view is a write into its base, and the base and
every view of it alive get new history so: each view's numbers are the base's at its places.
``x += y`` in a graph is refused (write ``x = x + y``, which records a new
Value): ``x *= w`` would need x's old numbers for w's gradient, and they are overwritten.

The value written is cast to x's dtype, as PyTorch's ``x[index] = v`` does: a Python number
must fit an integer x; an array or a Value written through a list or an index array (or a mask,
unless it is one number) must have x's dtype (PyTorch's ``index_put``); a Python list, a string
or None is refused.
"""

from __future__ import annotations

import numpy as np

from .dtypes import CATEGORY
from .grad_mode import is_grad_enabled
from .indexing import is_basic, put, torch_index


def check_may_change(x, symbol: str, instead: str) -> None:
    """Raise, as PyTorch does, where changing ``x`` in place outside ``no_grad`` is not allowed."""
    if not is_grad_enabled():
        return
    base = x._base
    if x._requires_grad and x._op is None:
        raise RuntimeError(f"{symbol}: a leaf Variable that requires grad is being used in an in-place operation. "
                           f"Change it inside tg.no_grad(), or write {instead}")
    if base is not None and base._requires_grad and base._op is None and x._requires_grad:
        raise RuntimeError(f"{symbol}: a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation. Change it inside tg.no_grad()")
    if base is not None and base._requires_grad and not x._requires_grad:
        raise RuntimeError(f"{symbol}: a view was created in no_grad mode and is being modified in place with grad "
                           "mode enabled (its numbers are those of a Value that requires grad). Take the view and "
                           "change it both inside tg.no_grad(), or both outside")


# ---------------------------------------------------------------- x += y (value.Value._change)

def check_change(x, other, symbol: str) -> None:
    """The rules for ``x symbol other`` (other a Value), checked before anything is computed."""
    check_may_change(x, symbol, f"x = x {symbol[:-1]} y")
    if is_grad_enabled() and (x._requires_grad or other._requires_grad):
        raise RuntimeError(f"{symbol}: an in-place operation on a Value in a graph is not recorded here; "
                           f"write h = h {symbol[:-1]} y, which records a new Value")


def write(x, result: np.ndarray, symbol: str) -> None:
    """``x``'s numbers replaced by ``result``, as PyTorch's ``x.add_(other)`` and the like: it must fit
    x's shape, and its dtype must not need a wider kind than x's (an int Value cannot take ``+= 0.5``)."""
    if result.shape != x.shape:
        raise ValueError(f"{symbol}: the result's shape {result.shape} does not fit this Value's shape "
                         f"{x.shape}; an in-place operation cannot change the shape")
    if CATEGORY[result.dtype.kind] > CATEGORY[x.dtype.kind]:
        raise TypeError(f"{symbol}: the result's dtype {result.dtype} cannot be cast to this Value's dtype "
                        f"{x.dtype}; write x = x {symbol[:-1]} y for a new Value")
    np.copyto(x.data, result, casting="unsafe")
    x._version += 1  # and so every View of its numbers (views.py)


# ---------------------------------------------------------------- x[index] = v (value.Value.__setitem__)

def item_array(x, item) -> np.ndarray:
    """What ``x[index] = item`` writes, for an ``item`` that is not a Value: a number converted to
    x's dtype, or a numpy array; anything else is refused."""
    if isinstance(item, bool | int | float | np.bool_ | np.number):
        return number_for(x.dtype, item)
    if isinstance(item, np.ndarray):
        return item
    raise TypeError(f"x[index] = v: v must be a Value, a numpy array or a number, got {type(item).__name__} "
                    f"{item!r:.80}")


def check_assignment(x, index, v) -> bool:
    """The rules for ``x[index] = v`` (v a Value), checked before anything changes: whether the
    assignment is recorded in the graph (x or v requires grad, outside ``no_grad``)."""
    if v.dtype != x.dtype and not is_basic(index) and not (is_mask(index) and v.data.size == 1):
        raise TypeError(f"x[index] = v: through a list or an index array (or a mask, unless v is one number), "
                        f"v must have x's dtype {x.dtype}, got {v.dtype} (PyTorch's index_put); convert it: "
                        "v.to(x.dtype)")
    check_may_change(x, "x[index] = v", "x = x * mask + v * (1 - mask), a new Value")
    recorded = is_grad_enabled() and x.dtype.kind == "f" and (x._requires_grad or v._requires_grad)
    return recorded


def write_item(x, index, data) -> None:
    """``x.data[index] = data`` (the index read as PyTorch reads it), one version more."""
    normalized, split = torch_index(index, x.ndim)
    try:
        put(x.data, normalized, split, data)  # numpy checks the index and the shapes before it writes
    except (IndexError, ValueError) as error:
        raise type(error)(f"x[index] = v: {error}") from None
    x._version += 1  # and so every View of its numbers (views.py)


def is_mask(index) -> bool:
    """One boolean array (or list) as the whole index: PyTorch fills it with one number of any dtype."""
    entries = index if isinstance(index, tuple) else (index,)
    return len(entries) == 1 and np.ndim(entries[0]) > 0 and np.asarray(entries[0]).dtype == np.bool_


def number_for(dtype: np.dtype, number) -> np.ndarray:
    """``number`` as a 0-d array of ``dtype``, as PyTorch converts it: a bool is whether it is
    non-zero; an integer dtype takes the number rounded towards 0; a number that does not fit
    (or a NaN or ∞ for an integer dtype, a finite number that float32 cannot hold) is refused."""
    if dtype.kind == "b":
        return np.asarray(bool(number))
    if dtype.kind in "iu":
        limits = np.iinfo(dtype)
        if not np.isfinite(number) or not limits.min <= int(number) <= limits.max:
            raise OverflowError(f"x[index] = v: {number!r} does not fit x's dtype {dtype} "
                                f"({limits.min} to {limits.max})")
        return np.asarray(int(number), dtype=dtype)
    with np.errstate(over="ignore"):
        array = np.asarray(number, dtype=dtype)
    if np.isinf(array) and np.isfinite(number) and dtype != np.float16:  # PyTorch's float16 takes ∞
        raise OverflowError(f"x[index] = v: {number!r} does not fit x's dtype {dtype} (it would be ∞)")
    return array
