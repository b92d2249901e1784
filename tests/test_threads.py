"""Backward in several threads into shared leaves: every contribution to ``.grad`` is kept
(issue 23, item 2). Four threads calling backward() into one leaf of 10,000+ elements used to
lose some (w.grad[0] 351 instead of 600): ``.grad`` was read, added to and written while numpy
let other threads run. One test forces that interleaving; the others are stress tests."""

from __future__ import annotations

import contextlib
import sys
import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import value as value_module

try:
    import torch
except ImportError:
    torch = None

WAIT = 2.0  # seconds a thread inside the add waits for the other to arrive


class AddsOnlyWhenBothRead(np.ndarray):
    """A ``.grad`` whose ``+`` waits until a second thread is adding too (or WAIT has passed).

    Without the lock both threads read this ``.grad`` and wait here together, then each writes
    ``old + its own gradient``: one contribution is lost, every time. With the lock the second
    thread cannot begin its add: the first waits WAIT in vain and finishes alone."""

    barrier: threading.Barrier

    def __add__(self, other):
        with contextlib.suppress(threading.BrokenBarrierError):
            type(self).barrier.wait(timeout=WAIT)
        return np.asarray(self) + other


def two_threads_add_into_one_leaf() -> np.ndarray:
    w = tg.Value(np.zeros(3), requires_grad=True)
    w.grad = np.zeros(3)
    w._grad = w.grad.view(AddsOnlyWhenBothRead)
    AddsOnlyWhenBothRead.barrier = threading.Barrier(2)
    threads = [threading.Thread(target=lambda: (w * 1.0).sum().backward()) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return w.grad


def test_two_threads_adding_at_the_same_moment_both_count():
    grad = two_threads_add_into_one_leaf()
    assert type(grad) is np.ndarray and grad.tolist() == [2.0, 2.0, 2.0]


def test_without_the_lock_the_forced_interleaving_loses_a_contribution(monkeypatch):
    # The test above can fail: without the lock the same interleaving loses one gradient.
    monkeypatch.setattr(value_module, "GRAD_LOCK", contextlib.nullcontext())
    assert two_threads_add_into_one_leaf().tolist() == [1.0, 1.0, 1.0]


@pytest.fixture
def often_switching_threads():
    """Python switches threads every microsecond instead of every 5 ms: races show up at once."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_threads(count: int, work) -> None:
    errors = []

    def guarded(index):
        try:
            work(index)
        except BaseException as error:  # noqa: BLE001 - reported in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.parametrize("engine", ["tinygrad_edu", pytest.param("torch", marks=pytest.mark.skipif(
    torch is None, reason="PyTorch is the oracle here: pip install '.[oracle]'"))])
def test_four_threads_150_backwards_each_into_a_leaf_of_100000_elements_give_600(engine):
    lib = torch if engine == "torch" else tg
    w = lib.zeros(100_000, requires_grad=True)

    def work(index):
        for _ in range(150):
            (w * 1.0).sum().backward()

    run_threads(4, work)
    grad = w.grad.numpy() if engine == "torch" else w.grad
    assert grad.min() == grad.max() == 600.0


def test_threads_sharing_several_large_leaves_and_a_graph_sum_every_contribution(often_switching_threads):
    """Each thread builds its own graph on two shared leaves (and one of its own), and also runs
    backward on one graph shared by all; every sum is a whole number, so it is exact."""
    rng = np.random.default_rng(0)
    a = tg.Value(rng.integers(-3, 4, (300, 400)).astype(np.float64), requires_grad=True)
    b = tg.Value(rng.integers(-3, 4, 400).astype(np.float64), requires_grad=True)
    shared = ((a * b).sum(0) + b).sum()  # d/da = b (per row), d/db = Σ_rows a + 1
    own = [tg.Value(np.ones(100_000), requires_grad=True) for _ in range(4)]
    rounds = 25

    def work(index):
        for _ in range(rounds):
            ((a * 2.0).sum() + (b * float(index)).sum() + own[index].sum()).backward()
            shared.backward()

    run_threads(4, work)
    threads = 4
    np.testing.assert_array_equal(a.grad, threads * rounds * (2.0 + np.broadcast_to(b.data, a.shape)))
    np.testing.assert_array_equal(b.grad, rounds * (0 + 1 + 2 + 3) + threads * rounds * (a.data.sum(0) + 1))
    for leaf in own:
        np.testing.assert_array_equal(leaf.grad, np.full(100_000, float(rounds)))
