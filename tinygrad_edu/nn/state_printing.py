"""Print a state dict as PyTorch prints one, like the slide does.

``print(layer.state_dict())`` in PyTorch shows
``OrderedDict([('weight', tensor([[0.1000, 0.1000], …])), ('bias', tensor([0.1000, 0.1000]))])``.
Python 3.12 changed how OrderedDict prints (``OrderedDict({...})``) and numpy
changes its repr now and then, so this helper spells out the slide's layout
itself and formats the arrays with ``printing.format_array``: the same text on
every Python and numpy version.
"""

from __future__ import annotations

import numpy as np

from ..printing import format_array, names_dtype
from ..value import Value


def format_tensor(array: np.ndarray) -> str:
    """``tensor([0.1000, 0.1000])``, continuation rows indented under the first as PyTorch does;
    a dtype other than float32 (int64 for integers) is named, as in ``tensor([1.], dtype=float64)``."""
    array = np.asarray(array.data if isinstance(array, Value) else array)
    text = "tensor(" + format_array(array, prefix="tensor(")
    if names_dtype(array.dtype):
        text += f", dtype={array.dtype}"
    return text + ")"


def format_state_dict(state_dict: dict) -> str:
    """The text PyTorch prints for ``state_dict``: ``OrderedDict([('name', tensor(...)), ...])``."""
    if not state_dict:
        return "OrderedDict()"
    items = ", ".join(f"({name!r}, {format_tensor(array)})" for name, array in state_dict.items())
    return f"OrderedDict([{items}])"
