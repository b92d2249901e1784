"""``save`` and ``load`` a state dict as numpy's ``.npz`` file, checked end to end.

An ``.npz`` file is a zip archive with one ``.npy`` file per array, named by
its key, so the parameter names ``0.weight``, ``0.bias``, … survive the round
trip, and the file opens with plain ``numpy.load`` too. Nothing is pickled.

``save`` adds a manifest, the member ``tinygrad_edu.manifest.json``: every key
exactly as given (a NUL, a lone surrogate and all: a key that cannot be a zip
member's name as it is gets a percent-encoded member name), its member, dtype,
shape and the SHA-256 of its bytes. ``load`` returns exactly what was saved or
raises one ValueError: a damaged file (a flipped bit, a cut-off end) never gives
a dict with entries missing, changed numbers, or an error from deep inside
zipfile or numpy, and a header that claims more bytes than the file holds is
refused before anything is allocated. Files from before the manifest (and
``numpy.savez``'s) still load, with the checks zip's own CRC-32 gives.

A save never destroys the checkpoint it replaces: everything is checked first,
then written to a temporary file that ``os.replace`` puts in its place in one
step (``files.replacing``; a symbolic link is written through, as torch.save
does). If anything fails, the old file is untouched.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from urllib.parse import quote

import numpy as np

from .files import replacing, target
from .value import Value

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
SAVEABLE_KINDS = "biufc"  # bool, integers, floats, complex: what .npy stores without pickling
MANIFEST = "tinygrad_edu.manifest.json"  # not a .npy name, so no key's member can take it
MARKER = b"tinygrad_edu state dict"  # the archive's comment: a manifest is expected even if damage hides it
FORMAT = {"format": "tinygrad_edu state dict", "version": 1}
ENTRY_FIELDS = {"key": str, "member": str, "dtype": str, "shape": list, "fortran_order": bool, "sha256": str}
LONGEST_MEMBER_NAME = 1000  # bytes: zip allows 65,535, but file tools choke on far less
ZIP64_FROM = zipfile.ZIP64_LIMIT - 2**16  # bytes of data from which a member needs zip64 (its header < 64 KiB)
DEFLATE_RATIO = 1032  # the most a deflate stream can expand: a claimed size beyond it is a lie
CHUNK = 2**24  # bytes read at a time


def save(state_dict: Mapping, path: str | os.PathLike) -> None:
    """Write ``state_dict`` (name → array or Value) to ``path``, exactly that path (no suffix added)."""
    arrays = _saveable_arrays(state_dict)
    path = _checked_path("save", path)
    final = target(path)
    if not os.path.isdir(os.path.dirname(final)):
        raise FileNotFoundError(f"save: the folder of {path!r} does not exist")
    if os.path.isdir(final):
        raise IsADirectoryError(f"save: {path!r} is a folder; path must name a file")
    with replacing(path) as file, zipfile.ZipFile(file, "w") as archive:
        entries = [_write_member(archive, key, member, array)
                   for (key, array), member in zip(arrays.items(), _member_names(list(arrays)), strict=True)]
        archive.writestr(zipfile.ZipInfo(MANIFEST), json.dumps({**FORMAT, "arrays": entries}))
        archive.comment = MARKER


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


def _plain_member_name(key: str) -> bool:
    """Can ``key + '.npy'`` be a zip member's name and come back the same? zipfile cuts a name at
    a NUL, Windows turns a backslash into '/', and a lone surrogate has no UTF-8."""
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return "\x00" not in key and "\\" not in key and size <= LONGEST_MEMBER_NAME


def _member_names(keys: list[str]) -> list[str]:
    """Each key's member: ``key.npy``, else the key percent-encoded (numbered if that is taken)."""
    names = {key: key + ".npy" for key in keys if _plain_member_name(key)}
    taken = set(names.values())
    for key in keys:
        if key not in names:
            stem = quote(key, safe="", errors="surrogatepass")[:LONGEST_MEMBER_NAME // 2]
            name, number = stem + ".npy", 1
            while name in taken:
                name, number = f"{stem}~{number}.npy", number + 1
            names[key] = name
            taken.add(name)
    return [names[key] for key in keys]


class _Hashing:
    """A file that passes bytes through and hashes them: what ``.npy``'s writer and reader see."""

    def __init__(self, file) -> None:
        self.file, self.hash, self.count = file, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.count += len(data)
        return self.file.write(data)

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.hash.update(data)
        self.count += len(data)
        return data


def _write_member(archive: zipfile.ZipFile, key: str, member: str, array: np.ndarray) -> dict:
    """Write ``array`` as the ``.npy`` member ``member`` and return its manifest entry."""
    with archive.open(zipfile.ZipInfo(member), "w", force_zip64=array.nbytes >= ZIP64_FROM) as file:
        hashing = _Hashing(file)
        np.lib.format.write_array(hashing, array, allow_pickle=False)
    fortran_order = bool(array.flags.f_contiguous and not array.flags.c_contiguous)  # as .npy's header says
    return {"key": key, "member": member, "dtype": array.dtype.str, "shape": list(array.shape),
            "fortran_order": fortran_order, "sha256": hashing.hash.hexdigest()}


def _checked_path(function: str, path: str | os.PathLike) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{function}: path must be a str or os.PathLike, got {type(path).__name__}")
    if not os.fspath(path):
        raise ValueError(f"{function}: path must name a file, got an empty path")
    return os.fspath(path)


def load(path: str | os.PathLike) -> OrderedDict:
    """Read a state dict written by ``save``: an OrderedDict name → numpy array, in the saved order.

    Anything but exactly what was saved (another kind of file, damage) raises ValueError.
    """
    path = _checked_path("load", path)
    with open(path, "rb") as file:  # a missing file: FileNotFoundError, naming it
        start = file.read(len(ZIP_MAGIC))
        if start != ZIP_MAGIC:
            raise ValueError(f"load: {path!r} is not a state dict written by save (a .npz zip archive): "
                             + _what_it_is(start))
        try:
            return _read_archive(file, os.fstat(file.fileno()).st_size)
        except MemoryError:
            raise  # sizes were checked against the file: this is a real shortage of memory
        except Exception as error:  # every other way the bytes can be wrong: zipfile's, numpy's, json's, ours
            raise ValueError(f"load: {path!r} is not a state dict written by save, or it is damaged: "
                             f"{error}") from None


def _what_it_is(start: bytes) -> str:
    if not start:
        return "the file is empty"
    if start == NPY_MAGIC[:len(start)]:
        return "it holds one array (numpy.save's .npy); read it with numpy.load"
    return "it is not a zip archive"


def _read_archive(file, file_size: int) -> OrderedDict:
    """Every array of the archive, all checked, or an exception: nothing is returned half read."""
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
        names = [member.filename for member in members]
        if not members or members[0].header_offset != 0:  # e.g. another archive's end glued on after ours
            raise ValueError("its zip directory does not describe the archive it ends")
        # zipfile reads the directory by its size in bytes: a damaged entry (a comment's length) can end
        # the reading early, silently. The end record's count of entries, and no comments, tell.
        counted = zipfile._EndRecData(file)[zipfile._ECD_ENTRIES_TOTAL]
        if counted != len(members) or any(member.comment for member in members):
            raise ValueError(f"its zip directory lists {len(members)} entries, its end record {counted}")
        if len(set(names)) != len(names):
            raise ValueError(f"its members' names repeat: {names}")
        if MANIFEST not in names and archive.comment != MARKER:  # saved before the manifest, or by numpy
            return OrderedDict((name[:-len(".npy")], _read_array(archive, member, file_size))
                               for name, member in zip(names, members, strict=True))
        entries = _manifest(archive, file_size)
        expected = [entry["member"] for entry in entries] + [MANIFEST]
        if names != expected:
            raise ValueError(f"its members are {names}, its manifest lists {expected}")
        return OrderedDict((entry["key"], _read_array(archive, member, file_size, entry))
                           for entry, member in zip(entries, members, strict=False))


def _manifest(archive: zipfile.ZipFile, file_size: int) -> list[dict]:
    """The manifest's entries, each checked to have the fields and types ``save`` writes."""
    if MANIFEST not in archive.namelist():
        raise ValueError(f"its manifest {MANIFEST} is missing")
    _check_size(archive.getinfo(MANIFEST), file_size)
    manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))  # read whole: zip's CRC-32 checked
    if not isinstance(manifest, dict) or {k: manifest.get(k) for k in FORMAT} != FORMAT:
        raise ValueError(f"its manifest is not {FORMAT}")
    entries = manifest.get("arrays")
    good = isinstance(entries, list) and all(
        isinstance(entry, dict) and entry.keys() == ENTRY_FIELDS.keys()
        and all(type(entry[field]) is kind for field, kind in ENTRY_FIELDS.items())
        and all(type(size) is int and size >= 0 for size in entry["shape"]) for entry in entries)
    if not good or len({entry["key"] for entry in entries}) != len(entries):
        raise ValueError("its manifest's list of arrays is malformed")
    return entries


def _check_size(member: zipfile.ZipInfo, file_size: int) -> None:
    """Refuse a member whose sizes the file cannot hold, before anything is allocated for it."""
    most = member.compress_size if member.compress_type == zipfile.ZIP_STORED else \
        member.compress_size * DEFLATE_RATIO
    if member.compress_size > file_size or member.file_size > most:
        raise ValueError(f"{member.filename!r} claims {member.file_size} bytes, more than the "
                         f"{file_size}-byte file can hold")


def _read_array(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file_size: int,
                entry: dict | None = None) -> np.ndarray:
    """The ``.npy`` member as an array, checked against its manifest ``entry`` (when there is one):
    dtype, shape, size, every byte's SHA-256, and zip's CRC-32."""
    if not member.filename.endswith(".npy"):
        raise ValueError(f"{member.filename!r} is not a .npy array")
    _check_size(member, file_size)
    with archive.open(member) as stream:
        file = _Hashing(stream)
        version = np.lib.format.read_magic(file)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"{member.filename!r} is a .npy file of version {version}, not 1.0 or 2.0")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(file)
        if entry is not None and (dtype.str, list(shape), fortran_order) != \
                (entry["dtype"], entry["shape"], entry["fortran_order"]):
            raise ValueError(f"{member.filename!r}'s header says {dtype.str} {shape}, its manifest "
                             f"{entry['dtype']} {tuple(entry['shape'])}")
        if dtype.kind not in SAVEABLE_KINDS:
            raise ValueError(f"{member.filename!r} holds dtype {dtype}, not numbers")
        count = math.prod(shape)
        if file.count + count * dtype.itemsize != member.file_size:
            raise ValueError(f"{member.filename!r}'s header says {shape} {dtype} ({count * dtype.itemsize} bytes), "
                             f"its member holds {member.file_size - file.count}")
        flat = np.empty(count, dtype)
        _read_into(file, flat.view(np.uint8))
        if file.read(1) or (entry is not None and file.hash.hexdigest() != entry["sha256"]):
            raise ValueError(f"{member.filename!r} does not match its checksum")
    return flat.reshape(shape, order="F" if fortran_order else "C")


def _read_into(file: _Hashing, buffer: np.ndarray) -> None:
    """Fill ``buffer`` (bytes) from ``file``, a chunk at a time: no second copy of a big array."""
    done = 0
    while done < buffer.size:
        chunk = file.read(min(CHUNK, buffer.size - done))
        if not chunk:
            raise ValueError("the data ends early")
        buffer[done:done + len(chunk)] = np.frombuffer(chunk, np.uint8)
        done += len(chunk)
