"""The grader's side of a child process: start it, ask it for actions, stop it at its deadline.

``Child`` copies the student's files into a fresh temporary folder (the
child's working directory, the only place it may write), starts a child
process for one task (forked from a ``ForkServer`` on Linux, a new
interpreter elsewhere), sends it the task, and then relays the checks'
requests. Every wait has the task's deadline: when it passes, the child's
whole process group is killed. What the child printed is read by a thread
and kept up to a cap; the rest is counted, not stored.

Two kinds of trouble come back as exceptions:

* ``StudentRaised``: the student's code raised (the child sent the exception
  as data). An ordinary Exception: a check may catch it per example.
* ``ChildGone``: the child stopped answering (timeout, crash, ``os._exit``,
  a reply that cannot be read). A BaseException, so that hypothesis does not
  try to shrink it: there is no child left to ask.
* ``ReferenceUsed``: the student's code called a reference implementation
  hidden while its task is graded (``hidden.py``). A BaseException too: the
  verdict is an error whatever the numbers, so there is nothing to shrink.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import wire

__all__ = ["Child", "ChildGone", "ForkServer", "ReferenceUsed", "Spawner", "StudentRaised", "launcher"]

OUTPUT_KEPT = 64 * 1024  # bytes of a child's output kept; the rest is counted
ROOT = str(Path(__file__).resolve().parent.parent.parent)  # the folder that holds this tinygrad_edu


class ChildGone(BaseException):
    """The child process stopped answering; ``reason`` says how, in a sentence."""

    def __init__(self, reason: str, timed_out: bool = False):
        super().__init__(reason)
        self.reason, self.timed_out = reason, timed_out


class ReferenceUsed(BaseException):
    """The student's code called these hidden references (``names``); ``info``: the exception, if the
    student's code let it through (where it was called from)."""

    def __init__(self, names: list[str], info: dict | None):
        super().__init__(", ".join(names))
        self.names, self.info = names, info


class StudentRaised(Exception):
    """The student's code raised in the child; ``info`` is what ``child.describe`` sent."""

    def __init__(self, info: dict):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.info = info


def environment() -> dict[str, str]:
    """A child's environment: nothing of the grader's (no tokens, no PYTHONPATH), one BLAS thread."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
            "PYTHONIOENCODING": "utf-8:backslashreplace", "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def python(code: str, *arguments: str) -> list[str]:
    """A command that runs ``code`` with this tinygrad_edu first on the path (-P: not the working folder)."""
    return [sys.executable, "-P", "-c", f"import sys; sys.path.insert(0, {ROOT!r}); {code}", *arguments]


# ---------------------------------------------------------------- output

class Output:
    """A thread that reads a child's stdout and stderr (one pipe), keeping the first ``OUTPUT_KEPT`` bytes."""

    def __init__(self, fd: int):
        self.fd, self.kept, self.total, self.lines = fd, bytearray(), 0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        while not self.stop.is_set():
            if not select.select([self.fd], [], [], 0.1)[0]:
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            self.total += len(chunk)
            self.lines += chunk.count(b"\n")
            if len(self.kept) < OUTPUT_KEPT:
                self.kept += chunk[:OUTPUT_KEPT - len(self.kept)]

    def close(self) -> None:
        self.thread.join(timeout=1)
        self.stop.set()
        self.thread.join(timeout=1)
        os.close(self.fd)

    def text(self) -> str:
        return self.kept.decode("utf-8", "replace")


# ---------------------------------------------------------------- starting children

class Process:
    """A started child: the grader's ends of its pipes, and how to kill it and learn how it ended."""

    def __init__(self, requests: int, replies: int, output: int, kill, status):
        self.requests, self.replies, self.output = requests, replies, Output(output)
        self.kill, self.status = kill, status


def pipes() -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(requests read, write), (replies read, write), (output read, write)."""
    return os.pipe(), os.pipe(), os.pipe()


class Spawner:
    """A new interpreter per child: what every platform can do (a third of a second each)."""

    def launch(self, folder: Path) -> Process:
        (requests_r, requests_w), (replies_r, replies_w), (output_r, output_w) = pipes()
        process = subprocess.Popen(
            python("from tinygrad_edu.course.child import main; main(int(sys.argv[1]), int(sys.argv[2]))",
                   str(requests_r), str(replies_w)),
            pass_fds=(requests_r, replies_w), stdin=subprocess.DEVNULL, stdout=output_w, stderr=output_w,
            cwd=folder, env=environment(), start_new_session=True)
        for fd in (requests_r, replies_w, output_w):
            os.close(fd)

        def kill() -> None:
            for send in (os.killpg, os.kill):
                try:
                    send(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

        def status(seconds: float) -> int | None:
            try:
                code = process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                return None
            return (-code) if code < 0 else code << 8  # as a wait status

        return Process(requests_w, replies_r, output_r, kill, status)

    def close(self) -> None:
        pass


class ForkServer:
    """One ``zygote.serve`` process per grader, forking each child (a few milliseconds each; Linux).

    If it is gone (nothing a student's code may do can kill it, but a machine under memory
    pressure can), the next launch starts a new one.
    """

    def __init__(self):
        self.start()

    def start(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            python("from tinygrad_edu.course.zygote import serve; serve(int(sys.argv[1]))", str(theirs.fileno())),
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir(), env=environment(), start_new_session=True)
        theirs.close()
        self.socket, self.buffer = ours, b""
        self.lock = threading.Lock()

    def ask(self, request: dict, fds: tuple = ()) -> dict:
        with self.lock:
            try:
                socket.send_fds(self.socket, [json.dumps(request).encode()], list(fds))
                while b"\n" not in self.buffer:
                    chunk = self.socket.recv(65536)
                    if not chunk:
                        raise ConnectionError
                    self.buffer += chunk
            except OSError:
                raise ChildGone("the fork server that starts the graders' children ended") from None
            line, _, self.buffer = self.buffer.partition(b"\n")
            return json.loads(line)

    def launch(self, folder: Path) -> Process:
        (requests_r, requests_w), (replies_r, replies_w), (output_r, output_w) = pipes()
        try:
            try:
                pid = self.ask({"op": "fork"}, (requests_r, replies_w, output_w))["pid"]
            except ChildGone:
                self.close()
                self.start()
                pid = self.ask({"op": "fork"}, (requests_r, replies_w, output_w))["pid"]
        finally:
            for fd in (requests_r, replies_w, output_w):
                os.close(fd)
        return Process(requests_w, replies_r, output_r, lambda: self.ask({"op": "kill", "pid": pid}),
                       lambda seconds: self.ask({"op": "wait", "pid": pid, "seconds": seconds})["status"])

    def close(self) -> None:
        self.socket.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def launcher(kind: str = "auto") -> ForkServer | Spawner:
    """A fork server on Linux ("auto"), or a new interpreter per child ("spawn", everywhere else)."""
    if kind == "fork" or (kind == "auto" and sys.platform.startswith("linux")):
        return ForkServer()
    return Spawner()


# ---------------------------------------------------------------- one task's child

SIGNALS = {signal.SIGSEGV: "a segmentation fault", signal.SIGXCPU: "it used more CPU time than allowed",
           signal.SIGXFSZ: "it wrote a file larger than allowed", signal.SIGABRT: "it aborted",
           signal.SIGKILL: "it was killed (out of memory?)", signal.SIGBUS: "a bus error",
           signal.SIGFPE: "a floating-point exception"}


def ended(status: int | None) -> str:
    """How a child ended, from its wait status."""
    if status is None:
        return "it stopped answering"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        return f"it crashed: signal {name} ({SIGNALS.get(number, 'a signal')})"
    return f"it ended with exit code {os.WEXITSTATUS(status)} (does your code call os._exit or exit?)"


class Child:
    """One task's child process, used as a context manager; ``start()`` then ``call()`` as often as needed."""

    def __init__(self, start_with: ForkServer | Spawner, task: str, files: dict[str, Path], parts: list[str],
                 timeout: float):
        self.start_with, self.task, self.files, self.parts, self.timeout = start_with, task, files, parts, timeout
        self.hidden: list[str] = []
        self.started = False  # the first reply came: the student's files were imported (or failed to)
        self.process: Process | None = None
        self.folder: Path | None = None

    def __enter__(self) -> Child:
        self.folder = Path(tempfile.mkdtemp(prefix="tinygrad_edu_task_"))
        for path in self.files.values():
            shutil.copyfile(path, self.folder / path.name)
        self.deadline = time.monotonic() + self.timeout
        self.process = self.start_with.launch(self.folder)
        return self

    def start(self) -> dict:
        """Send the task; the child's first reply (``ready``, or what went wrong on import)."""
        files = {canonical: path.name for canonical, path in self.files.items()}
        reply = self.exchange({"task": self.task, "folder": str(self.folder), "files": files, "parts": self.parts,
                               "timeout": self.timeout}, "while importing your files")
        self.started = True
        return reply

    def call(self, action: str, **args: Any) -> Any:
        """Run ``action`` on the student's code; its result, or StudentRaised (or ChildGone)."""
        reply = self.exchange({"action": action, "args": args}, "while your code was checked")
        if "raised" in reply:
            raise StudentRaised(reply["raised"])
        return reply["result"]

    def exchange(self, message: dict, when: str) -> dict:
        try:
            wire.send(self.process.requests, message)
            reply = wire.receive(self.process.replies, self.deadline)
        except TimeoutError:
            self.process.kill()
            raise ChildGone(f"it did not finish within {self.timeout:g} s {when} (an endless loop?)",
                            timed_out=True) from None
        except (EOFError, BrokenPipeError):
            raise ChildGone(f"{ended(self.process.status(2.0))}, {when}") from None
        except wire.WireError as error:
            self.process.kill()
            raise ChildGone(f"its reply could not be read ({error}), {when}") from None
        if not isinstance(reply, dict):
            raise ChildGone(f"its reply could not be read, {when}")
        self.hidden = [str(name) for name in reply.get("hidden") or []]
        if self.hidden:
            raise ReferenceUsed(self.hidden, reply.get("raised"))
        return reply

    def __exit__(self, *exc_info) -> None:
        process = self.process
        if process is not None:
            os.close(process.requests)  # the child reads EOF and ends
            try:
                if process.status(0.5) is None:
                    process.kill()
                    process.status(2.0)
            except (ChildGone, OSError):  # the fork server is gone, and its children with it
                pass
            os.close(process.replies)
            process.output.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def output(self) -> Output | None:
        return None if self.process is None else self.process.output
