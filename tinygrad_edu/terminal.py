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
"""

from __future__ import annotations

import codecs
import io
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
