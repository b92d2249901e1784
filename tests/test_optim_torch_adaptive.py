"""Adagrad, RMSprop, Adam and AdamW against torch.optim's: the same iterates to 1e-12 (float64).

Hypothesis draws the start and a gradient for every step (the gradient is set
by hand, as torch allows too), so the rules are compared on arbitrary
sequences, not only on one objective's. Each option is tried alone and all of
them in random combinations; a state dict saved mid-run continues the same
iterates in a fresh optimizer, in ours and across to torch's and back.
"""

import copy

import numpy as np
import pytest
from hypothesis import assume, currently_in_test_context, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support import floats

import tinygrad_edu as tg
from tinygrad_edu import optim

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")

STEPS = 24
SHAPES = [(3,), (2, 2), ()]
TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}

# Each optimizer's options, a value other than the default for each (tried alone), and a strategy for combinations.
OPTIONS = {
    "Adagrad": {
        "lr": (0.3, floats(1e-3, 0.5)),
        "lr_decay": (0.05, floats(0.0, 0.2)),
        "weight_decay": (0.1, floats(0.0, 0.3)),
        "initial_accumulator_value": (0.5, floats(0.0, 1.0)),
        "eps": (1e-3, floats(0.0, 1e-2)),
        "maximize": (True, st.booleans()),
    },
    "RMSprop": {
        "lr": (0.05, floats(1e-3, 0.1)),
        "alpha": (0.5, floats(0.0, 0.999)),
        "eps": (1e-3, floats(0.0, 1e-2)),
        "weight_decay": (0.1, floats(0.0, 0.3)),
        "momentum": (0.8, floats(0.0, 0.95)),
        "centered": (True, st.booleans()),
        "maximize": (True, st.booleans()),
    },
    "Adam": {
        "lr": (0.05, floats(1e-3, 0.1)),
        "betas": ((0.5, 0.9), st.tuples(floats(0.0, 0.99), floats(0.0, 0.999))),
        "eps": (1e-3, floats(0.0, 1e-2)),
        "weight_decay": (0.1, floats(0.0, 0.3)),
        "amsgrad": (True, st.booleans()),
        "maximize": (True, st.booleans()),
    },
}
OPTIONS["AdamW"] = OPTIONS["Adam"]
ALONE = [(name, {}) for name in OPTIONS] + [(name, {key: value}) for name, options in OPTIONS.items()
                                            for key, (value, _) in options.items()]


@st.composite
def combinations(draw, name):
    """Some options of ``name`` (each one left out or drawn), so that all combinations come up."""
    return {key: draw(strategy) for key, (_, strategy) in OPTIONS[name].items() if draw(st.booleans())}


@st.composite
def runs(draw):
    """Two parameters' starts and a gradient for each of them at each of STEPS steps (float64)."""
    shape = draw(st.sampled_from(SHAPES))
    values = floats(-3.0, 3.0)
    starts = [draw(arrays(np.float64, shape, elements=values)), draw(arrays(np.float64, (2,), elements=values))]
    grads = [draw(arrays(np.float64, (STEPS, *start.shape), elements=values, fill=st.nothing()))
             for start in starts]
    return starts, grads


def ours(name, starts, options):
    params = [tg.Value(start, dtype=np.float64, requires_grad=True) for start in starts]
    return params, getattr(optim, name)(params, **options)


def theirs(name, starts, options):
    params = [torch.tensor(start, dtype=torch.float64, requires_grad=True) for start in starts]
    return params, getattr(torch.optim, name)(params, **options)


def numbers(p):
    return p.detach().numpy().copy() if isinstance(p, torch.Tensor) else p.data.copy()


def well_conditioned(opt):
    """False where centered RMSprop's variance v − g_ave² is below 1e-3·v, a difference of two close numbers.

    There a rounding difference of 1e-16 in v or g_ave (torch fuses some multiply-adds, numpy rounds
    twice) grows by v / (v − g_ave²): past 1e-3 of v it no longer stays within 1e-12. Gradients that
    hardly vary make it so (with α = 0 the variance is g·g − g·g: 0 in numpy, rounding error in torch).
    """
    for state in opt.state.values():
        if "grad_avg" in state:
            square, variance = state["square_avg"], state["square_avg"] - state["grad_avg"] ** 2
            if not np.all((square == 0) | (variance >= 1e-3 * square)):
                return False
    return True


def take_steps(params, opt, grads, steps):
    """Set each parameter's grad to the drawn one and step; the iterates after each step."""
    path = []
    for t in steps:
        for p, grad in zip(params, grads, strict=True):
            p.grad = torch.tensor(grad[t]) if isinstance(p, torch.Tensor) else grad[t]
        with np.errstate(divide="ignore", invalid="ignore"):  # eps = 0 and g = 0: 0/0 is NaN in torch too
            opt.step()
        if isinstance(opt, optim.Optimizer):
            if currently_in_test_context():
                assume(well_conditioned(opt))
            else:
                assert well_conditioned(opt)
        path.append([numbers(p) for p in params])
    return path


def assert_same_path(mine, torchs):
    for step, (p_step, q_step) in enumerate(zip(mine, torchs, strict=True)):
        for p, q in zip(p_step, q_step, strict=True):
            np.testing.assert_allclose(p, q, **TOLERANCE, err_msg=f"step {step + 1}")


def assert_same_iterates(name, options, run):
    starts, grads = run
    mine = take_steps(*ours(name, starts, options), grads, range(STEPS))
    torchs = take_steps(*theirs(name, starts, options), grads, range(STEPS))
    assert_same_path(mine, torchs)


@pytest.mark.parametrize("name, options", ALONE, ids=[f"{n}-{'-'.join(o) or 'defaults'}" for n, o in ALONE])
@settings(max_examples=8)
@given(run=runs())
def test_each_option_alone_gives_torchs_iterates(name, options, run):
    assert_same_iterates(name, options, run)


@pytest.mark.parametrize("name", sorted(OPTIONS))
@given(data=st.data())
def test_options_in_combination_give_torchs_iterates(name, data):
    assert_same_iterates(name, data.draw(combinations(name)), data.draw(runs()))


# ---------------------------------------------------------------- state dicts mid-run


def to_torch(saved):
    """Our state dict as torch's: arrays become tensors (torch fills in its implementation flags)."""
    state = {i: {k: torch.tensor(v) for k, v in entry.items()} for i, entry in saved["state"].items()}
    return {"state": state, "param_groups": copy.deepcopy(saved["param_groups"])}


def from_torch(saved, options):
    """Torch's state dict as ours: tensors become arrays, groups keep only our options."""
    state = {i: {k: v.numpy() for k, v in entry.items()} for i, entry in saved["state"].items()}
    groups = [{k: v for k, v in group.items() if k in options or k == "params"} for group in saved["param_groups"]]
    return {"state": state, "param_groups": groups}


def draw_mid_run(data, name):
    """Options, a run, and the step after which the state dict is saved."""
    return data.draw(combinations(name)), data.draw(runs()), data.draw(st.integers(1, STEPS - 1), label="middle")


@pytest.mark.parametrize("name", sorted(OPTIONS))
@settings(max_examples=20)
@given(data=st.data())
def test_a_state_dict_saved_mid_run_continues_the_same_iterates(name, data):
    options, (starts, grads), middle = draw_mid_run(data, name)
    torch_path = take_steps(*theirs(name, starts, options), grads, range(STEPS))
    params, opt = ours(name, starts, options)
    take_steps(params, opt, grads, range(middle))
    saved = opt.state_dict()
    fresh_params, fresh = ours(name, [p.data for p in params], {})  # defaults, replaced by the loaded options
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0] == {**opt.param_groups[0], "params": fresh_params}
    assert_same_path(take_steps(fresh_params, fresh, grads, range(middle, STEPS)), torch_path[middle:])


@pytest.mark.parametrize("name", sorted(OPTIONS))
@settings(max_examples=20)
@given(data=st.data())
def test_state_dicts_cross_between_ours_and_torchs_mid_run(name, data):
    options, (starts, grads), middle = draw_mid_run(data, name)
    params, opt = ours(name, starts, options)
    torch_params, torch_opt = theirs(name, starts, options)
    take_steps(params, opt, grads, range(middle))
    take_steps(torch_params, torch_opt, grads, range(middle))
    mine_saved, torch_saved = opt.state_dict(), torch_opt.state_dict()
    our_defaults = ours(name, starts, {})[1].defaults

    torch_continues, torch_fresh = theirs(name, [numbers(p) for p in params], {})
    torch_fresh.load_state_dict(to_torch(mine_saved))
    ours_continues, ours_fresh = ours(name, [numbers(p) for p in torch_params], {})
    ours_fresh.load_state_dict(from_torch(torch_saved, our_defaults))

    reference = take_steps(torch_params, torch_opt, grads, range(middle, STEPS))
    assert_same_path(take_steps(torch_continues, torch_fresh, grads, range(middle, STEPS)), reference)
    assert_same_path(take_steps(ours_continues, ours_fresh, grads, range(middle, STEPS)), reference)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_state_names_and_options_are_torchs(name):
    starts = [np.array([0.5, -1.0]), np.array([2.0, 0.1])]
    every = {key: value for key, (value, _) in OPTIONS[name].items()}
    (params, opt), (torch_params, torch_opt) = ours(name, starts, every), theirs(name, starts, every)
    grads = [np.ones((1, 2)), -np.ones((1, 2))]
    take_steps(params, opt, grads, [0])
    take_steps(torch_params, torch_opt, grads, [0])
    mine, torchs = opt.state_dict(), torch_opt.state_dict()
    assert {i: set(entry) for i, entry in mine["state"].items()} == \
           {i: set(entry) for i, entry in torchs["state"].items()}
    for index, entry in torchs["state"].items():
        assert mine["state"][index]["step"] == entry["step"].item()
    mine_group, torch_group = mine["param_groups"][0], torchs["param_groups"][0]
    assert mine_group == {key: torch_group[key] for key in mine_group}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_defaults_are_torchs(name):
    start = [np.array([1.0])]
    mine, torchs = ours(name, start, {})[1].defaults, theirs(name, start, {})[1].defaults
    assert mine == {key: torchs[key] for key in mine}


def test_float32_adam_stays_float32_and_matches_torch_float32():
    starts = [np.array([0.5, -1.5], dtype=np.float32)]
    grads = [np.linspace(-1, 1, 2 * STEPS, dtype=np.float32).reshape(STEPS, 2)]
    params = [tg.Value(starts[0], requires_grad=True)]
    torch_params = [torch.tensor(starts[0], requires_grad=True)]
    options = {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}
    mine = take_steps(params, optim.Adam(params, **options), grads, range(STEPS))
    torchs = take_steps(torch_params, torch.optim.Adam(torch_params, **options), grads, range(STEPS))
    assert params[0].dtype == np.float32
    np.testing.assert_allclose(mine[-1][0], torchs[-1][0], rtol=1e-5, atol=1e-6)
