"""``x[index] = v`` as PyTorch's (issue 23, item 1): written into x's own numbers, one version
more; a leaf that requires grad refuses outside no_grad; recorded in the graph where x or v
requires grad, so that gradients flow to v and around the places written over; an operation
recorded before the assignment still sends its gradient to x as it was. Where the engine could
not follow PyTorch (x a view, or a view of x alive) it refuses, never a wrong gradient. Each case
runs on a Value and on a tensor, except the refusals that are this engine's own."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

ENGINES = {"tinygrad_edu": tg, "torch": torch}
STALE = "modified by an inplace operation"


def tensor(lib, data, dtype=np.float32, requires_grad=False):
    return lib.tensor(np.asarray(data, dtype=dtype), requires_grad=requires_grad)


def numbers(x) -> np.ndarray:
    return x.detach().numpy()


def grad(x) -> np.ndarray:
    return x.grad.numpy() if isinstance(x, torch.Tensor) else x.grad


def both(build):
    """``build(lib)`` on each engine; the results' numbers, as lists of arrays, must be equal."""
    ours, theirs = build(tg), build(torch)
    for mine, its in zip(ours, theirs, strict=True):
        mine = np.asarray(mine if isinstance(mine, np.ndarray | list | float | int | bool) else mine)
        np.testing.assert_allclose(mine, np.asarray(its), rtol=1e-6)
    return ours


# ---------------------------------------------------------------- writing, nothing to record

INDICES = {
    "x[0] = 5": ((2, 3), lambda x: x.__setitem__(0, 5.0)),
    "x[1, 2] = 5": ((2, 3), lambda x: x.__setitem__((1, 2), 5.0)),
    "x[:, 1:] = row": ((2, 3), lambda x: x.__setitem__((slice(None), slice(1, None)), np.array([7.0, 8.0]))),
    "x[mask] = 0": ((2, 3), lambda x: x.__setitem__(np.array([[True, False, True], [False, True, False]]), 0.0)),
    "x[x > 2] = -1": ((2, 3), lambda x: x.__setitem__(x > 2, -1.0)),
    "x[[0, 0]] = 5": ((2, 3), lambda x: x.__setitem__([0, 0], 5.0)),
    "x[0, :, [1, 2]] = v": ((2, 3, 4), lambda x: x.__setitem__((0, slice(None), [1, 2]), 9.0)),
    "x[...] = 1": ((2, 3), lambda x: x.__setitem__(Ellipsis, 1.0)),
    "x[()] = 1 (0-d)": ((), lambda x: x.__setitem__((), 1.0)),
    "x[0:0] = 1": ((3,), lambda x: x.__setitem__(slice(0, 0), 1.0)),
    "x[None, 0] = 2": ((2, 3), lambda x: x.__setitem__((None, 0), 2.0)),
    "x[-1] = 3": ((2, 3), lambda x: x.__setitem__(-1, 3.0)),
}


def as_engine_value(value, lib):
    return torch.from_numpy(value) if lib is torch and isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("case", INDICES)
def test_writing_changes_the_numbers_in_place_and_counts_one_version(case):
    shape, write = INDICES[case]

    def build(lib):
        x = tensor(lib, np.arange(np.prod(shape)).reshape(shape))
        same = x
        if lib is torch and case in ("x[:, 1:] = row",):
            x[:, 1:] = torch.tensor([7.0, 8.0])
        else:
            write(x)
        assert x is same
        return numbers(x), x._version
    both(build)


@pytest.mark.parametrize("target, number, expected", [
    (np.int64, 0.7, 0), (np.int64, -2.5, -2), (np.bool_, 2, True), (np.bool_, 0.0, False), (np.uint8, 255, 255),
    (np.int8, -128, -128), (np.float32, np.inf, np.inf), (np.float16, 3, 3.0), (np.float16, 70000, np.inf),
])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_number_is_converted_to_xs_dtype(engine, target, number, expected):
    x = tensor(ENGINES[engine], [0, 0], dtype=target)
    x[0] = number
    assert numbers(x)[0] == expected and numbers(x).dtype == np.dtype(target) and x._version == 1


@pytest.mark.parametrize("target, number", [(np.uint8, 256), (np.int8, 128), (np.int8, -129), (np.int32, 2 ** 40),
                                            (np.int64, float("nan")), (np.int32, float("inf")), (np.uint8, 300.7),
                                            (np.float32, 1e40)])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_number_that_does_not_fit_an_integer_x_is_refused_and_nothing_changes(engine, target, number):
    x = tensor(ENGINES[engine], [1, 1], dtype=target)
    with pytest.raises((OverflowError, RuntimeError)):
        x[0] = number
    assert numbers(x).tolist() == [1, 1] and x._version == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_through_an_index_list_v_must_have_xs_dtype_but_a_slice_casts(engine):
    lib = ENGINES[engine]
    x = tensor(lib, [0.0, 0.0, 0.0])
    with pytest.raises((TypeError, RuntimeError), match="(?i)dtype"):
        x[[0, 1]] = tensor(lib, [1.0, 2.0], dtype=np.float64)
    assert x._version == 0
    x[0:2] = tensor(lib, [1.5, 2.5], dtype=np.float64)
    x[[False, False, True]] = tensor(lib, 7, dtype=np.int64)  # a mask filled with one number: any dtype
    assert numbers(x).tolist() == [1.5, 2.5, 7.0] and x._version == 2


@pytest.mark.parametrize("value", [[1.0], "a", None, {"a": 1}])
def test_a_value_that_is_not_a_value_an_array_or_a_number_is_a_type_error(value):
    x = tg.Value([0.0, 0.0])
    with pytest.raises(TypeError, match="x\\[index\\] = v: v must be a Value, a numpy array or a number"):
        x[0] = value
    assert x.data.tolist() == [0.0, 0.0] and x._version == 0


@pytest.mark.parametrize("write, error", [
    (lambda x: x.__setitem__(5, 1.0), IndexError), (lambda x: x.__setitem__([0, 9], 1.0), IndexError),
    (lambda x: x.__setitem__(slice(0, 2), np.ones(3)), ValueError), (lambda x: x.__setitem__("a", 1.0), IndexError),
], ids=["int out of range", "list out of range", "wrong shape", "a string index"])
def test_a_bad_index_or_shape_names_the_assignment_and_changes_nothing(write, error):
    x = tg.Value([1.0, 2.0, 3.0])
    with pytest.raises(error, match="x\\[index\\] = v"):
        write(x)
    assert x.data.tolist() == [1.0, 2.0, 3.0] and x._version == 0


# ---------------------------------------------------------------- the leaf rules

@pytest.mark.parametrize("engine", ENGINES)
def test_a_leaf_that_requires_grad_refuses_outside_no_grad_and_changes_inside(engine):
    lib = ENGINES[engine]
    w = tensor(lib, [1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
        w[0] = 5.0
    assert numbers(w).tolist() == [1.0, 2.0, 3.0] and w._version == 0
    (w * w).sum().backward()
    with lib.no_grad():
        w[0] = 5.0
    assert numbers(w).tolist() == [5.0, 2.0, 3.0] and w._version == 1
    assert w.is_leaf and w.requires_grad and grad(w).tolist() == [2.0, 4.0, 6.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_graph_that_saved_x_refuses_backward_after_a_write_inside_no_grad(engine):
    lib = ENGINES[engine]
    w = tensor(lib, [1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    with lib.no_grad():
        w[w > 1] = 0.0
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


# ---------------------------------------------------------------- recorded in the graph

def gradients(lib, build):
    w = tensor(lib, [1.0, 2.0, 3.0], requires_grad=True)
    u = tensor(lib, [5.0, 6.0], requires_grad=True)
    out = build(lib, w, u)
    (out * tensor(lib, np.arange(1.0, out.numel() + 1).reshape(out.shape))).sum().backward()
    return [numbers(out), grad(w) if w.grad is not None else np.zeros(3),
            grad(u) if u.grad is not None else np.zeros(2), out.requires_grad, out.is_leaf]


def y_zero(lib, w, u):
    y = w * 2
    y[0] = 0.0
    return y


def into_constant(lib, w, u):
    x = lib.zeros(3)
    x[1] = w[0] * 3
    return x


def repeated(lib, w, u):
    y = w * 2
    y[[0, 0]] = u  # the last write wins; each copy gets the place's gradient
    return y


def broadcast(lib, w, u):
    y = w * 2
    y[[0, 2]] = u[0:1]
    return y


def masked(lib, w, u):
    y = w * 1
    y[y > 1.5] = u[1]
    return y


def a_row(lib, w, u):
    x = lib.zeros(2, 3)
    x[1] = w
    x[0, 1:] = u
    return x


def earlier_consumer(lib, w, u):
    y = w * 2
    z = y + 1  # recorded before: its gradient goes to y as it was
    y[0] = 100.0
    return z + y


def consumer_between_writes(lib, w, u):
    y = w * 2
    a = y * 1  # sees y before both writes
    y[0] = u[0]
    b = y.exp()  # sees y after the first
    y[1] = u[1]
    return a + b + y


def float64_into_float32(lib, w, u):
    x = lib.zeros(3)
    x[0:2] = (u * 2).double()
    return x


def into_itself(lib, w, u):
    y = w * 2
    y[...] = y  # v is x itself: its gradient goes to x as it was (the fuzz found it sent to none)
    return y * y


RECORDED = [y_zero, into_constant, repeated, broadcast, masked, a_row, earlier_consumer,
            consumer_between_writes, float64_into_float32, into_itself]


@pytest.mark.parametrize("build", RECORDED, ids=lambda build: build.__name__)
def test_a_write_in_a_graph_is_recorded_and_its_gradients_are_pytorchs(build):
    ours = both(lambda lib: gradients(lib, build))
    assert ours[3] and not ours[4]


def test_the_recorded_operation_is_index_put_and_x_stays_the_same_object():
    w = tg.Value([1.0, 2.0], requires_grad=True)
    y = w * 2
    same = y
    y[0] = 0.0
    assert y is same and type(y.grad_fn).__name__ == "IndexPut" and "IndexPutBackward0" in repr(y)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_operation_that_saved_x_refuses_backward_after_a_recorded_write(engine):
    lib = ENGINES[engine]
    w = tensor(lib, [1.0, 2.0, 3.0], requires_grad=True)
    y = w.exp()  # exp's backward reads its output
    y[0] = 0.0
    with pytest.raises(RuntimeError, match=STALE):
        y.sum().backward()
    w = tensor(lib, [1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    square = y * y  # reads y
    y[0] = 0.0
    with pytest.raises(RuntimeError, match=STALE):
        square.sum().backward()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_that_requires_grad_written_into_an_integer_x_is_cast_and_records_nothing(engine):
    lib = ENGINES[engine]
    w = tensor(lib, [1.5, 2.0], requires_grad=True)
    x = lib.zeros(3, dtype=np.int64 if lib is tg else torch.int64)
    x[0] = w[0] * 2
    assert numbers(x).tolist() == [3, 0, 0] and not x.requires_grad


# ---------------------------------------------------------------- what this engine refuses instead

def test_writing_a_value_that_requires_grad_into_a_view_is_refused_and_changes_nothing():
    w = tg.Value([1.0, 2.0, 3.0], requires_grad=True)
    buffer = tg.zeros(4)
    row = buffer[0:2]
    with pytest.raises(RuntimeError, match="x is a view of another Value"):
        row[0] = w[0] * 2
    assert buffer.data.tolist() == [0.0] * 4 and buffer._version == 0 and not row.requires_grad


def test_a_write_in_a_graph_while_a_view_of_x_is_alive_is_refused_and_allowed_once_it_is_gone():
    w = tg.Value([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    view = y[0:2]
    with pytest.raises(RuntimeError, match="a view of x .* is still alive"):
        y[0] = 0.0
    assert y.data.tolist() == [2.0, 4.0, 6.0] and y._version == 0
    del view
    y[0] = 0.0
    y.sum().backward()
    assert w.grad.tolist() == [0.0, 2.0, 2.0]


def test_a_view_kept_alive_by_a_graph_is_alive_too():
    # PyTorch computes y[1:] = y[0:2] * 3 (the view y[0:2] gets new history); the product here
    # keeps the view, so the write is refused rather than give a later use of the view a wrong gradient.
    w = tg.Value([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    with pytest.raises(RuntimeError, match="perhaps kept by a graph built from it"):
        y[1:] = y[0:2] * 3
    assert y.data.tolist() == [2.0, 4.0, 6.0]
    y = w * 2
    y[1:] = (y * 1)[0:2] * 3  # a copy's view: allowed
    y.sum().backward()
    assert w.grad.tolist() == [8.0, 6.0, 0.0]


def test_a_plain_write_through_a_view_needs_no_graph_and_changes_the_base():
    buffer = tg.zeros(4)
    row = buffer[1:3]
    row[0] = 5.0
    assert buffer.data.tolist() == [0.0, 5.0, 0.0, 0.0] and buffer._version == row._version == 1


def test_both_walks_follow_an_earlier_consumer_back_to_x_as_it_was():
    from tinygrad_edu import autograd
    w = tg.Value([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    z = y + 1
    y[0] = 100.0
    loss = (z * tg.Value([1.0, 2.0, 3.0])).sum() + y.sum()
    loss.backward()
    tuned = w.grad.copy()
    w.grad = None
    autograd.backpropagate(loss, np.array(1.0, dtype=np.float32))
    np.testing.assert_array_equal(w.grad, tuned)
    np.testing.assert_array_equal(tuned, [2.0, 6.0, 8.0])
