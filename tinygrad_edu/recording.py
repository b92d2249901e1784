"""What the graph keeps of an operation, and how it keeps it cheaply.

When ``value.apply`` records an operation in the graph (only when an input requires grad
and grad mode is on), it keeps three things on the operation object, which ``autograd``
reads on the way back (every ``ops.Function`` is a ``Recorded``):

* ``parents``: the input Values, in order;
* ``needs_input_grad``: for each input, whether it required grad then;
* the inputs' ``_version`` then, if the operation's ``backward`` reads saved data
  (``saved`` not empty), so that a Value changed in place since is refused
  (``autograd.check_versions``).

``record`` below is all of it. Two of the three are not stored as plain attributes would
store them, and this is the one place that says how:

* **Two input slots.** Every operation has one or two inputs. They sit in the slots
  ``_first_input`` and ``_second_input`` (None for one input), and ``parents`` is a property
  that makes the tuple when asked.
* **A packed version stamp.** ``versions`` is one int, ``first << 64 | last``: the first and
  the last input's ``_version`` (exact, since no Value is changed 2⁶⁴ times);
  ``recorded_version`` unpacks it.

speed: a tuple kept on every operation would be one more object per operation for Python's
cyclic garbage collector to walk on each of its full passes over a big graph; an int is never
tracked. See benchmarks/README.md. ``value.apply`` (``record`` written out),
``autograd.topological_order`` and ``autograd``'s tuned walk write and read the slots and the
stamp directly; each of them points here.
"""

from __future__ import annotations


class Recorded:
    """An operation as the graph records it: its inputs, which need a gradient, and their versions."""

    __slots__ = ("_first_input", "_second_input", "needs_input_grad", "versions")

    @property
    def parents(self) -> tuple:
        """The input Values, in order."""
        second = self._second_input
        return (self._first_input,) if second is None else (self._first_input, second)

    def record(self, inputs: tuple, needs_input_grad: tuple) -> None:
        """Keep the one or two input Values, which of them need a gradient, and their versions now."""
        self._first_input, self._second_input = inputs if len(inputs) == 2 else (inputs[0], None)
        self.needs_input_grad = needs_input_grad
        if self.saved:
            self.versions = inputs[0]._version << 64 | inputs[-1]._version

    def recorded_version(self, position: int) -> int:
        """Input ``position``'s ``_version`` when the operation was recorded."""
        return self.versions >> 64 if position == 0 else self.versions & (1 << 64) - 1
