"""Printing on any terminal: what its encoding cannot show is spelled in ASCII.

The command line prints the deck's symbols: x⁴ − 2x², η, γ, ✓, →. A terminal whose
encoding has no such character (``PYTHONIOENCODING=ascii``, a Windows code page)
would stop the program with UnicodeEncodeError halfway through its output.
``spell_in_ascii(stream)`` makes the stream write each such character as one
would type it in ASCII instead: x^4 - 2x^2, eta, gamma, ok, ->. A character with
no spelling here is written as its Python escape (``\\u2207``). A terminal that
has the character still gets the character. The library's own printing
(``print_trace``, ``summary``, …) goes through ``write_line``, which spells the
same way without changing the user's stream.

What the command line says when Ctrl-C stops it is here too, in one line
(``interrupted``): this module needs only the standard library, so the package
loads it first, and Ctrl-C while the command line is still loading its modules
(numpy's first, before any code of it could catch a KeyboardInterrupt) ends it
the same way.
"""

from __future__ import annotations

import codecs
import io
import os
import signal
import sys
import unicodedata
from typing import TextIO

ERRORS = "tinygrad_edu.ascii"  # the codec error handler's name, as in stream.reconfigure(errors=...)
# What Python sets a standard stream's errors to unless told otherwise; any other was chosen, and is kept.
PYTHONS_OWN_ERRORS = ("strict", "surrogateescape", "backslashreplace")

SPELLINGS = {
    "✓": "ok", "✗": "FAIL", "→": "->", "←": "<-", "↦": "|->", "−": "-", "–": "-", "—": "--", "·": "*",
    "×": "x", "…": "...", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~=", "±": "+/-", "∞": "inf", "√": "sqrt",
    "∂": "d", "∇": "grad", "′": "'", "″": "''", "‴": "'''", "‖": "||", "Σ": "sum", "ŷ": "y_hat", "µ": "mu",
    "λ": "lambda", "ᵀ": "^T",
}
RAISED, LOWERED = "^", "_"  # how a run of superscripts (x⁻¹ → x^-1) and of subscripts (x₀ → x_0) begins


def spelling(character: str) -> tuple[str, str]:
    """``(position, text)``: ``character`` in ASCII, and RAISED or LOWERED for a super- or subscript."""
    if character in SPELLINGS:
        return "", SPELLINGS[character]
    decomposition = unicodedata.decomposition(character)
    if decomposition.startswith(("<super>", "<sub>")):
        position = RAISED if decomposition.startswith("<super>") else LOWERED
        return position, "".join(spelling(part)[1] for part in unicodedata.normalize("NFKC", character))  # ⁻: −
    name = unicodedata.name(character, "")
    if name.startswith("GREEK "):  # GREEK SMALL LETTER ETA → eta, GREEK CAPITAL LETTER SIGMA → Sigma
        letter = name.split()[-1].lower()
        return "", letter.capitalize() if " CAPITAL " in name else letter
    plain = "".join(part for part in unicodedata.normalize("NFKD", character) if not unicodedata.combining(part))
    if plain.isascii() and plain:  # é → e
        return "", plain
    return "", character.encode("ascii", "backslashreplace").decode("ascii")


def spell_unencodable(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler: the characters ``error`` could not encode, in ASCII."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text, position = [], ""
    for character in error.object[error.start:error.end]:
        now, spelled = spelling(character)
        if now and now != position:
            text.append(now)
        text.append(spelled)
        position = now
    return "".join(text), error.end


codecs.register_error(ERRORS, spell_unencodable)


def spell_in_ascii(stream: TextIO) -> None:
    """Make ``stream`` spell in ASCII what its encoding cannot write, instead of raising (a stream
    whose errors were set to something else lenient, such as ``replace``, is left as it is)."""
    if isinstance(stream, io.TextIOWrapper) and stream.errors in PYTHONS_OWN_ERRORS:
        stream.reconfigure(errors=ERRORS)


def write_line(text: str = "", stream: TextIO | None = None) -> None:
    """``print(text, file=stream)`` (``sys.stdout`` as it is at the call) with what the stream's encoding
    cannot write spelled in ASCII. Only this text is spelled: the stream, the user's, is left as it is."""
    stream = sys.stdout if stream is None else stream
    encoding = getattr(stream, "encoding", None)  # None: a stream of text only, such as io.StringIO
    if encoding and getattr(stream, "errors", "strict") in PYTHONS_OWN_ERRORS:
        text = text.encode(encoding, ERRORS).decode(encoding)
    print(text, file=stream)


# ---------------------------------------------------------------- Ctrl-C

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
