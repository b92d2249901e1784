"""Views share their base's numbers and its version count, as in PyTorch (issue 23, item 1):
``w[0:2]``, ``w[0]``, ``w[...]``, ``w.reshape(...)``, ``w.T``, ``w.transpose(...)``,
``w.permute(...)`` and ``w.detach()``. A change in place through any of them makes a graph that
saved ``w`` refuse to go backward ("modified by an inplace operation"), where it used to compute
a gradient from the new numbers. Each case runs the same code on a Value and on a tensor."""

from __future__ import annotations

import contextlib
import gc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, views

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

STALE = "modified by an inplace operation"
ENGINES = {"tinygrad_edu": tg, "torch": torch}
VIEWS = {
    "w[0:2]": lambda w: w[0:2], "w[0]": lambda w: w[0], "w[...]": lambda w: w[...], "w[None]": lambda w: w[None],
    "w[1, ...]": lambda w: w[1, ...], "w.reshape(6)": lambda w: w.reshape(6), "w.T": lambda w: w.T,
    "w.transpose(0, 1)": lambda w: w.transpose(0, 1), "w.permute(1, 0)": lambda w: w.permute(1, 0),
    "w.detach()": lambda w: w.detach(), "w[0:2][1]": lambda w: w[0:2][1], "w.T[1:]": lambda w: w.T[1:],
}
COPIES = {"w[[0, 1]]": lambda w: w[[0, 1]], "w[mask]": lambda w: w[w > 2], "w.T.reshape(6)": lambda w: w.T.reshape(6),
          "w * 1": lambda w: w * 1}


def leaf(lib, data=((1.0, 2.0, 3.0), (4.0, 5.0, 6.0)), requires_grad=True):
    return lib.tensor(np.asarray(data, dtype=np.float32), requires_grad=requires_grad)


def numbers(x) -> np.ndarray:
    return x.detach().numpy()


def backward_outcome(loss) -> str:
    try:
        loss.backward()
    except RuntimeError as error:
        return "stale" if STALE in str(error) else f"other error: {error}"
    return "ran"


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_change_through_a_view_inside_no_grad_makes_a_graph_that_saved_the_base_refuse(engine, view):
    lib = ENGINES[engine]
    w = leaf(lib)
    loss = (w * w).sum()  # saves w
    with lib.no_grad():
        v = VIEWS[view](w)
        v += 100
    assert w._version == v._version == 1
    assert numbers(w).max() > 100  # the change is in w's numbers
    assert backward_outcome(loss) == "stale"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_issues_reproducers_raise_as_in_pytorch(engine):
    lib = ENGINES[engine]
    w = leaf(lib, [1.0, 2.0, 3.0])
    loss = (w * w).sum()
    with lib.no_grad():
        v = w[0:2]
        v += 100
    assert backward_outcome(loss) == "stale"
    w = leaf(lib, [1.0, 2.0, 3.0])
    loss = (w * w).sum()
    d = w.detach()
    d += 100  # outside no_grad: a detached Value does not require grad
    assert backward_outcome(loss) == "stale"


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_change_of_the_base_makes_a_graph_that_saved_the_view_refuse(engine, view):
    lib = ENGINES[engine]
    w = leaf(lib)
    v = VIEWS[view](w)
    loss = (v * v).sum() if v.requires_grad else (w * v.reshape(w.shape)).sum()  # saves the view
    with lib.no_grad():
        w *= 2
    assert v._version == 1
    assert backward_outcome(loss) == "stale"


@pytest.mark.parametrize("expression", {**VIEWS, **COPIES})
def test_which_results_are_views_is_pytorchs(expression):
    ours, theirs = (VIEWS | COPIES)[expression](leaf(tg)), (VIEWS | COPIES)[expression](leaf(torch))
    assert (ours._base is None) == (theirs._base is None)
    shares = views.is_view_of(ours.data, leaf(tg).data)  # a fresh leaf: never
    assert not shares


@pytest.mark.parametrize("engine", ENGINES)
def test_a_copy_does_not_share_the_version_count(engine):
    lib = ENGINES[engine]
    w = leaf(lib)
    loss = (w * w).sum()
    with lib.no_grad():
        c = w[[0, 1]]
        c += 100
    assert w._version == 0 and numbers(w).max() == 6
    assert backward_outcome(loss) == "ran"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_view_of_a_0d_value_shares_its_number(engine):
    lib = ENGINES[engine]
    w = lib.tensor(1.0, requires_grad=True)
    loss = w * w
    with lib.no_grad():
        v = w.reshape(1)
        v += 1
    assert numbers(w) == 2.0 and w._version == 1
    assert backward_outcome(loss) == "stale"


# ---------------------------------------------------------------- PyTorch's rules for views changed in place

@pytest.mark.parametrize("engine", ENGINES)
def test_a_view_of_a_leaf_that_requires_grad_refuses_a_change_outside_no_grad(engine):
    lib = ENGINES[engine]
    w = leaf(lib)
    v = w[0:2]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        v += 1
    assert numbers(w).max() == 6 and w._version == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_view_taken_inside_no_grad_refuses_a_change_outside(engine):
    lib = ENGINES[engine]
    w = leaf(lib)
    with lib.no_grad():
        v = w[0:2]
    with pytest.raises(RuntimeError, match="(?i)a view was created in no_grad mode and is being modified"):
        v *= 2
    assert numbers(w).max() == 6 and w._version == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_detached_value_may_change_outside_no_grad(engine):
    lib = ENGINES[engine]
    w = leaf(lib)
    d = w.detach()
    d[0, 0] = 10.0
    assert numbers(w)[0, 0] == 10.0 and w._version == d._version == 1
    assert w.requires_grad and w.is_leaf and not d.requires_grad and d._base is None


@pytest.mark.parametrize("engine", ENGINES)
def test_an_optimizer_step_makes_the_previous_graph_refuse_through_the_weights_transpose(engine):
    lib = ENGINES[engine]
    lib.manual_seed(0)
    layer = (nn if engine == "tinygrad_edu" else torch.nn).Linear(3, 2)
    loss = layer(lib.ones(4, 3, requires_grad=True)).sum()  # x @ W.T: x's gradient reads W.T, a view of W
    loss.backward(retain_graph=True) if engine == "torch" else loss.backward()
    lib.optim.SGD(layer.parameters(), lr=0.1).step()
    assert backward_outcome(loss) == "stale"


# ---------------------------------------------------------------- .numpy()

@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_of_a_value_that_requires_grad_refuses_and_says_detach_numpy(engine):
    w = leaf(ENGINES[engine])
    with pytest.raises(RuntimeError, match=r"(?i)can't call numpy\(\) on .* that requires grad.*detach\(\)\.numpy\(\)"):
        w.numpy()
    shared = w.detach().numpy()
    shared[0, 0] = 7.0  # shares w's numbers, as in PyTorch
    assert numbers(w)[0, 0] == 7.0


@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_of_a_value_without_grad_shares_its_numbers(engine):
    x = leaf(ENGINES[engine], requires_grad=False)
    x.numpy()[0, 0] = 9.0
    assert numbers(x)[0, 0] == 9.0


# ---------------------------------------------------------------- bookkeeping

def test_views_are_weakly_kept_so_a_transpose_per_step_does_not_pile_up():
    w = leaf(tg, requires_grad=False)
    for _ in range(3 * views.SWEEP_EVERY):
        (w.T * 1).sum()
    gc.collect()
    assert len(views._views.get(id(w), [])) <= max(views.SWEEP_EVERY, views._next_sweep)
    assert views.live_views(w) == []
    kept = w.T
    assert views.live_views(w) == [kept]


def test_many_live_views_make_sweeps_rarer_so_that_each_registration_costs_o_1():
    x = leaf(tg, requires_grad=False)
    kept = [x[0] for _ in range(4 * views.SWEEP_EVERY)]  # alive: a sweep walks them all and keeps them
    while True:
        before = views._registered
        _ = x.T  # dropped at the next turn
        if views._registered < before:  # a sweep ran
            break
    # the next sweep waits for as many registrations as the references it walked and kept
    assert views._next_sweep >= len(kept) and views.live_views(x)[:len(kept)] == kept


def test_a_plain_value_carries_no_more_than_before_and_a_view_reads_its_owners_count():
    w = leaf(tg)
    assert type(w) is tg.Value and w._owner is None and w._base is None and not hasattr(w, "__weakref__")
    v = w[0]
    w._version += 3
    assert v._version == 3
    v._version += 1
    assert w._version == 4


def test_a_view_of_a_view_has_the_first_value_as_base_as_in_pytorch():
    w = leaf(tg)
    v = w[0:2][1].reshape(1, 3)
    assert v._base is w and v._owner is w
    d = w.detach()
    dv = d.T
    assert dv._base is d and dv._owner is w  # a view of a detached Value: its base is that Value


def test_a_view_registered_twice_is_listed_once():
    w = leaf(tg, requires_grad=False)
    kept = w.T
    views.register(kept, w)
    assert views.live_views(w) == [kept]


def test_a_weights_transpose_is_found_once_the_weight_stops_requiring_grad(monkeypatch):
    walks, get_referrers = [], gc.get_referrers
    monkeypatch.setattr(views.gc, "get_referrers", lambda *objects: walks.append(objects) or get_referrers(*objects))
    w = leaf(tg)
    kept, row = w.T, w[0]  # the transpose unregistered (value._view), the row registered (the plain path)
    assert views.live_views(w) == [row]
    for _ in range(3):  # toggling, as a GAN's loop does each step, walks nothing
        w.requires_grad_(False)
        w.requires_grad_(True)
    w.requires_grad_(False)  # now x[index] = v on w can be recorded: its views are looked for, once
    assert walks == []
    assert {id(v) for v in views.live_views(w)} == {id(kept), id(row)} and len(views.live_views(w)) == 2
    assert len(walks) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_transpose_taken_while_the_weight_required_grad_gets_new_history_after(engine):
    lib = ENGINES[engine]
    w = leaf(lib)
    t = w.T
    w.requires_grad_(False)
    y = lib.tensor(np.array(5.0, dtype=np.float32), requires_grad=True)
    w[0, 1] = y * 1
    (t * leaf(lib, requires_grad=False).T).sum().backward()
    assert float(y.grad) == 2.0 and t.requires_grad


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("make", ["leaf", "view", "detached", "0-d", "no_grad", "result"])
def test_the_tuned_transpose_makes_the_view_the_plain_path_makes(make, requires_grad):
    from tinygrad_edu import ops
    from tinygrad_edu.value import _shared, apply

    def base():
        w = leaf(tg, requires_grad=requires_grad)
        return {"leaf": w, "view": w[0:2], "detached": w.detach(), "0-d": w[0, 0].reshape(()), "no_grad": w,
                "result": w * 2}[make]
    tuned_base, plain_base = base(), base()
    with tg.no_grad() if make == "no_grad" else contextlib.nullcontext():
        tuned = tuned_base.T
        op = ops.Transpose(None)
        plain = apply(op, plain_base)
        if plain_base.ndim == 0:
            plain.data = op.forward(plain_base.data)
        if plain.data.base is not None:
            plain = _shared(plain, plain_base, view_op=op)
    assert type(tuned) is type(plain)
    np.testing.assert_array_equal(tuned.data, plain.data)
    assert tuned.data.base is not None and (tuned.data.base is None) == (plain.data.base is None)
    assert (tuned._requires_grad, tuned._version, tuned.name, tuned._grad) == (plain._requires_grad, plain._version,
                                                                              plain.name, plain._grad)
    assert (type(tuned._op), getattr(tuned._op, "needs_input_grad", None)) == (
        type(plain._op), getattr(plain._op, "needs_input_grad", None))
    if tuned._op is not None:
        assert tuned._op.versions == plain._op.versions and tuned._op.axes == plain._op.axes
        assert (tuned._op._first_input, tuned._op._second_input) == (tuned_base, None)
    if isinstance(plain, tg.value.View):
        assert (tuned._owner is tuned_base or tuned._owner is tuned_base._owner)
        assert (tuned._base is tuned_base or tuned._base is tuned_base._base) and plain._base is not None
        assert (tuned._view_ops is None) == (plain._view_ops is None)
        if tuned._view_ops is not None:
            assert [type(op) for op in tuned._view_ops] == [type(op) for op in plain._view_ops]
