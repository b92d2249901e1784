"""Grad mode: whether operations record the graph, per thread, as in PyTorch.

The mode lives in a ``threading.local``: an evaluation thread inside
``no_grad()`` must not switch recording off for a training thread. A new
thread starts with recording on (the class attribute below), whatever the
thread that started it was doing, as PyTorch's threads do.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` are context managers
and decorators. A decorated generator function is a special case: its body
runs only when the generator is resumed, after the decorated call has
returned, so the mode is entered around every resume instead (PyTorch's
``_DecoratorContextManager`` does the same).
"""

from __future__ import annotations

import functools
import inspect
import threading


class _GradMode(threading.local):
    enabled = True  # each thread's own value, True until the thread changes it


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether operations record the graph in this thread: True unless inside ``no_grad()``."""
    return _mode.enabled


def _set_enabled(mode: bool) -> None:
    _mode.enabled = mode


def _wrap_generator(make_context, generator_function):
    """Run each step of the generator (start, every ``send``, ``throw`` and ``close``) in a fresh context,
    and hand every value and exception through unchanged."""

    @functools.wraps(generator_function)
    def generator_in_mode(*args, **kwargs):
        generator = generator_function(*args, **kwargs)
        try:
            with make_context():
                response = generator.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_context():
                        generator.close()
                    raise
                except BaseException as error:  # thrown in by the caller: pass it on
                    with make_context():
                        response = generator.throw(error)
                else:
                    with make_context():
                        response = generator.send(request)
        except StopIteration as stop:
            return stop.value

    return generator_in_mode


class _GradModeContext:
    """A context manager that sets the mode on entry and restores the previous one on exit
    (also when the body raises), and a decorator that does so around each call."""

    mode = True

    def __enter__(self) -> None:
        self._previous = is_grad_enabled()
        _set_enabled(self.mode)

    def __exit__(self, *exc_info) -> None:
        _set_enabled(self._previous)

    def _clone(self) -> _GradModeContext:
        return type(self)()

    def __call__(self, function):
        # A fresh context per call, so that recursion and threads nest.
        if inspect.isgeneratorfunction(function):
            return _wrap_generator(self._clone, function)

        @functools.wraps(function)
        def with_grad_mode(*args, **kwargs):
            with self._clone():
                return function(*args, **kwargs)
        return with_grad_mode


class _FixedMode(_GradModeContext):
    """A context whose mode is its class's: as in PyTorch, ``with no_grad():``,
    ``@no_grad()`` and ``@no_grad`` (without parentheses) all work."""

    def __new__(cls, function=None):
        # ``@no_grad`` without parentheses passes the function straight in.
        instance = super().__new__(cls)
        return instance if function is None else instance(function)

    def __init__(self, function=None) -> None:
        pass


class no_grad(_FixedMode):
    """Build no graph: for evaluation and for parameter updates, which must not
    become part of the next step's graph."""

    mode = False


class enable_grad(_FixedMode):
    """Record the graph even inside ``no_grad``: an optimizer's ``step(closure)``
    uses it so that the closure's ``backward()`` works wherever step is called."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """Turn graph recording on or off, as PyTorch's ``set_grad_enabled``.

    Called as a plain function it sets the mode at once (for this thread).
    Used as ``with set_grad_enabled(mode):`` it restores, on exit, the mode
    from before the call; as a decorator it sets the mode only around each
    call of the function.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = is_grad_enabled()
        _set_enabled(self.mode)

    def __enter__(self) -> None:
        pass  # the mode was set by the constructor, which also remembered the previous one

    def _clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)

    def __call__(self, function):
        _set_enabled(self._previous)  # decorating is not a call: undo the constructor's setting
        return super().__call__(function)
