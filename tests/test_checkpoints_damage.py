"""Checkpoints: ``load`` returns exactly what ``save`` wrote or raises one ValueError, whatever
happened to the file; keys of any kind come back exactly; zip64 for big arrays; a symbolic
link is written through, as torch.save writes through it; files from before the manifest
still load.

The 2 GiB case runs as ``python tests/scripts/checkpoint_2gib.py``, not in the suite.
"""

from __future__ import annotations

import errno
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import serialization

DATA = Path(__file__).parent / "data"


def assert_same_state(loaded, expected):
    """The same keys in the same order, each array with the same dtype, shape, layout and bits."""
    assert list(loaded) == list(expected)
    for key, array in expected.items():
        array = np.asarray(array)
        assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape, key
        assert loaded[key].tobytes() == array.tobytes(), key  # bits: NaN's and -0.0's too
        assert loaded[key].flags.writeable, key


# ---------------------------------------------------------------- damage

SMALL = {"w": np.array([1.5, -2.0], dtype=np.float32)}


def test_every_single_bit_flip_loads_the_original_or_raises_value_error(tmp_path):
    """Each of the file's bits flipped in turn (a file of a few hundred bytes: about 5,000 loads)."""
    tg.save(SMALL, tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    assert len(data) < 1000
    damaged_path, outcomes = tmp_path / "damaged.npz", {"original": 0, "ValueError": 0}
    for bit in range(8 * len(data)):
        damaged = bytearray(data)
        damaged[bit // 8] ^= 1 << (bit % 8)
        damaged_path.write_bytes(damaged)
        try:
            loaded = tg.load(damaged_path)
        except ValueError as error:
            assert str(error).startswith(f"load: {str(damaged_path)!r} is not a state dict"), (bit, error)
            outcomes["ValueError"] += 1
            continue
        assert_same_state(loaded, SMALL)  # a flip in a byte nobody reads (a date, a local header's copy)
        outcomes["original"] += 1
    assert outcomes["ValueError"] > 0.5 * 8 * len(data) and outcomes["original"] > 0, outcomes


def loads_the_original_or_raises_value_error(path) -> bool:
    """True if ``load(path)`` gave exactly SMALL, False if it raised ValueError; anything else fails."""
    try:
        loaded = tg.load(path)
    except ValueError:
        return False
    assert_same_state(loaded, SMALL)
    return True


def test_every_cut_off_end_and_appended_junk_loads_the_original_or_raises_value_error(tmp_path):
    tg.save(SMALL, tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    loaded = []
    for end in range(1, len(data)):
        (tmp_path / "cut.npz").write_bytes(data[:end])
        if loads_the_original_or_raises_value_error(tmp_path / "cut.npz"):
            loaded.append(len(data) - end)
    assert loaded == list(range(len(serialization.MARKER), 0, -1))  # only a cut into the archive's comment
    for junk in (b"\x00" * 50, b"PK\x05\x06" + bytes(18), data):
        (tmp_path / "longer.npz").write_bytes(data + junk)
        loads_the_original_or_raises_value_error(tmp_path / "longer.npz")


def stored_zip(members: dict[str, bytes], comment: bytes = b"") -> bytes:
    """A zip archive of ``members`` with correct CRCs: damage that zip's own checks cannot see."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        archive.comment = comment
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def lying_npy(shape: tuple) -> bytes:
    """A .npy file whose header claims ``shape`` (float64) but holds two numbers."""
    good = npy_bytes(np.zeros(2))
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode("latin1")
    header_length = struct.unpack("<H", good[8:10])[0]
    return good[:10] + header.ljust(header_length - 1) + b"\n" + good[10 + header_length:]


@pytest.fixture
def no_big_allocations(monkeypatch):
    """Fail the test if anything asks numpy for an array of more than a megabyte."""
    empty = np.empty

    def small_empty(shape, dtype=float, *args, **kwargs):
        assert np.prod(shape, dtype=object) * np.dtype(dtype).itemsize <= 2**20, f"allocated {shape} {dtype}"
        return empty(shape, dtype, *args, **kwargs)

    monkeypatch.setattr(np, "empty", small_empty)


@pytest.mark.parametrize("shape", [(10**12,), (10**6, 10**6), (2**62, 4)])
def test_a_header_claiming_more_than_the_file_holds_is_refused_before_allocating(tmp_path, no_big_allocations,
                                                                               shape):
    path = tmp_path / "lying.npz"
    path.write_bytes(stored_zip({"w.npy": lying_npy(shape)}))  # correct CRCs: only the sizes can tell
    with pytest.raises(ValueError, match=r"'w\.npy''s header says .* its member holds 16"):
        tg.load(path)


def test_a_manifest_claiming_a_huge_array_is_refused_before_allocating(tmp_path, no_big_allocations):
    tg.save(SMALL, tmp_path / "good.npz")
    with zipfile.ZipFile(tmp_path / "good.npz") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members[serialization.MANIFEST])
    manifest["arrays"][0]["shape"] = [10**12]
    members[serialization.MANIFEST] = json.dumps(manifest).encode()
    (tmp_path / "lying.npz").write_bytes(stored_zip(members, serialization.MARKER))
    with pytest.raises(ValueError, match=r"header says <f4 \(2,\), its manifest <f4 \(1000000000000,\)"):
        tg.load(tmp_path / "lying.npz")


def test_a_zip_entry_claiming_more_bytes_than_the_file_is_refused(tmp_path, no_big_allocations):
    data = bytearray(stored_zip({"w.npy": npy_bytes(np.zeros(2))}))
    directory = data.index(b"PK\x01\x02")  # the central directory's entry: its uncompressed size at +24
    data[directory + 24:directory + 28] = struct.pack("<I", 2**32 - 2)
    (tmp_path / "lying.npz").write_bytes(data)
    with pytest.raises(ValueError, match=r"claims 4294967294 bytes, more than the \d+-byte file can hold"):
        tg.load(tmp_path / "lying.npz")


def flag_damage(data: bytes, offset: int, value: bytes) -> bytes:
    """``data`` with the central directory entry's bytes at ``offset`` replaced by ``value``."""
    damaged = bytearray(data)
    start = damaged.index(b"PK\x01\x02") + offset
    damaged[start:start + len(value)] = value
    return bytes(damaged)


@pytest.mark.parametrize("what, offset, value", [
    ("an unknown compression method (zipfile: NotImplementedError)", 10, struct.pack("<H", 99)),
    ("the encrypted flag (zipfile: RuntimeError, password required)", 8, struct.pack("<H", 1)),
    ("a local header past the end (zipfile: OSError or BadZipFile)", 42, struct.pack("<I", 2**31)),
])
def test_damage_that_zipfile_reports_in_its_own_ways_is_one_value_error(tmp_path, what, offset, value):
    tg.save(SMALL, tmp_path / "good.npz")
    (tmp_path / "damaged.npz").write_bytes(flag_damage((tmp_path / "good.npz").read_bytes(), offset, value))
    with pytest.raises(ValueError, match=r"^load: .* is not a state dict written by save, or it is damaged"):
        tg.load(tmp_path / "damaged.npz")


def test_a_member_removed_from_the_archive_is_refused_not_left_out(tmp_path):
    state = {"w": np.ones(2), "b": np.zeros(1)}
    tg.save(state, tmp_path / "full.npz")
    with zipfile.ZipFile(tmp_path / "full.npz") as archive:
        members = {name: archive.read(name) for name in archive.namelist() if name != "b.npy"}
    (tmp_path / "partial.npz").write_bytes(stored_zip(members, serialization.MARKER))
    with pytest.raises(ValueError, match=r"its members are \['w\.npy', 'tinygrad_edu\.manifest\.json'\], "
                                         r"its manifest lists \['w\.npy', 'b\.npy', "):
        tg.load(tmp_path / "partial.npz")


def test_numbers_changed_behind_zips_back_are_caught_by_the_manifests_checksum(tmp_path):
    tg.save(SMALL, tmp_path / "good.npz")
    with zipfile.ZipFile(tmp_path / "good.npz") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["w.npy"] = npy_bytes(np.array([1.5, -2.5], dtype=np.float32))  # new CRC, same header
    (tmp_path / "changed.npz").write_bytes(stored_zip(members, serialization.MARKER))
    with pytest.raises(ValueError, match=r"'w\.npy' does not match its checksum"):
        tg.load(tmp_path / "changed.npz")


def test_a_lost_manifest_is_refused_when_the_comment_says_there_was_one(tmp_path):
    tg.save(SMALL, tmp_path / "good.npz")
    with zipfile.ZipFile(tmp_path / "good.npz") as archive:
        members = {"w.npy": archive.read("w.npy")}
    (tmp_path / "no_manifest.npz").write_bytes(stored_zip(members, serialization.MARKER))
    with pytest.raises(ValueError, match=r"its manifest tinygrad_edu\.manifest\.json is missing"):
        tg.load(tmp_path / "no_manifest.npz")


# ---------------------------------------------------------------- keys

HOSTILE_KEYS = ["a\x00b", "a%00b", "\x00", "", "\ud800", "x\udfffy", "c\\d", "../../etc/passwd", "/abs",
                "w.npy", "tinygrad_edu.manifest.json", "ŷ.σ", "🙂", "tab\there", "k" * 5000, "w"]


def test_every_key_comes_back_exactly_in_its_order(tmp_path):
    state = {key: np.full(2, index, dtype=np.int16) for index, key in enumerate(HOSTILE_KEYS)}
    tg.save(state, tmp_path / "keys.npz")
    assert_same_state(tg.load(tmp_path / "keys.npz"), state)


def test_a_key_with_a_nul_came_back_cut_before_the_manifest(tmp_path):
    """What the issue reported: 'a\\x00b' came back 'a'. The member is now percent-encoded for zip
    (numpy.load shows that name), and the manifest gives the key back."""
    tg.save({"a\x00b": np.ones(2)}, tmp_path / "nul.npz")
    assert list(tg.load(tmp_path / "nul.npz")) == ["a\x00b"]
    with np.load(tmp_path / "nul.npz") as plain:
        assert plain.files == ["a%00b", serialization.MANIFEST]


@given(keys=st.lists(st.text(max_size=8), min_size=1, max_size=5, unique=True))
def test_any_text_keys_round_trip(tmp_path_factory, keys):
    path = tmp_path_factory.mktemp("keys") / "model.npz"
    state = {key: np.arange(index + 1.0) for index, key in enumerate(keys)}
    tg.save(state, path)
    assert_same_state(tg.load(path), state)


def test_torch_also_gives_a_nul_key_back_exactly(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")
    torch.save({"a\x00b": torch.ones(2)}, tmp_path / "model.pt")
    assert list(torch.load(tmp_path / "model.pt")) == ["a\x00b"]
    tg.save({"a\x00b": np.ones(2)}, tmp_path / "model.npz")
    assert list(tg.load(tmp_path / "model.npz")) == ["a\x00b"]


# ---------------------------------------------------------------- every kind of array

ARRAYS = {
    "float64 matrix": np.arange(6.0).reshape(3, 2),
    "float32 with nan, inf, -0.0": np.array([np.nan, np.inf, -0.0, 1e-45], dtype=np.float32),
    "0-d int64": np.array(7, dtype=np.int64),
    "bool": np.array([True, False]),
    "complex": np.array([1 + 2j, -3j], dtype=np.complex64),
    "big-endian": np.arange(3, dtype=">i4"),
    "Fortran order": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "a transposed view": np.arange(12.0).reshape(3, 4)[::2, 1:].T,
    "empty": np.zeros((0, 3), dtype=np.float16),
    "uint8": np.arange(256, dtype=np.uint8),
}


def test_every_kind_of_array_round_trips_with_its_dtype_shape_and_layout(tmp_path):
    tg.save(ARRAYS, tmp_path / "arrays.npz")
    loaded = tg.load(tmp_path / "arrays.npz")
    assert_same_state(loaded, {key: np.asarray(array) for key, array in ARRAYS.items()})
    assert loaded["Fortran order"].flags.f_contiguous and not loaded["Fortran order"].flags.c_contiguous
    with np.load(tmp_path / "arrays.npz") as plain:  # numpy reads it too
        np.testing.assert_array_equal(plain["float64 matrix"], ARRAYS["float64 matrix"])


# ---------------------------------------------------------------- zip64

def test_zip64_forced_on_a_small_array_is_written_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "ZIP64_FROM", 0)  # as an array of 2 GiB or more gets it
    tg.save(ARRAYS, tmp_path / "zip64.npz")
    data = (tmp_path / "zip64.npz").read_bytes()
    extra_length = struct.unpack("<H", data[28:30])[0]
    name_length = struct.unpack("<H", data[26:28])[0]
    extra = data[30 + name_length:30 + name_length + extra_length]
    assert struct.unpack("<H", extra[:2])[0] == 0x0001  # the zip64 extra field of the first local header
    assert_same_state(tg.load(tmp_path / "zip64.npz"), {key: np.asarray(a) for key, a in ARRAYS.items()})
    with np.load(tmp_path / "zip64.npz") as plain:
        np.testing.assert_array_equal(plain["uint8"], ARRAYS["uint8"])


def test_without_forcing_small_arrays_get_no_zip64(tmp_path):
    tg.save(SMALL, tmp_path / "small.npz")
    assert struct.unpack("<H", (tmp_path / "small.npz").read_bytes()[28:30])[0] == 0


# ---------------------------------------------------------------- symbolic links

def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "links").mkdir()
    target, link = tmp_path / "runs" / "model.npz", tmp_path / "links" / "latest.npz"
    tg.save({"old": np.zeros(1)}, target)
    link.symlink_to(target)
    tg.save(SMALL, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert_same_state(tg.load(target), SMALL)
    assert sorted(p.name for p in (tmp_path / "links").iterdir()) == ["latest.npz"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["model.npz"]


def test_the_temporary_file_is_made_in_the_targets_folder(tmp_path, monkeypatch):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "model.npz", tmp_path / "latest.npz"
    link.symlink_to(target)  # dangling: the save makes the target, as open(link, "wb") would
    replaced, replace = [], os.replace
    monkeypatch.setattr(os, "replace", lambda source, destination: replaced.append((source, destination))
                        or replace(source, destination))
    tg.save(SMALL, link)
    [(source, destination)] = replaced
    assert Path(source).parent == tmp_path / "runs" and destination == str(target)
    assert link.is_symlink() and target.is_file()


def test_a_relative_symlink_in_a_chain_of_links_is_followed(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "model.npz").write_bytes(b"old")
    (tmp_path / "runs" / "best.npz").symlink_to("model.npz")
    (tmp_path / "latest.npz").symlink_to("runs/best.npz")
    tg.save(SMALL, tmp_path / "latest.npz")
    assert (tmp_path / "latest.npz").is_symlink() and (tmp_path / "runs" / "best.npz").is_symlink()
    assert_same_state(tg.load(tmp_path / "runs" / "model.npz"), SMALL)


def test_a_loop_of_links_is_an_os_error_and_writes_nothing(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OSError) as raised:
        tg.save(SMALL, tmp_path / "a")
    assert raised.value.errno == errno.ELOOP
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_symlink_to_a_folder_is_refused_like_the_folder(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "folder")
    with pytest.raises(IsADirectoryError, match=r"^save: '.*link' is a folder"):
        tg.save(SMALL, tmp_path / "link")


def test_torch_save_also_writes_through_a_symlink(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")
    for save, name in [(lambda path: torch.save({"w": torch.ones(2)}, path), "torch"),
                       (lambda path: tg.save({"w": np.ones(2)}, path), "tinygrad_edu")]:
        target, link = tmp_path / f"{name}_target", tmp_path / f"{name}_link"
        target.write_bytes(b"old")
        link.symlink_to(target)
        save(link)
        assert link.is_symlink() and target.read_bytes() != b"old", name


# ---------------------------------------------------------------- files from before

def test_a_checkpoint_saved_before_the_manifest_still_loads():
    """tests/data's file was written by the save of before (no manifest, no comment)."""
    expected = {"0.weight": np.arange(6.0).reshape(3, 2), "0.bias": np.array([0.5, -1.5, 2.25], dtype=np.float32),
                "steps": np.array(7, dtype=np.int64), "mask": np.array([True, False]),
                "ŷ.scale": np.array([1 + 2j])}
    assert_same_state(tg.load(DATA / "checkpoint_saved_before_the_manifest.npz"), expected)


@pytest.mark.parametrize("write", [np.savez, np.savez_compressed])
def test_numpy_savez_files_load(tmp_path, write):
    write(tmp_path / "plain.npz", w=np.arange(4.0), b=np.zeros((1000, 10)))
    loaded = tg.load(tmp_path / "plain.npz")
    assert sorted(loaded) == ["b", "w"] and loaded["b"].shape == (1000, 10)
    np.testing.assert_array_equal(loaded["w"], np.arange(4.0))


def test_every_bit_flip_in_an_old_files_zip_directory_loads_it_whole_or_raises_value_error(tmp_path):
    """Without a manifest only zip's structure can tell: a flipped comment length once ended the
    reading of the directory early, and the file loaded with entries missing. (Flips in the arrays'
    bytes are zip's CRC-32's: the next test.)"""
    data = (DATA / "checkpoint_saved_before_the_manifest.npz").read_bytes()
    expected = tg.load(DATA / "checkpoint_saved_before_the_manifest.npz")
    damaged_path = tmp_path / "damaged.npz"
    for bit in range(8 * data.index(b"PK\x01\x02"), 8 * len(data)):  # the central directory and its end
        damaged = bytearray(data)
        damaged[bit // 8] ^= 1 << (bit % 8)
        damaged_path.write_bytes(damaged)
        try:
            loaded = tg.load(damaged_path)
        except ValueError:
            continue
        assert_same_state(loaded, expected)


def test_an_old_file_with_a_damaged_array_is_one_value_error(tmp_path):
    data = bytearray((DATA / "checkpoint_saved_before_the_manifest.npz").read_bytes())
    data[data.index(b"\x93NUMPY") + 130] ^= 1  # the first array's numbers: zip's CRC-32 sees it
    (tmp_path / "old.npz").write_bytes(data)
    with pytest.raises(ValueError, match=r"Bad CRC-32"):
        tg.load(tmp_path / "old.npz")
