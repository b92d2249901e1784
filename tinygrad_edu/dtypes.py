"""PyTorch's dtypes: what ``torch.tensor`` makes of Python data, and type promotion.

numpy and PyTorch agree on most result dtypes, not all: ``float32 · float64-0-d`` is
float64 in numpy and float32 in PyTorch, ``int / int`` float64 and float32. ``value.py``
asks this module where they differ, so that every Value has the dtype a tensor would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .arguments import number_dtype

# What ``torch.tensor`` makes of Python data that carries no numpy dtype.
PYTHON_DTYPES = {"f": np.dtype(np.float32), "i": np.dtype(np.int64), "u": np.dtype(np.int64),
                 "b": np.dtype(np.bool_)}

# numpy's floating scalar types: a 0-d Value's number is one of these in value._forward.
FLOAT_SCALARS = frozenset({np.float16, np.float32, np.float64, np.longdouble})

# PyTorch's dtype categories, by numpy's dtype kind: bool < integer < float.
CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The constructor's ``data`` (not a Value) as a new numpy array of a number dtype: ``dtype``,
    or numpy's own for numpy data, or ``torch.tensor``'s default for Python data."""
    dtype = None if dtype is None else number_dtype("Value", dtype)
    try:
        array = np.array(data)
        # Cast only numbers: np.array("1.0", dtype=float) would parse the string.
        if dtype is not None and array.dtype.kind in "fiub":
            array = array.astype(dtype, copy=False)
    except (ValueError, TypeError) as error:
        raise TypeError(f"Value: cannot make numbers of {type(data).__name__} data {data!r:.80}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(f"Value: data must be numbers (bool, int or float), got {type(data).__name__} "
                        f"with numpy dtype {array.dtype}: {data!r:.80}")
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        array = array.astype(PYTHON_DTYPES[array.dtype.kind], copy=False)
    native = np.dtype(array.dtype.type)  # numpy's own dtype object, in the machine's byte order
    if array.dtype is not native:
        # An unpickled array (sent by multiprocessing, say) carries an equal copy of its dtype, and
        # ufuncs pass it on. speed: ``value._forward`` tests dtypes by identity, and took its slow
        # path where the copy met numpy's own; see benchmarks/README.md.
        array = array.view(native) if array.dtype == native else array.astype(native)
    return array


def torch_dtype(op: ops.Function, arrays: list, data: np.ndarray) -> np.dtype:
    """The dtype PyTorch gives ``op``'s result, by its type promotion.

    The highest category among the inputs (bool < integer < float) wins. Within
    it, the inputs with dimensions decide, and 0-d ones only if no input with
    dimensions is of that category: float32 · float64-0-d is float32, int32 ·
    int64-0-d int32 (numpy makes both the wider type). An operation that gives
    floats from integers (``/``, exp, mean, ...) gives float32, PyTorch's
    default dtype, and a sum of integers or bools is int64.
    """
    top = max(CATEGORY[array.dtype.kind] for array in arrays)
    tier = ([array.dtype for array in arrays if array.ndim and CATEGORY[array.dtype.kind] == top]
            or [array.dtype for array in arrays if CATEGORY[array.dtype.kind] == top])
    dtype = np.result_type(*tier)
    if data.dtype.kind == "f" and dtype.kind != "f":
        return np.dtype(np.float32)
    if type(op) is ops.Sum and dtype.kind != "f":
        return np.dtype(np.int64)
    return dtype


def check_dtypes(op: ops.Function, arrays: list) -> None:
    """Raise a TypeError, naming the operation and the dtypes, where PyTorch refuses to compute
    ``op`` on inputs of these dtypes; where it computes, so do we (``torch_dtype`` gives the result's).

    PyTorch refuses: to subtract or negate bools (``True - x`` included: a Python bool stays a
    bool, value._lift), the relu of bools, the mean, softmax and log_softmax of integers or bools,
    a bool to a bool power, and a matrix product of two dtypes or of bools.
    """
    kind, dtypes = type(op), [array.dtype for array in arrays]
    bools, hint = [dtype.kind == "b" for dtype in dtypes], "x.to(np.float32)"
    if kind is ops.Sub and any(bools):
        problem = "subtraction with bools is not supported"
    elif kind is ops.Neg and any(bools):
        problem = "negation of bools is not supported"
    elif kind is ops.Relu and any(bools):
        problem = "relu of bools is not supported"
    elif kind in (ops.Mean, ops.Softmax, ops.LogSoftmax) and dtypes[0].kind != "f":
        problem = f"{op.name} of integers or bools is not supported"
    elif kind is ops.Pow and all(bools):
        problem = "a bool to a bool power is not supported"
    elif kind is ops.MatMul and any(bools):
        problem = "a matrix product of bools is not supported"
    elif kind is ops.MatMul and dtypes[0] != dtypes[1]:
        problem, hint = "a matrix product needs both matrices of one dtype", "a @ b.to(a.dtype)"
    else:
        return
    names = " and ".join(dtype.name for dtype in dtypes)
    raise TypeError(f"{op.name}: {problem}, as in PyTorch; got {names}. Convert first, as in {hint}")


def forward_in_torch_dtype(op: ops.Function, arrays: list, data: np.ndarray) -> np.ndarray:
    """``data`` = ``op.forward(*arrays)``, or ``op.forward`` again in the dtype PyTorch would compute
    in where numpy's differs: the inputs converted to it, so that the arithmetic is PyTorch's too."""
    dtype = torch_dtype(op, arrays, data)
    if data.dtype == dtype:
        return data
    return op.forward(*[array if array.dtype == dtype else array.astype(dtype) for array in arrays])
