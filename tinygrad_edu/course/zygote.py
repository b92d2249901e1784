"""A fork server: a process that has imported the engine once and forks a fresh child per task.

Starting Python and importing numpy and tinygrad_edu takes a third of a
second; a check runs 24 children. So the grader starts this process once: it
imports everything a child needs, runs no student code, and for each task
forks a child (``child.main``) that starts from that clean state in a few
milliseconds. A child is never reused, and nothing of the grader (its
references, its results) is in this process to inherit.

The grader talks to it over a Unix socket, one JSON request a line:
``fork`` (with the child's three pipe ends passed as file descriptors: its
requests, its replies, its output), ``kill`` and ``wait``. It is the children's
parent, so it reaps them and reports how each ended, and it kills them all
when the grader goes away.

Linux only (``runner.py`` spawns a fresh interpreter per task elsewhere:
forking a process that has loaded macOS's system frameworks is unsafe).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import time

from . import child

__all__ = ["serve"]


def serve(control_fd: int) -> None:
    """Answer the grader's requests on ``control_fd`` until it closes; then kill every child left."""
    control = socket.socket(fileno=control_fd)
    statuses: dict[int, int | None] = {}  # pid → its wait status once reaped
    while True:
        reap(statuses)
        if not select.select([control], [], [], 0.1)[0]:
            continue
        data, fds, _, _ = socket.recv_fds(control, 65536, 3)
        if not data:
            break
        request = json.loads(data)
        if request["op"] == "fork":
            reply = {"pid": fork(control, fds, statuses)}
        elif request["op"] == "kill":
            kill(request["pid"], statuses)
            reply = {}
        else:
            reply = {"status": wait(request["pid"], statuses, request["seconds"])}
        control.sendall(json.dumps(reply).encode() + b"\n")
    for pid in statuses:
        kill(pid, statuses)
    os._exit(0)


def fork(control: socket.socket, fds: list[int], statuses: dict) -> int:
    """A child serving one task on the pipes ``fds`` (requests, replies, output)."""
    requests, replies, output = fds
    pid = os.fork()
    if pid == 0:
        try:
            control.close()
            os.setsid()  # its own process group: the grader's Ctrl-C does not reach it, a kill reaches all of it
            for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
                signal.signal(number, signal.SIG_DFL)
            os.dup2(output, 1)
            os.dup2(output, 2)
            os.close(output)
            child.main(requests, replies)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    statuses[pid] = None
    return pid


def reap(statuses: dict) -> None:
    for pid, status in statuses.items():
        if status is None:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done:
                statuses[pid] = status


def wait(pid: int, statuses: dict, seconds: float) -> int | None:
    """``pid``'s wait status, waiting up to ``seconds`` for it to end; None if it is still running."""
    deadline = time.monotonic() + seconds
    while pid in statuses and statuses[pid] is None and time.monotonic() < deadline:
        time.sleep(0.005)
        reap(statuses)
    return statuses.get(pid)


def kill(pid: int, statuses: dict) -> None:
    """SIGKILL to the child's process group, if the child has not been reaped (so the pid is still its)."""
    if statuses.get(pid, 0) is None:
        for send in (os.killpg, os.kill):  # the group once the child has called setsid, the child before
            try:
                send(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
