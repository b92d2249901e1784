"""``save`` and ``load`` a state dict as numpy's ``.npz`` file.

An ``.npz`` file is a zip archive with one ``.npy`` file per array, named by
its key, so the parameter names ``0.weight``, ``0.bias``, … survive the round
trip, and the file opens with plain ``numpy.load`` too. Nothing is pickled.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict

import numpy as np

from .value import Value


def save(state_dict: dict, path: str | os.PathLike) -> None:
    """Write ``state_dict`` (name → array or Value) to ``path``, exactly that path (no suffix added)."""
    arrays = OrderedDict()
    for name, array in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: state dict keys must be strings, got {name!r}")
        arrays[name] = np.asarray(array.data if isinstance(array, Value) else array)
    # Writing the zip ourselves (as numpy.savez does) lets any key through, even "file".
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def load(path: str | os.PathLike) -> OrderedDict:
    """Read a state dict written by ``save``: an OrderedDict name → numpy array, in the saved order."""
    with np.load(path, allow_pickle=False) as archive:
        return OrderedDict((name, archive[name]) for name in archive.files)
