"""Bad input to an optimizer: one clear error naming the argument, and nothing changed.

Each row is a call, the exception it must raise and a pattern that names the
argument. Every call runs against a trained optimizer (two steps taken, so it
has state) and a spare parameter; afterwards the parameters (numbers, grads,
versions) and the optimizer's state dict must be exactly as before.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim

TRAINED = {
    "GD": lambda ps: optim.GD(ps, lr=0.1),
    "Momentum": lambda ps: optim.Momentum(ps, lr=0.1, momentum=0.9),
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, momentum=0.5, centered=True),
    "Adam": lambda ps: optim.Adam(ps, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps),
}


def world(name: str) -> SimpleNamespace:
    x = tg.Value([1.0, -2.0], dtype=np.float64, requires_grad=True)
    spare = tg.Value([[0.5]], dtype=np.float64, requires_grad=True)
    opt = TRAINED[name]([x])
    for grad in ([0.5, -1.0], [0.25, 2.0]):
        x.grad = grad
        opt.step()
    return SimpleNamespace(x=x, spare=spare, opt=opt, saved=opt.state_dict())


def loading(edit):
    """A call that loads the trained optimizer's own state dict after ``edit`` changed a copy of it."""
    def call(w):
        saved = copy.deepcopy(w.saved)
        edit(saved)
        w.opt.load_state_dict(saved)
    return call


def entry(key, value):
    """An edit that sets parameter 0's state entry ``key``."""
    return lambda saved: saved["state"][0].__setitem__(key, value)


def option(key, value):
    """An edit that sets param group 0's option ``key``."""
    return lambda saved: saved["param_groups"][0].__setitem__(key, value)


def drop(*path):
    def edit(saved):
        target = saved
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


ROWS = [
    # ---- building any optimizer: params
    ("SGD", lambda w: optim.SGD(None), TypeError, r"params must be a list .* got NoneType"),
    ("SGD", lambda w: optim.SGD([]), ValueError, "optimizer got an empty parameter list"),
    ("SGD", lambda w: optim.SGD(w.x), TypeError, "params .* got a single Value"),
    ("SGD", lambda w: optim.SGD({w.x}), TypeError, "params must be a list .* got set"),
    ("SGD", lambda w: optim.SGD({"params": [w.x]}), TypeError, "params must be a list .* got dict"),
    ("SGD", lambda w: optim.SGD([1.0]), TypeError, "parameters must be Values, got float"),
    ("SGD", lambda w: optim.SGD([{"lr": 0.1}]), ValueError, "param_group needs 'params'"),
    ("SGD", lambda w: optim.SGD([{"params": []}]), ValueError, "empty parameter group"),
    ("SGD", lambda w: optim.SGD([{"params": 3}]), TypeError, r"param_group\['params'\] must be a list"),
    ("SGD", lambda w: optim.SGD([w.x * 2]), ValueError, "non-leaf"),
    ("SGD", lambda w: optim.SGD([w.x, w.x]), ValueError, "parameter appears more than once"),
    ("SGD", lambda w: optim.SGD([{"params": [w.x], "learning_rate": 0.1}]), ValueError,
     "unknown option 'learning_rate'"),
    # ---- SGD's options
    ("SGD", lambda w: optim.SGD([w.spare], lr="0.1"), TypeError, "lr must be a real number, got str"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=None), TypeError, "lr must be a real number, got NoneType"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=True), TypeError, "lr must be a real number, got bool"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=-0.1), ValueError, r"invalid lr=-0\.1"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=float("nan")), ValueError, "invalid lr=nan"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=float("inf")), ValueError, "invalid lr=inf"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, momentum=-0.1), ValueError, r"invalid momentum=-0\.1"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, momentum=1.0), ValueError, r"invalid momentum=1\.0"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, dampening=-1), ValueError, "invalid dampening=-1"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, weight_decay=-0.5), ValueError, r"invalid weight_decay=-0\.5"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, nesterov=True), ValueError,
     "nesterov=True requires momentum > 0"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov=True requires .* dampening = 0"),
    ("SGD", lambda w: optim.SGD([w.spare], lr=0.1, nesterov="yes"), TypeError, "nesterov must be True or False"),
    ("SGD", lambda w: optim.SGD([{"params": [w.spare], "momentum": "high"}], lr=0.1), TypeError,
     "momentum must be a real number"),
    # ---- add_param_group on a trained optimizer
    ("SGD", lambda w: w.opt.add_param_group([w.spare]), TypeError, "param_group must be a dict"),
    ("SGD", lambda w: w.opt.add_param_group({"params": [w.x]}), ValueError, "more than once"),
    ("SGD", lambda w: w.opt.add_param_group({"params": [w.spare], "lr": -1}), ValueError, "invalid lr=-1"),
    ("SGD", lambda w: w.opt.add_param_group({"lr": 0.1}), ValueError, "needs 'params'"),
    # ---- load_state_dict: the dict and its groups
    ("SGD", lambda w: w.opt.load_state_dict({}), ValueError, "state_dict has no 'state'"),
    ("SGD", lambda w: w.opt.load_state_dict({"state": {}}), ValueError, "state_dict has no 'param_groups'"),
    ("SGD", lambda w: w.opt.load_state_dict(None), TypeError, "state_dict must be a dict, got NoneType"),
    ("SGD", loading(lambda s: s.__setitem__("param_groups", "x")), TypeError, "'param_groups' must be a list"),
    ("SGD", loading(lambda s: s["param_groups"].append(dict(s["param_groups"][0]))), ValueError,
     "2 parameter groups, this optimizer has 1"),
    ("SGD", loading(option("params", [0, 1])), ValueError, "group 0 has 2 parameters in the state dict and 1"),
    ("SGD", loading(option("params", 0)), TypeError, r"param_groups\[0\]\['params'\] must be a list"),
    ("SGD", loading(drop("param_groups", 0, "lr")), ValueError, r"param_groups\[0\] is missing option 'lr'"),
    ("SGD", loading(option("foreach", None)), ValueError, r"param_groups\[0\] has unknown option 'foreach'"),
    ("SGD", loading(option("lr", "fast")), TypeError, "lr must be a real number, got str"),
    ("SGD", loading(option("momentum", 1.5)), ValueError, r"invalid momentum=1\.5"),
    ("SGD", loading(option("nesterov", "no")), TypeError, "nesterov must be True or False"),
    # ---- load_state_dict: the state entries
    ("SGD", loading(lambda s: s.__setitem__("state", [])), TypeError, "'state' must be a dict"),
    ("SGD", loading(lambda s: s["state"].__setitem__(7, {})), ValueError, r"parameter indices \[7\]"),
    ("SGD", loading(lambda s: s["state"].__setitem__(0, 1.0)), TypeError, r"state\[0\] must be a dict"),
    ("SGD", loading(entry("momentum_buffer", np.zeros(3))), ValueError,
     r"state\[0\]\['momentum_buffer'\] has shape \(3,\), its parameter has shape \(2,\)"),
    ("SGD", loading(entry("momentum_buffer", [1.0, 2.0])), TypeError,
     r"state\[0\]\['momentum_buffer'\] must be a real numpy array .* got list"),
    ("SGD", loading(entry("momentum_buffer", np.array([1j, 2]))), TypeError,
     r"\['momentum_buffer'\] must be a real numpy array .* got complex128"),
    ("SGD", loading(entry("momentum_buffer", np.array([None, 1.0]))), TypeError,
     r"\['momentum_buffer'\] must be a real numpy array .* got object"),
    ("SGD", loading(entry("velocity", np.zeros(2))), ValueError, r"state\[0\] has unknown entry 'velocity'"),
    ("Momentum", loading(entry("velocity", np.zeros((2, 1)))), ValueError, r"\['velocity'\] has shape \(2, 1\)"),
    ("Momentum", lambda w: optim.Momentum([w.spare], lr=0.1, momentum=1.2), ValueError, r"invalid momentum=1\.2"),
    ("GD", lambda w: optim.GD([w.spare], lr="x"), TypeError, "lr must be a real number"),
    ("GD", loading(option("momentum", 0.9)), ValueError, "unknown option 'momentum'"),
    # ---- Adagrad
    ("Adagrad", lambda w: optim.Adagrad([w.spare], lr=-1), ValueError, "invalid lr=-1"),
    ("Adagrad", lambda w: optim.Adagrad([w.spare], lr_decay=-0.1), ValueError, r"invalid lr_decay=-0\.1"),
    ("Adagrad", lambda w: optim.Adagrad([w.spare], weight_decay=-0.1), ValueError, r"invalid weight_decay=-0\.1"),
    ("Adagrad", lambda w: optim.Adagrad([w.spare], initial_accumulator_value=-1.0), ValueError,
     r"invalid initial_accumulator_value=-1\.0"),
    ("Adagrad", lambda w: optim.Adagrad([w.spare], eps=-1e-10), ValueError, "invalid eps=-1e-10"),
    ("Adagrad", lambda w: optim.Adagrad([w.spare], maximize=1), TypeError, "maximize must be True or False"),
    ("Adagrad", loading(entry("sum", np.zeros(4))), ValueError, r"\['sum'\] has shape \(4,\)"),
    ("Adagrad", loading(entry("step", -1.0)), ValueError, r"\['step'\] must be a finite number >= 0"),
    ("Adagrad", loading(entry("step", float("nan"))), ValueError, r"\['step'\] must be a finite number >= 0"),
    ("Adagrad", loading(entry("step", "2")), TypeError, r"\['step'\] must be a number"),
    ("Adagrad", loading(entry("step", np.zeros(2))), TypeError, r"\['step'\] must be a number"),
    ("Adagrad", loading(drop("state", 0, "sum")), ValueError, r"state\[0\] is missing 'sum'"),
    # ---- RMSprop
    ("RMSprop", lambda w: optim.RMSprop([w.spare], lr=-0.01), ValueError, r"invalid lr=-0\.01"),
    ("RMSprop", lambda w: optim.RMSprop([w.spare], alpha=-0.5), ValueError, r"invalid alpha=-0\.5"),
    ("RMSprop", lambda w: optim.RMSprop([w.spare], eps=-1.0), ValueError, r"invalid eps=-1\.0"),
    ("RMSprop", lambda w: optim.RMSprop([w.spare], weight_decay=-1.0), ValueError, r"invalid weight_decay=-1\.0"),
    ("RMSprop", lambda w: optim.RMSprop([w.spare], momentum=-0.9), ValueError, r"invalid momentum=-0\.9"),
    ("RMSprop", lambda w: optim.RMSprop([w.spare], centered="yes"), TypeError, "centered must be True or False"),
    ("RMSprop", loading(drop("state", 0, "grad_avg")), ValueError, r"state\[0\] is missing 'grad_avg'"),
    ("RMSprop", loading(drop("state", 0, "momentum_buffer")), ValueError, "is missing 'momentum_buffer'"),
    ("RMSprop", loading(entry("square_avg", np.zeros(())),), ValueError, r"\['square_avg'\] has shape \(\)"),
    ("RMSprop", loading(option("alpha", None)), TypeError, "alpha must be a real number"),
    # ---- Adam
    ("Adam", lambda w: optim.Adam([w.spare], lr=-0.001), ValueError, r"invalid lr=-0\.001"),
    ("Adam", lambda w: optim.Adam([w.spare], betas=(1.0, 0.999)), ValueError, r"invalid betas\[0\]=1\.0"),
    ("Adam", lambda w: optim.Adam([w.spare], betas=(0.9, -0.1)), ValueError, r"invalid betas\[1\]=-0\.1"),
    ("Adam", lambda w: optim.Adam([w.spare], betas=0.9), TypeError, r"betas must be a pair"),
    ("Adam", lambda w: optim.Adam([w.spare], betas=(0.9, 0.99, 0.9)), TypeError, r"betas must be a pair"),
    ("Adam", lambda w: optim.Adam([w.spare], betas=("a", 0.9)), TypeError, r"betas\[0\] must be a real number"),
    ("Adam", lambda w: optim.Adam([w.spare], eps=-1e-8), ValueError, "invalid eps=-1e-08"),
    ("Adam", lambda w: optim.Adam([w.spare], weight_decay=-1), ValueError, "invalid weight_decay=-1"),
    ("Adam", lambda w: optim.Adam([w.spare], amsgrad="no"), TypeError, "amsgrad must be True or False"),
    ("Adam", lambda w: optim.Adam([w.spare], maximize=None), TypeError, "maximize must be True or False"),
    ("Adam", loading(drop("state", 0, "max_exp_avg_sq")), ValueError, r"state\[0\] is missing 'max_exp_avg_sq'"),
    ("Adam", loading(entry("exp_avg", np.zeros((1, 2)))), ValueError, r"\['exp_avg'\] has shape \(1, 2\)"),
    ("Adam", loading(entry("exp_avg_sq", np.array(["a", "b"]))), TypeError, r"\['exp_avg_sq'\] must be a real"),
    ("Adam", loading(entry("step", None)), TypeError, r"\['step'\] must be a number"),
    ("Adam", loading(option("betas", (0.9, 1.0))), ValueError, r"invalid betas\[1\]=1\.0"),
    # ---- AdamW
    ("AdamW", lambda w: optim.AdamW([w.spare], weight_decay=-0.01), ValueError, r"invalid weight_decay=-0\.01"),
    ("AdamW", lambda w: optim.AdamW([w.spare], betas=(0.9, 1.5)), ValueError, r"invalid betas\[1\]=1\.5"),
    ("AdamW", lambda w: optim.AdamW([{"params": [w.spare], "decoupled_weight_decay": False}]), ValueError,
     "decoupled_weight_decay must be True"),
    ("AdamW", loading(option("decoupled_weight_decay", False)), ValueError, "decoupled_weight_decay must be True"),
    ("AdamW", loading(entry("exp_avg", np.zeros(5))), ValueError, r"\['exp_avg'\] has shape \(5,\)"),
]


def snapshot(w):
    values = [(p.data.copy(), None if p.grad is None else p.grad.copy(), p._version) for p in (w.x, w.spare)]
    return values, copy.deepcopy(w.opt.state_dict())


def assert_same(before, after):
    for (data, grad, version), (data2, grad2, version2) in zip(before[0], after[0], strict=True):
        np.testing.assert_array_equal(data, data2)
        assert (grad is None and grad2 is None) or np.array_equal(grad, grad2)
        assert version == version2
    saved, saved2 = before[1], after[1]
    assert saved["param_groups"] == saved2["param_groups"]
    assert saved["state"].keys() == saved2["state"].keys()
    for index, state in saved["state"].items():
        assert state.keys() == saved2["state"][index].keys()
        for key, value in state.items():
            np.testing.assert_array_equal(value, saved2["state"][index][key])


@pytest.mark.parametrize("name, call, error, pattern", ROWS, ids=[f"{i}-{row[0]}" for i, row in enumerate(ROWS)])
def test_bad_input_raises_naming_the_argument_and_changes_nothing(name, call, error, pattern):
    w = world(name)
    before = snapshot(w)
    with pytest.raises(error, match=pattern) as raised:
        call(w)
    assert type(raised.value) is error  # not a subclass that happens to match (a KeyError is not a ValueError)
    assert_same(before, snapshot(w))


def test_every_optimizer_has_rows():
    assert {row[0] for row in ROWS} == set(TRAINED)


@pytest.mark.parametrize("name", sorted(TRAINED))
def test_the_unedited_state_dict_loads(name):
    """The rows' edits are what fails: the trained optimizer's own state dict loads."""
    w = world(name)
    loading(lambda saved: None)(w)
    assert_same(snapshot(world(name)), snapshot(w))
