"""The runner's parts on their own: the wire format, the confinement, the hidden references, and
course/'s layers (a runner, a toolkit the checks use, the checks, shared strategies: no import cycle,
and nothing that judges imported where student code runs)."""

import ast
import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from support import ROOT

import tinygrad_edu.course as course
from tinygrad_edu.course import contract, hidden, wire

COURSE = Path(course.__file__).parent
CHILD_SIDE = {"child", "confine", "hidden", "swap", "contract", "actions", "zygote", "wire", "examples", "tasks"}
JUDGES = {"toolkit", "strategies", "grading", "feedback", "reports", "cli", "batch", "points", "classroom",
          "gradescope", "runner", "workspace"} | {p.stem for p in COURSE.glob("checks_*.py")}


# ---------------------------------------------------------------- the wire

def test_a_message_round_trips_with_its_arrays():
    message = {"a": [np.arange(6.0).reshape(2, 3), None, True, 1.5, "x"], "b": {"c": np.float32(2), "d": []}}
    back = wire.decode(wire.encode(message))
    assert back["a"][1:] == [None, True, 1.5, "x"] and back["b"]["d"] == []
    assert np.array_equal(back["a"][0], message["a"][0]) and back["b"]["c"].dtype == np.float32


def forged(header: dict, arrays: list[bytes]) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(4, "big") + text + b"".join(len(a).to_bytes(8, "big") + a for a in arrays)


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


@pytest.mark.parametrize("body", [
    forged({"$array": 0}, [npy(np.array([object()], dtype=object), allow_pickle=True)]),  # a pickle inside npy
    forged({"$array": 0}, [npy(np.array(["text"]))]),
    forged({"$array": 3}, [npy(np.zeros(2))]),
    b"\x00\x00\x00\x05{not json",
    b"\xff\xff\xff\xff",
    forged([[[[]]]], []).replace(b"[[[[]]]]", b"[" * 100000 + b"]" * 100000),
])
def test_a_forged_message_is_refused_and_runs_nothing(body):
    with pytest.raises(wire.WireError):
        wire.decode(body)


def test_an_oversized_message_is_refused_before_it_is_read():
    import os

    read, write = os.pipe()
    os.write(write, (wire.MAX_MESSAGE + 1).to_bytes(8, "big"))
    with pytest.raises(wire.WireError):
        wire.receive(read, deadline=None)


def test_nothing_of_the_course_unpickles():
    for path in COURSE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "import pickle" not in source and "pickle.load" not in source, path.name
        assert "allow_pickle=True" not in source, path.name


# ---------------------------------------------------------------- the layers

def imports(path: Path) -> set[str]:
    """The course modules ``path`` imports, function-local imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found |= {node.module} if node.module else {alias.name for alias in node.names}
            elif node.module and node.module.startswith("tinygrad_edu.course."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("tinygrad_edu.course.")}
    return {name.split(".")[0] for name in found} - {"templates"}


def external_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


GRAPH = {path.stem: imports(path) for path in COURSE.glob("*.py") if path.stem != "__init__"}


def test_no_course_module_imports_one_that_imports_it_back():
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in GRAPH.get(module, ()):
            assert state.get(target) != "open", f"import cycle: {' → '.join(path + [target])}"
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in GRAPH:
        if module not in state:
            visit(module, [module])


def test_the_child_side_imports_nothing_that_judges():
    for module in CHILD_SIDE:
        assert not GRAPH[module] & JUDGES, (module, GRAPH[module] & JUDGES)
        assert "hypothesis" not in {name.split(".")[0] for name in external_imports(COURSE / f"{module}.py")}, module


def test_the_grader_side_never_imports_the_child_s_main():
    for module in JUDGES:
        assert not GRAPH.get(module, set()) & {"child", "zygote", "actions", "confine", "hidden"}, module


# ---------------------------------------------------------------- hidden references, read-only copies

def test_every_hidden_reference_names_something_that_exists():
    for paths in hidden.HIDDEN.values():
        for path in paths:
            owner, name = hidden.resolve(path)
            assert callable(getattr(owner, name)), path


def test_a_frozen_array_is_a_copy_whose_write_flag_cannot_reach_the_original():
    original = np.zeros(3)
    copy = contract.frozen(original)
    with pytest.raises(ValueError, match="read-only"):
        copy += 1
    copy.flags.writeable = True
    copy += 1
    assert np.array_equal(original, np.zeros(3))


# ---------------------------------------------------------------- the confinement

CONFINED = textwrap.dedent("""
    import os, socket, subprocess, sys, ctypes
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import tinygrad_edu
    from tinygrad_edu.course import confine
    folder, outside = Path({folder!r}), Path({outside!r})
    layers = confine.confine(folder, 30)
    def attempt(name, act):
        try:
            act()
            print(name, "allowed")
        except Exception as error:
            print(name, "refused", type(error).__name__)
    attempt("write inside", lambda: (folder / "a.txt").write_text("ok"))
    attempt("write outside", lambda: outside.write_text("x"))
    attempt("remove outside", lambda: os.remove(outside))
    attempt("rename outside", lambda: os.rename(outside, folder / "b"))
    attempt("chmod outside", lambda: os.chmod(outside, 0o777))
    attempt("symlink", lambda: os.symlink(outside, folder / "link"))
    attempt("open a folder", lambda: os.open(str(folder), os.O_RDONLY))
    attempt("subprocess", lambda: subprocess.run(["true"]))
    attempt("system", lambda: os.system("true"))
    attempt("ctypes", lambda: ctypes.CDLL(None))
    attempt("socket", lambda: socket.socket())
    attempt("signal another process", lambda: os.kill(os.getppid(), 0))
    attempt("another process's memory", lambda: open(f"/proc/{{os.getppid()}}/mem", "rb"))
    attempt("read the engine's code", lambda: open(tinygrad_edu.ops.__file__).read())
    attempt("read the solutions", lambda: Path(tinygrad_edu.__file__).parent.joinpath(
        "course", "templates", "part1_derivatives.py.txt").read_text())
    attempt("import a module not yet imported", lambda: __import__("tinygrad_edu.viz.page"))
    attempt("read numpy's files", lambda: open(os.path.join(os.path.dirname(__import__("numpy").__file__),
                                                             "__init__.py")).read())
    print("layers", layers)
""")


def test_a_confined_process_may_write_only_in_its_folder_and_may_not_start_programs(tmp_path):
    folder, outside = tmp_path / "folder", tmp_path / "outside.txt"
    folder.mkdir()
    outside.write_text("keep")
    code = CONFINED.format(root=str(ROOT), folder=str(folder), outside=str(outside))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    outcome = dict(re.fullmatch(r"(.*) (allowed|refused)( \w+)?", line).groups()[:2]
                   for line in result.stdout.splitlines() if not line.startswith("layers"))
    allowed = {"write inside", "import a module not yet imported", "read numpy's files"}
    assert {name for name, verdict in outcome.items() if verdict == "allowed"} == allowed, result.stdout
    assert len(outcome) == 17 and outside.read_text() == "keep"
    assert "audit hook" in result.stdout.splitlines()[-1]


def test_too_many_arrays_in_one_message_are_refused():
    with pytest.raises(wire.WireError):
        wire.decode(forged({"$array": 0}, [npy(np.zeros(1))] * (wire.MAX_ARRAYS + 1)))


def test_a_fork_server_that_died_is_started_again(tmp_path):
    import os
    import signal

    from tinygrad_edu.course import runner, workspace
    from tinygrad_edu.course.grading import grade_workspace

    workspace.start(tmp_path / "ws", solutions=True)
    server = runner.ForkServer()
    try:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        assert [r.status for r in grade_workspace(tmp_path / "ws", ["4.1", "4.2"], start_with=server)] == ["passed"] * 2
    finally:
        server.close()


def test_a_plugged_in_part_is_what_the_engine_runs():
    """The swap reaches the names the engine calls (the walk's topological_order lives in a module of
    the autograd package), and puts every original back."""
    from tinygrad_edu import Value, autograd, ops
    from tinygrad_edu.course import swap

    called = []

    def order(root):
        called.append("order")
        return reference(root)

    def unbroadcast(grad, shape):
        called.append("unbroadcast")
        return reference_unbroadcast(grad, shape)

    reference, reference_unbroadcast = autograd.topological_order, ops.unbroadcast
    originals = (autograd.topological_order, autograd.reverse_mode.topological_order, ops.unbroadcast)
    with swap.plugged(swap.plugs_for({"topological_order": order, "unbroadcast": unbroadcast})):
        x = Value(np.ones(3), requires_grad=True)
        (x * Value(np.ones((2, 3)))).sum().backward()
    assert called.count("order") == 1 and "unbroadcast" in called
    assert originals == (autograd.topological_order, autograd.reverse_mode.topological_order, ops.unbroadcast)
