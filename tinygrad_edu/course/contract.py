"""The rules a student's code must keep, enforced where the code runs (in the child).

An operation's ``backward`` receives ``grad`` and finds what ``forward`` saved
on ``self``: arrays that other parts of the graph also hold (the same upstream
array may reach two consumers, a saved input is a Value's own data). An
update rule of Part 4 receives the optimizer's arrays. Changing any of them in
place gives a wrong answer somewhere else, often not in the example checked,
so here they are read-only copies: ``grad *= …`` raises at once, and the
message names the rule. A backward must also return one gradient per input, as
a tuple; the engine's own error for anything else (``zip() argument 2 is
longer than argument 1``) tells a student nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ContractError", "checked_function", "checked_operation", "frozen"]

BACKWARD_RULE = ("{name} changed an array it was given in place (grad, or what forward saved on self). Those "
                 "are read-only: the same array may also be another operation's gradient or a Value's data, "
                 "so an in-place change corrupts them. Compute a new array: g = grad * …, not grad *= ….")
FORWARD_RULE = ("{name} changed one of its input arrays in place: they are the input Values' own data. "
                "Compute a new array instead.")
FUNCTION_RULE = ("{name} changed one of its arguments in place (x -= … or x[...] = …): its docstring asks for "
                 "new arrays, because the caller still uses the old ones (the optimizer's state, the last "
                 "point). Return a new array, such as x - lr * grad.")


class ContractError(Exception):
    """The student's code broke a rule of its contract; the message says which and what to do."""


def frozen(value: Any) -> Any:
    """A read-only copy of an array (anything else unchanged: numpy scalars cannot change anyway).

    A copy, not a view: numpy lets a program set ``writeable`` back on an array
    whose memory it may write, so only a copy keeps the engine's own arrays out
    of reach of a student who does that on purpose.
    """
    if isinstance(value, np.ndarray):
        copy = np.array(value)
        copy.flags.writeable = False
        return copy
    return value


def _read_only(error: ValueError) -> bool:
    return "read-only" in str(error)


def checked_operation(student: type, name: str) -> type:
    """The student's operation class with its inputs, ``grad`` and saved arrays read-only, and its
    backward's result checked: a tuple (or list) with one entry per input."""

    class Checked(student):
        def forward(self, *arrays):
            try:
                return super().forward(*(frozen(a) for a in arrays))
            except ValueError as error:
                if _read_only(error):
                    raise ContractError(FORWARD_RULE.format(name=f"{name}.forward")) from error
                raise

        def backward(self, grad):
            saved = _freeze_saved(self)
            try:
                gradients = super().backward(frozen(grad))
            except ValueError as error:
                if _read_only(error):
                    raise ContractError(BACKWARD_RULE.format(name=f"{name}.backward")) from error
                raise
            finally:
                for attribute, array in saved.items():
                    setattr(self, attribute, array)
            return _one_per_input(gradients, self, name)

    Checked.__name__ = Checked.__qualname__ = student.__name__
    return Checked


def _freeze_saved(op: Any) -> dict[str, np.ndarray]:
    """Replace every array attribute of ``op`` by a read-only copy; return the originals by name."""
    names = {slot for cls in type(op).__mro__ for slot in getattr(cls, "__slots__", ())}
    names |= set(getattr(op, "__dict__", {}))
    saved = {}
    for attribute in names:
        value = getattr(op, attribute, None)
        if isinstance(value, np.ndarray):
            saved[attribute] = value
            setattr(op, attribute, frozen(value))
    return saved


def _one_per_input(gradients: Any, op: Any, name: str) -> tuple:
    inputs = len(op.parents)
    example = "(grad_x,)  (mind the comma)" if inputs == 1 else "(grad_a, grad_b)"
    if not isinstance(gradients, (tuple, list)):
        raise ContractError(f"{name}.backward returned {_kind(gradients)}, not a tuple: return one gradient per "
                            f"input as a tuple, {example}")
    if len(gradients) != inputs:
        raise ContractError(f"{name}.backward returned {len(gradients)} gradients for {inputs} input"
                            f"{'s' * (inputs != 1)}: return one per input, in order, as {example}")
    return tuple(gradients)


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


def checked_function(student: Callable, name: str) -> Callable:
    """The student's function called with read-only copies of its array arguments (Part 4's rules,
    unbroadcast, backward's seed): an in-place change raises, naming the rule."""

    @functools.wraps(student)
    def call(*args, **kwargs):
        try:
            return student(*(frozen(a) for a in args), **{key: frozen(v) for key, v in kwargs.items()})
        except ValueError as error:
            if _read_only(error):
                raise ContractError(FUNCTION_RULE.format(name=name)) from error
            raise
    return call
