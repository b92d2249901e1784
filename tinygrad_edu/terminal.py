"""Printing on any terminal: what its encoding cannot show is spelled in ASCII.

The command line prints the deck's symbols: x⁴ − 2x², η, γ, ✓, →. A terminal whose
encoding has no such character (``PYTHONIOENCODING=ascii``, a Windows code page)
would stop the program with UnicodeEncodeError halfway through its output.
``spell_in_ascii(stream)`` makes the stream write each such character as one
would type it in ASCII instead: x^4 - 2x^2, eta, gamma, ok, ->. A character with
no spelling here is written as its Python escape (``\\u2207``). A terminal that
has the character still gets the character.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
from typing import TextIO

ERRORS = "tinygrad_edu.ascii"  # the codec error handler's name, as in stream.reconfigure(errors=...)

SPELLINGS = {
    "✓": "ok", "✗": "FAIL", "→": "->", "←": "<-", "↦": "|->", "−": "-", "–": "-", "—": "--", "·": "*",
    "×": "x", "…": "...", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~=", "±": "+/-", "∞": "inf", "√": "sqrt",
    "∂": "d", "∇": "grad", "′": "'", "″": "''", "Σ": "sum", "ŷ": "y_hat", "µ": "mu", "λ": "lambda", "ᵀ": "^T",
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
    if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape", "backslashreplace"):
        stream.reconfigure(errors=ERRORS)
