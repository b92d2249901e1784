"""Ctrl-C: what the command line says when it stops it, from its very first import on.

``tinygrad-edu`` stopped by Ctrl-C says so in one line and exits 130, the code a
shell gives a program that SIGINT stopped (``interrupted``; ``cli.main`` catches
the KeyboardInterrupt). But ``python -m tinygrad_edu`` and the ``tinygrad-edu``
script import the package, numpy first, before any code of the command line runs,
and a KeyboardInterrupt there would end in a traceback of imports. So this module,
which needs nothing but ``os``, ``signal`` and ``sys``, is the package's first import,
and in the command line's process (only there) it makes Ctrl-C exit at once until
``cli.main`` takes over (``command_line_started``).
"""

from __future__ import annotations

import os
import signal
import sys

PROGRAM = "tinygrad-edu"  # the command's name, as its messages begin
INTERRUPTED = 130  # the exit code a shell gives a program that Ctrl-C (SIGINT, signal 2) stopped: 128 + 2


def interrupted(command: str = PROGRAM) -> int:
    """Say on stderr, in one line, that Ctrl-C stopped ``command``; the exit code to stop with."""
    print(f"{command}: interrupted", file=sys.stderr, flush=True)
    return INTERRUPTED


def command_line_is_starting() -> bool:
    """Is this process ``python -m tinygrad_edu`` or the ``tinygrad-edu`` script, rather than a program of
    someone else's that imports tinygrad_edu? While Python finds the module that ``-m`` names,
    ``sys.argv[0]`` is ``-m`` and ``sys.orig_argv`` ends with that name and the command's arguments."""
    program = sys.argv[0] if sys.argv else ""
    if program == "-m":
        return sys.orig_argv[-len(sys.argv)] in ("tinygrad_edu", "-mtinygrad_edu")
    return os.path.splitext(os.path.basename(program))[0] == PROGRAM


def stop_starting(signum: int, frame: object) -> None:
    """The SIGINT handler while the command line loads its modules: one line, and exit 130 at once.

    Not by raising SystemExit: an extension module that is initialising (numpy.random's) can swallow an
    exception raised in a handler, or turn it into an ImportError, and the command would run on. Nothing
    has been done yet that exiting at once could leave half done."""
    os._exit(interrupted())


def command_line_started() -> None:
    """Give Ctrl-C back to Python, as a KeyboardInterrupt, for the running command to report."""
    if signal.getsignal(signal.SIGINT) is stop_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# Python starts ``python -m tinygrad_edu`` and the script by importing the package, before any code of
# the command line runs: a KeyboardInterrupt there would end in a traceback of imports (and runpy's own
# code runs between the package and __main__.py). So from here, the package's first import, until
# cli.main calls command_line_started, Ctrl-C exits at once. A handler someone set (SIG_IGN) is kept.
if command_line_is_starting() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, stop_starting)
