"""The messages between the grader and the child process that runs a student's code.

A message is JSON for its structure and numpy's ``.npy`` format for its
arrays, never pickle: reading either cannot run code. So a child whose student
code forges a reply can make the grader read wrong numbers, which is no more
than a wrong answer, but nothing else. The reader also caps what it reads (a
reply of a gigabyte is an error, not an allocation) and accepts only arrays of
booleans and numbers.

One message on the pipe: 8 bytes of length, then the body: 4 bytes of JSON
length, the JSON, and each array as 8 bytes of length and its ``.npy`` bytes.
In the JSON, ``{"$array": k}`` stands for the k-th array.
"""

from __future__ import annotations

import io
import json
import os
import select
import time
from typing import Any

import numpy as np

MAX_MESSAGE = 64 * 2**20  # bytes
MAX_JSON = 4 * 2**20
MAX_ARRAYS = 10_000  # arrays in one message (a reply holds a few; decoding each costs time)
NUMBER_KINDS = "biufc"  # bool, int, unsigned, float, complex: no objects, strings or records

__all__ = ["WireError", "decode", "encode", "receive", "send"]


class WireError(Exception):
    """A message that cannot be read: too large, not JSON and npy, or an array that is not numbers."""


def encode(message: Any) -> bytes:
    """The body of ``message``: dicts with str keys, lists, tuples, str, numbers, None, bool, numpy arrays."""
    arrays: list[bytes] = []

    def plain(value: Any) -> Any:
        if isinstance(value, (np.ndarray, np.generic)):
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(value), allow_pickle=False)
            arrays.append(buffer.getvalue())
            return {"$array": len(arrays) - 1}
        if isinstance(value, dict):
            return {str(key): plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value

    header = json.dumps(plain(message)).encode("utf-8")
    parts = [len(header).to_bytes(4, "big"), header]
    for blob in arrays:
        parts += [len(blob).to_bytes(8, "big"), blob]
    return b"".join(parts)


def decode(body: bytes) -> Any:
    """The message ``encode`` made; WireError for anything else."""
    try:
        size = int.from_bytes(body[:4], "big")
        if size > MAX_JSON or 4 + size > len(body):
            raise WireError(f"a JSON part of {size} bytes")
        structure = json.loads(body[4:4 + size].decode("utf-8"))
        arrays, offset = [], 4 + size
        while offset < len(body):
            if len(arrays) == MAX_ARRAYS:
                raise WireError(f"more than {MAX_ARRAYS} arrays")
            length = int.from_bytes(body[offset:offset + 8], "big")
            arrays.append(_array(body[offset + 8:offset + 8 + length]))
            offset += 8 + length
    except (ValueError, UnicodeDecodeError, RecursionError, OSError) as error:
        raise WireError(f"not a message: {error}") from None
    return _rebuild(structure, arrays)


def _array(blob: bytes) -> np.ndarray:
    array = np.load(io.BytesIO(blob), allow_pickle=False)
    if array.dtype.kind not in NUMBER_KINDS:
        raise WireError(f"an array of dtype {array.dtype}, not of numbers")
    return array


def _rebuild(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$array"}:
            index = value["$array"]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise WireError(f"no array {index!r}")
            return arrays[index]
        return {key: _rebuild(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebuild(item, arrays) for item in value]
    return value


def send(fd: int, message: Any) -> None:
    """Write one message to the pipe ``fd``."""
    body = encode(message)
    data = memoryview(len(body).to_bytes(8, "big") + body)
    while data:
        data = data[os.write(fd, data):]


def receive(fd: int, deadline: float | None = None) -> Any:
    """Read one message from the pipe ``fd``; EOFError when it closes, TimeoutError at ``deadline``
    (a ``time.monotonic()`` value; None waits for ever)."""
    length = int.from_bytes(_read(fd, 8, deadline), "big")
    if length > MAX_MESSAGE:
        raise WireError(f"a message of {length} bytes (at most {MAX_MESSAGE})")
    return decode(_read(fd, length, deadline))


def _read(fd: int, count: int, deadline: float | None) -> bytes:
    chunks, left = [], count
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 2**20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
