"""What the graph keeps of an operation, and how it keeps it cheaply.

When ``value.apply`` records an operation in the graph (only when an input requires grad
and grad mode is on), it keeps three things on the operation object, which ``autograd``
reads on the way back (every ``ops.Function`` is a ``Recorded``):

* ``parents``: the input Values, in order;
* ``needs_input_grad``: for each input, whether it required grad then;
* the inputs' ``_version`` then, so that backward can tell what changed in place since:
  a Value whose old numbers the operation's ``backward`` reads (``saved``) is refused
  (``autograd.check_versions``), and an input given new history since is followed back
  (``as_recorded``, below).

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

**New history.** The graph's nodes are the Values themselves. ``x[index] = v`` on a Value in a
graph (in_place.py) gives ``x`` new history: a new Value, ``old``, takes over x's operation
(sharing x's numbers and version count), and x's operation becomes ``IndexPut(old, v)``, whose
``in_place`` is True. An operation recorded before that holds ``x`` at a version older than the
IndexPut's: ``parents`` gives it ``old`` instead (``as_recorded``), so that its gradient goes to
x's history as it was when it was used, as in PyTorch. Later operations hold ``x`` at a newer
version and reach ``old`` through the IndexPut. (A view of x alive gets new history the same way:
an ``IndexPut`` of the view as it was, written over entirely by x's new numbers at its places.)
The graph as recorded is what every walk follows, ``autograd.topological_order`` included.
"""

from __future__ import annotations

LAST = (1 << 64) - 1  # the stamp's low 64 bits: the last input's version


class Recorded:
    """An operation as the graph records it: its inputs, which need a gradient, and their versions."""

    __slots__ = ("_first_input", "_second_input", "needs_input_grad", "versions")
    in_place = False  # True where the output takes the first input's place in the graph (ops.IndexPut)

    @property
    def parents(self) -> tuple:
        """The input Values, in order, each as it was when the operation was recorded."""
        first, second = self._first_input, self._second_input
        if self.versions != first._version << 64 | (first if second is None else second)._version:
            first = as_recorded(first, self.versions >> 64)  # changed since: perhaps given new history
            second = None if second is None else as_recorded(second, self.versions & LAST)
        return (first,) if second is None else (first, second)

    def record(self, inputs: tuple, needs_input_grad: tuple) -> None:
        """Keep the one or two input Values, which of them need a gradient, and their versions now."""
        self._first_input, self._second_input = inputs if len(inputs) == 2 else (inputs[0], None)
        self.needs_input_grad = needs_input_grad
        self.versions = inputs[0]._version << 64 | inputs[-1]._version

    def recorded_version(self, position: int) -> int:
        """Input ``position``'s ``_version`` when the operation was recorded."""
        return self.versions >> 64 if position == 0 else self.versions & LAST


def as_recorded(value, version: int):
    """The Value that had ``value``'s place in the graph at ``version``: ``value``, unless it was
    given new history at a later version; then the Value that took over its history from before."""
    op = value._op
    while op is not None and op.in_place and version < op.recorded_version(0):
        value = op._first_input
        op = value._op
    return value
