"""``save`` and ``load`` a state dict as numpy's ``.npz`` file.

An ``.npz`` file is a zip archive with one ``.npy`` file per array, named by
its key, so the parameter names ``0.weight``, ``0.bias``, … survive the round
trip, and the file opens with plain ``numpy.load`` too. Nothing is pickled.

A save never destroys the checkpoint it replaces: everything is checked first,
then written to a temporary file beside the target, which ``os.replace`` then
puts in its place in one step. If anything fails, the old file is untouched.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from .value import Value

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
SAVEABLE_KINDS = "biufc"  # bool, integers, floats, complex: what .npy stores without pickling


def save(state_dict: Mapping, path: str | os.PathLike) -> None:
    """Write ``state_dict`` (name → array or Value) to ``path``, exactly that path (no suffix added)."""
    arrays = _saveable_arrays(state_dict)
    path = _checked_path("save", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder of {path!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a folder; path must name a file")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the name points at them
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _saveable_arrays(state_dict: Mapping) -> OrderedDict:
    """``state_dict``'s values as numeric numpy arrays, or a TypeError naming the first bad key."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"save: state_dict must be a dict of name → array (as model.state_dict() returns), "
                        f"got {type(state_dict).__name__}")
    arrays = OrderedDict()
    for name, array in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: state_dict keys must be strings, got {name!r}")
        try:
            array = np.asarray(array.data if isinstance(array, Value) else array)
        except ValueError:  # a ragged list
            array = None
        if array is None or array.dtype.kind not in SAVEABLE_KINDS:
            what = "a ragged sequence" if array is None else f"dtype {array.dtype}"
            raise TypeError(f"save: state_dict[{name!r}] must be a numeric array or Value, got {what}")
        arrays[name] = array
    return arrays


def _write_npz(file, arrays: Mapping) -> None:
    # Writing the zip ourselves (as numpy.savez does) lets any key through, even "file".
    with zipfile.ZipFile(file, "w") as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _file_mode(path: str) -> int:
    """The permissions the file would get from ``open(path, 'w')``: its old ones, or 0o666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _checked_path(function: str, path: str | os.PathLike) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{function}: path must be a str or os.PathLike, got {type(path).__name__}")
    if not os.fspath(path):
        raise ValueError(f"{function}: path must name a file, got an empty path")
    return os.fspath(path)


def load(path: str | os.PathLike) -> OrderedDict:
    """Read a state dict written by ``save``: an OrderedDict name → numpy array, in the saved order."""
    path = _checked_path("load", path)
    with open(path, "rb") as file:  # a missing file: FileNotFoundError, naming it
        start = file.read(len(ZIP_MAGIC))
        if start != ZIP_MAGIC:
            raise ValueError(f"load: {path!r} is not a state dict written by save (a .npz zip archive): "
                             + _what_it_is(start))
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as archive:
                return OrderedDict((name, _array(name, archive[name])) for name in archive.files)
        except (ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"load: {path!r} is not a state dict written by save: {error}") from None


def _what_it_is(start: bytes) -> str:
    if not start:
        return "the file is empty"
    if start == NPY_MAGIC[:len(start)]:
        return "it holds one array (numpy.save's .npy); read it with numpy.load"
    return "it is not a zip archive"


def _array(name: str, member) -> np.ndarray:
    if not isinstance(member, np.ndarray):  # a zip member that is not a .npy file
        raise ValueError(f"{name!r} is not a .npy array")
    return member
