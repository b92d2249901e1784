"""Progress of long work on one line that updates in a terminal, as plain lines when piped.

A terminal understands ``\\r`` (back to the start of the line), so each update
overwrites the last and the screen keeps one line. A file or a pipe would keep
every ``\\r``-separated update as one long line, so there we print a plain line
every ``every`` updates (and the last one), which reads well in a log.
"""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressLine:
    """``update(text)`` after each step; ``close()`` when done."""

    def __init__(self, total: int, stream: TextIO | None = None, every: int = 20) -> None:
        self.stream = sys.stdout if stream is None else stream
        self.total, self.every = total, every
        self.interactive = self.stream.isatty()
        self.width = 0  # length of the last line drawn, to blank out what a shorter one leaves

    def update(self, step: int, text: str) -> None:
        """Show ``text`` as the state after ``step`` (1-based) of ``total``."""
        if self.interactive:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
            self.stream.flush()
        elif step % self.every == 0 or step == self.total:
            print(text, file=self.stream)

    def close(self) -> None:
        """End the updating line, so what follows starts on a line of its own."""
        if self.interactive and self.width:
            self.stream.write("\n")
            self.stream.flush()
