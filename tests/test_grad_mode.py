"""Grad mode as PyTorch's: per thread, around every step of a decorated generator, and
``set_grad_enabled(mode)`` as a plain call. Each case runs on torch too, where it is installed."""

from __future__ import annotations

import threading

import pytest

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # the comparisons with PyTorch skip; our own assertions still run
    torch = None

NO_TORCH = "PyTorch is the oracle here: pip install '.[oracle]'"
ENGINES = ["tinygrad_edu", pytest.param("torch", marks=pytest.mark.skipif(torch is None, reason=NO_TORCH))]


def engine(name):
    """(module, leaf maker): the same test code runs on both libraries."""
    if name == "torch":
        return torch, lambda: torch.tensor([1.0], requires_grad=True)
    return tg, lambda: tg.tensor([1.0], requires_grad=True)


@pytest.mark.parametrize("name", ENGINES)
def test_no_grad_in_one_thread_does_not_stop_recording_in_another(name):
    lib, leaf = engine(name)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with lib.no_grad():
            seen["evaluator"] = (leaf() * 2).requires_grad
            inside.set()
            release.wait(10)

    def train():
        inside.wait(10)
        seen["trainer"] = (leaf() * 2).requires_grad
        seen["trainer mode"] = lib.is_grad_enabled()
        release.set()

    threads = [threading.Thread(target=evaluate), threading.Thread(target=train)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"evaluator": False, "trainer": True, "trainer mode": True}


@pytest.mark.parametrize("name", ENGINES)
def test_a_new_thread_starts_recording_even_if_its_parent_is_in_no_grad(name):
    lib, leaf = engine(name)
    seen = []
    with lib.no_grad():
        thread = threading.Thread(target=lambda: seen.append((leaf() * 2).requires_grad))
        thread.start()
        thread.join(10)
        assert not lib.is_grad_enabled()
    assert seen == [True]


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("decorator", ["no_grad", "enable_grad", "set_grad_enabled"])
def test_a_decorated_generator_runs_its_body_in_the_mode(name, decorator):
    lib, leaf = engine(name)
    # Made only when chosen: set_grad_enabled(False) sets the mode until it decorates.
    decorate = {"no_grad": lambda: lib.no_grad(), "enable_grad": lambda: lib.enable_grad(),
                "set_grad_enabled": lambda: lib.set_grad_enabled(False)}[decorator]()
    inner = decorator == "enable_grad"  # the mode the body must see

    @decorate
    def steps():
        received = yield (leaf() * 2).requires_grad, lib.is_grad_enabled()
        yield received, lib.is_grad_enabled()

    outer = not inner
    with lib.set_grad_enabled(outer):
        generator = steps()
        assert next(generator) == (inner, inner)
        assert lib.is_grad_enabled() == outer  # between steps the caller's mode is back
        assert generator.send("hello") == ("hello", inner)
        assert lib.is_grad_enabled() == outer
    assert lib.is_grad_enabled()


@pytest.mark.parametrize("name", ENGINES)
def test_an_exception_thrown_into_a_decorated_generator_reaches_its_body_in_the_mode(name):
    lib, _ = engine(name)

    @lib.no_grad()
    def catcher():
        try:
            yield "waiting"
        except KeyError:
            yield ("caught", lib.is_grad_enabled())

    generator = catcher()
    next(generator)
    assert generator.throw(KeyError("x")) == ("caught", False)
    assert lib.is_grad_enabled()
    generator.close()


@pytest.mark.parametrize("name", ENGINES)
def test_a_decorated_generator_returns_its_value(name):
    lib, _ = engine(name)

    @lib.no_grad()
    def counted():
        yield 1
        return "done"

    generator = counted()
    next(generator)
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done"


@pytest.mark.parametrize("name", ENGINES)
def test_set_grad_enabled_called_as_a_function_sets_the_mode(name):
    lib, leaf = engine(name)
    try:
        lib.set_grad_enabled(False)
        assert not lib.is_grad_enabled()
        assert not (leaf() * 2).requires_grad
        lib.set_grad_enabled(True)
        assert (leaf() * 2).requires_grad
    finally:
        lib.set_grad_enabled(True)


@pytest.mark.parametrize("name", ENGINES)
def test_set_grad_enabled_as_a_context_manager_restores_the_mode_from_before_it(name):
    lib, _ = engine(name)
    with lib.no_grad():
        with lib.set_grad_enabled(True):
            assert lib.is_grad_enabled()
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled()


@pytest.mark.parametrize("name", ENGINES)
def test_set_grad_enabled_as_a_decorator_does_not_change_the_mode_until_called(name):
    lib, leaf = engine(name)

    @lib.set_grad_enabled(False)
    def double(x):
        return x * 2, lib.is_grad_enabled()

    assert lib.is_grad_enabled()
    assert double(leaf())[0].requires_grad is False and double(leaf())[1] is False
    assert lib.is_grad_enabled()
