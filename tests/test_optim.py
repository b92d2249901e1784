"""The optimizer contract (PyTorch's): groups, state, zero_grad, step, closures, errors, state dicts."""

import copy

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim


def param(data, dtype=np.float64):
    return tg.Value(data, dtype=dtype, requires_grad=True)


def with_grad(p, grad):
    p.grad = grad
    return p


ALL_RULES = [
    lambda ps: optim.GD(ps, lr=0.1),
    lambda ps: optim.Momentum(ps, lr=0.1, momentum=0.8),
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.01),
    lambda ps: optim.AdamW(ps, lr=0.01, maximize=True),
]
# Rules with weight decay: a step moves a parameter whose gradient is zero, but not one whose grad is None.
DECAYING = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.5),
    lambda ps: optim.Adagrad(ps, lr=0.1, weight_decay=0.5),
    lambda ps: optim.RMSprop(ps, lr=0.1, weight_decay=0.5),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.5),
    lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5),
]


# ---------------------------------------------------------------- the slides' arithmetic, one step


def test_gd_step_is_p_minus_lr_times_grad():
    x = with_grad(param(-2.0), -12.0)
    optim.GD([x], lr=0.1).step()
    assert x.item() == pytest.approx(-0.8)


def test_momentum_two_steps_give_the_slides_velocities():
    x = param(-2.0)
    opt = optim.Momentum([x], lr=0.1, momentum=0.8)
    x.grad = -12.0
    opt.step()
    assert opt.state[x]["velocity"].item() == pytest.approx(-1.2)
    assert x.item() == pytest.approx(-0.8)
    x.grad = 3.072
    opt.step()
    assert opt.state[x]["velocity"].item() == pytest.approx(-0.6528)
    assert x.item() == pytest.approx(-0.1472)


def test_nesterov_takes_the_gradient_at_the_look_ahead_point_and_restores_x():
    x = param(-2.0)
    opt = optim.Nesterov([x], lr=0.1, momentum=0.9)
    opt.state[x] = {"velocity": np.array(1.0)}
    seen = []

    def closure():
        seen.append(x.item())
        x.grad = 0.5
        return "loss"

    assert opt.step(closure) == "loss"
    assert seen == [pytest.approx(-2.0 + 0.9 * 1.0)]
    velocity = 0.9 * 1.0 - 0.1 * 0.5
    assert opt.state[x]["velocity"].item() == pytest.approx(velocity)
    assert x.item() == pytest.approx(-2.0 + velocity)


def test_nesterov_step_without_closure_says_the_gradient_belongs_at_the_look_ahead_point():
    x = with_grad(param(1.0), 1.0)
    opt = optim.Nesterov([x], lr=0.1, momentum=0.9)
    with pytest.raises(RuntimeError, match="look-ahead point"):
        opt.step()
    assert x.item() == 1.0 and opt.state == {}


def test_nesterov_restores_the_parameters_even_when_the_closure_raises():
    x = param([1.0, 2.0])
    opt = optim.Nesterov([x], lr=0.1, momentum=0.9)
    opt.state[x] = {"velocity": np.array([1.0, 1.0])}

    def closure():
        raise ArithmeticError("boom")

    with pytest.raises(ArithmeticError):
        opt.step(closure)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_sgd_first_momentum_buffer_is_the_raw_gradient_and_dampening_starts_at_step_two():
    x = param(0.0)
    opt = optim.SGD([x], lr=1.0, momentum=0.5, dampening=0.5)
    x.grad = 2.0
    opt.step()
    assert opt.state[x]["momentum_buffer"].item() == 2.0  # not (1 − 0.5)·2
    assert x.item() == -2.0
    x.grad = 4.0
    opt.step()
    assert opt.state[x]["momentum_buffer"].item() == 0.5 * 2.0 + 0.5 * 4.0
    assert x.item() == -2.0 - 3.0


def test_sgd_nesterov_steps_along_grad_plus_momentum_times_buffer():
    x = param(0.0)
    opt = optim.SGD([x], lr=1.0, momentum=0.5, nesterov=True)
    x.grad = 2.0
    opt.step()
    assert x.item() == -(2.0 + 0.5 * 2.0)


def test_sgd_weight_decay_adds_lambda_p_to_the_gradient():
    x = param(3.0)
    opt = optim.SGD([x], lr=0.1, weight_decay=0.5)
    x.grad = 1.0
    opt.step()
    assert x.item() == pytest.approx(3.0 - 0.1 * (1.0 + 0.5 * 3.0))


def test_sgd_without_momentum_keeps_no_state():
    x = with_grad(param(1.0), 1.0)
    opt = optim.SGD([x], lr=0.1)
    opt.step()
    assert opt.state == {} and opt.state_dict()["state"] == {}


# ---------------------------------------------------------------- the contract


def test_step_with_closure_returns_the_closures_loss_and_uses_its_gradient():
    x = param([1.0, -2.0])
    opt = optim.SGD([x], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(x.data, [0.5, -1.0])


def test_step_without_closure_returns_none():
    assert optim.GD([with_grad(param(1.0), 1.0)], lr=0.1).step() is None


def test_parameters_whose_grad_is_none_are_skipped():
    x, y = with_grad(param(1.0), 1.0), param(5.0)
    opt = optim.Momentum([x, y], lr=0.1, momentum=0.9)
    opt.step()
    assert y.item() == 5.0 and y not in opt.state and x in opt.state


def test_zero_grad_sets_grads_to_none():
    x, y = with_grad(param(1.0), 1.0), with_grad(param([1.0, 2.0]), [3.0, 4.0])
    optim.GD([x, y], lr=0.1).zero_grad()
    assert x.grad is None and y.grad is None


def test_zero_grad_set_to_none_false_zeroes_the_grad_in_place():
    x = with_grad(param([1.0, 2.0]), [3.0, 4.0])
    grad = x.grad
    optim.GD([x], lr=0.1).zero_grad(set_to_none=False)
    assert x.grad is grad
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


@pytest.mark.parametrize("make", DECAYING)
def test_zero_grad_set_to_none_false_leaves_a_none_grad_none_so_decay_never_moves_it(make):
    reached, unreached = with_grad(param([1.0, 2.0]), [3.0, 4.0]), param(1.0)
    opt = make([reached, unreached])
    opt.zero_grad(set_to_none=False)
    assert unreached.grad is None
    opt.step()
    assert unreached.item() == 1.0 and unreached._version == 0
    assert unreached not in opt.state or opt.state[unreached]["step"] == 0  # Adagrad makes its state up front
    assert not np.array_equal(reached.data, [1.0, 2.0])  # a zero gradient still decays


# ---------------------------------------------------------------- a step is all or nothing


@pytest.mark.parametrize("make", ALL_RULES)
def test_each_step_bumps_the_version_of_each_parameter_it_writes(make):
    x, y = with_grad(param([1.0, 2.0]), [0.5, -0.5]), param(3.0)
    opt = make([x, y])
    opt.step()
    opt.step()
    assert (x._version, y._version) == (2, 0)


@pytest.mark.parametrize("make", ALL_RULES)
def test_a_step_that_fails_changes_no_parameter_and_no_state(make):
    x, y = with_grad(param([1.0, 2.0]), [0.5, -0.5]), with_grad(param([3.0, 4.0]), [1.0, 1.0])
    opt = make([x, y])
    opt.step()
    before = opt.state_dict()
    y.data = np.array([3.0, 4.0, 5.0])  # a write to .data the grad no longer fits
    with pytest.raises(ValueError, match=r"parameter of shape \(3,\) has a grad of shape \(2,\)"):
        opt.step()
    assert x.data.tolist() != [1.0, 2.0] and x._version == 1
    x_after_one_step = x.data.copy()
    with pytest.raises(ValueError):
        opt.step()
    np.testing.assert_array_equal(x.data, x_after_one_step)
    after = opt.state_dict()
    for index, state in before["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


def _keeps_state(make) -> bool:
    p = with_grad(param([1.0]), [1.0])
    opt = make([p])
    opt.step()
    return bool(opt.state)


STATEFUL_RULES = [make for make in ALL_RULES if _keeps_state(make)]


def test_every_rule_but_plain_descent_keeps_state():
    assert len(ALL_RULES) - len(STATEFUL_RULES) == 2  # GD and SGD without momentum


@pytest.mark.parametrize("make", STATEFUL_RULES)
def test_a_state_array_that_no_longer_fits_is_named_and_nothing_changes(make):
    x, y = with_grad(param([1.0, 2.0]), [0.5, -0.5]), with_grad(param([3.0, 4.0]), [1.0, 1.0])
    opt = make([x, y])
    opt.step()
    name = next(key for key, value in opt.state[y].items() if isinstance(value, np.ndarray))
    opt.state[y][name] = np.zeros(5)  # written by hand, past load_state_dict's checks
    x_before, y_before, state_before = x.data.copy(), y.data.copy(), copy.deepcopy(opt.state[x])
    with pytest.raises(ValueError, match=rf"the '{name}' of a parameter of shape \(2,\) has shape \(5,\)"):
        opt.step()
    np.testing.assert_array_equal(x.data, x_before)
    np.testing.assert_array_equal(y.data, y_before)
    assert (x._version, y._version) == (1, 1)
    for key, value in state_before.items():
        np.testing.assert_array_equal(opt.state[x][key], value)


def test_a_step_that_fails_on_a_later_parameter_leaves_the_earlier_ones_unchanged():
    x, y = with_grad(param([1.0, 2.0]), [0.5, -0.5]), with_grad(param([3.0, 4.0]), [1.0, 1.0])
    opt = optim.SGD([x, y], lr=0.1, momentum=0.9)
    opt.state[y] = {"momentum_buffer": np.zeros(5)}  # written by hand, past load_state_dict's checks
    with pytest.raises(ValueError):
        opt.step()
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    assert x not in opt.state and x._version == 0


def test_changing_lr_in_param_groups_changes_the_next_step():
    x = with_grad(param(0.0), 1.0)
    opt = optim.SGD([x], lr=0.1)
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    assert x.item() == -0.5


def test_param_groups_take_their_own_hyperparameters_and_the_defaults_for_the_rest():
    x, y = with_grad(param(0.0), 1.0), with_grad(param(0.0), 1.0)
    opt = optim.SGD([{"params": [x]}, {"params": [y], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    opt.step()
    assert (x.item(), y.item()) == (pytest.approx(-0.1), pytest.approx(-0.5))


def test_accepts_a_generator_of_parameters():
    x = with_grad(param(1.0), 1.0)
    opt = optim.GD((p for p in [x]), lr=0.1)
    assert opt.param_groups[0]["params"] == [x]


def test_state_is_keyed_by_the_parameter():
    x = with_grad(param(1.0), 1.0)
    opt = optim.Momentum([x], lr=0.1, momentum=0.5)
    opt.step()
    assert list(opt.state) == [x] and set(opt.state[x]) == {"velocity"}


@pytest.mark.parametrize("make", ALL_RULES)
def test_steps_build_no_graph(make):
    x = with_grad(param([1.0, 2.0]), [0.5, -0.5])
    make([x]).step()
    assert x.is_leaf and x.grad_fn is None and x.requires_grad


@pytest.mark.parametrize("make", ALL_RULES + [lambda ps: optim.Nesterov(ps, lr=0.1, momentum=0.9)])
def test_no_optimizer_modifies_grad(make):
    x = with_grad(param([1.0, -2.0, 3.0]), [0.5, -0.25, 2.0])
    opt = make([x])
    for _ in range(3):
        grad = x.grad
        grad.flags.writeable = False  # any write into it would raise
        opt.step(lambda: None)
        assert x.grad is grad
        np.testing.assert_array_equal(x.grad, [0.5, -0.25, 2.0])


@pytest.mark.parametrize("make", ALL_RULES + [lambda ps: optim.Nesterov(ps, lr=0.1, momentum=0.9)])
def test_float32_parameters_and_state_stay_float32(make):
    x = with_grad(param([1.0, -2.0], dtype=np.float32), [0.5, -0.25])
    opt = make([x])
    for _ in range(2):
        opt.step(lambda: None)
    assert x.dtype == np.float32
    for key, value in opt.state.get(x, {}).items():
        assert key == "step" or value.dtype == np.float32


def test_update_writes_into_the_parameters_array_as_torch_does():
    x = with_grad(param([1.0, 2.0]), [1.0, 1.0])
    data = x.data
    optim.SGD([x], lr=0.5, momentum=0.9).step()
    assert x.data is data
    np.testing.assert_allclose(data, [0.5, 1.5])


# ---------------------------------------------------------------- errors: name the optimizer and the value


def test_empty_parameter_list_raises_value_error():
    with pytest.raises(ValueError, match="SGD: optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)


@pytest.mark.parametrize("make", [
    lambda ps: optim.GD(ps, lr=-0.1),
    lambda ps: optim.Momentum(ps, lr=-0.1, momentum=0.5),
    lambda ps: optim.Nesterov(ps, lr=-0.1, momentum=0.5),
    lambda ps: optim.SGD(ps, lr=-0.1),
])
def test_negative_learning_rate_raises_value_error_naming_it(make):
    with pytest.raises(ValueError, match=r"invalid lr=-0\.1; it must be a finite number >= 0"):
        make([param(1.0)])


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
@pytest.mark.parametrize("name", ["Momentum", "Nesterov", "SGD"])
def test_momentum_outside_zero_one_raises_value_error_naming_optimizer_and_value(name, momentum):
    with pytest.raises(ValueError, match=rf"^{name}: invalid momentum={momentum}"):
        getattr(optim, name)([param(1.0)], lr=0.1, momentum=momentum)


@pytest.mark.parametrize("momentum, dampening", [(0.0, 0.0), (0.9, 0.1)])
def test_sgd_nesterov_needs_momentum_and_zero_dampening(momentum, dampening):
    with pytest.raises(ValueError, match="nesterov=True requires momentum > 0 and dampening = 0"):
        optim.SGD([param(1.0)], lr=0.1, momentum=momentum, dampening=dampening, nesterov=True)


def test_negative_weight_decay_raises_value_error():
    with pytest.raises(ValueError, match="SGD: invalid weight_decay=-0.01"):
        optim.SGD([param(1.0)], lr=0.1, weight_decay=-0.01)


def test_a_value_that_does_not_require_grad_is_accepted_and_never_updated():
    frozen, p = tg.Value([1.0, 2.0]), param(1.0)  # a frozen layer's weight, as PyTorch accepts it
    opt = optim.GD([frozen, p], lr=0.1)
    (p * 3).backward()
    opt.step()
    assert frozen.tolist() == [1.0, 2.0] and frozen.grad is None and p.item() == pytest.approx(0.7)


def test_a_non_leaf_value_is_refused():
    x = param(1.0)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.GD([x * 2], lr=0.1)


def test_a_single_value_instead_of_a_list_is_refused():
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.GD(param([1.0, 2.0]), lr=0.1)


def test_a_parameter_given_twice_is_refused():
    x = param(1.0)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [x]}, {"params": [x]}], lr=0.1)


def test_a_rejected_param_group_leaves_the_optimizer_unchanged():
    x, y = param(1.0), param(2.0)
    opt = optim.SGD([x], lr=0.1)
    with pytest.raises(ValueError):
        opt.add_param_group({"params": [y], "lr": -1.0})
    assert len(opt.param_groups) == 1


# ---------------------------------------------------------------- state dicts


def run_steps(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = sum(((p - 1.0) ** 4).sum() + (p * p).sum() for p in params)
        loss.backward()
        opt.step()


def test_state_dict_has_torchs_layout():
    x, y = param([1.0, 2.0]), param(3.0)
    opt = optim.SGD([{"params": [x]}, {"params": [y], "lr": 0.5}], lr=0.1, momentum=0.9)
    run_steps(opt, [x, y], 1)
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert set(saved["state"]) == {0, 1} and set(saved["state"][0]) == {"momentum_buffer"}
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert saved["param_groups"][1] == {"lr": 0.5, "momentum": 0.9, "dampening": 0.0, "nesterov": False,
                                        "weight_decay": 0.0, "params": [1]}


def test_state_dict_is_a_snapshot_that_later_steps_do_not_change():
    x = param([1.0, 2.0])
    opt = optim.Momentum([x], lr=0.1, momentum=0.9)
    run_steps(opt, [x], 1)
    saved = opt.state_dict()
    before = saved["state"][0]["velocity"].copy()
    run_steps(opt, [x], 1)
    np.testing.assert_array_equal(saved["state"][0]["velocity"], before)


@pytest.mark.parametrize("make", ALL_RULES + [lambda ps: optim.Momentum(ps, lr=0.05, momentum=0.5)])
def test_state_dict_round_trip_continues_the_same_iterates(make):
    a = [param([0.5, -0.5]), param(2.0)]
    opt_a = make(a)
    run_steps(opt_a, a, 3)
    b = [param(p.data) for p in a]
    opt_b = make(b)
    opt_b.load_state_dict(opt_a.state_dict())
    run_steps(opt_a, a, 4)
    run_steps(opt_b, b, 4)
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_restores_hyperparameters():
    x = param(1.0)
    opt = optim.SGD([x], lr=0.1, momentum=0.5)
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 0.01
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["params"] == [x]


def test_load_state_dict_casts_state_to_the_parameters_dtype():
    x = param([1.0], dtype=np.float32)
    opt = optim.SGD([x], lr=0.1, momentum=0.5)
    opt.load_state_dict({"state": {0: {"momentum_buffer": np.array([2.0])}},
                         "param_groups": [{**opt.param_groups[0], "params": [0]}]})
    assert opt.state[x]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize("groups, match", [
    ([{"lr": 0.1, "momentum": 0.0, "params": [0]}, {"lr": 0.1, "momentum": 0.0, "params": [1]}],
     "has 2 parameter groups"),
    ([{"lr": 0.1, "momentum": 0.0, "params": [0, 1]}], "parameter group 0 has 2 parameters"),
    ([{"lr": -1.0, "momentum": 0.0, "params": [0]}], "invalid lr=-1.0"),
    ([{"lr": 0.1, "momentum": 0.0, "params": [5]}], "indices \\[0\\]"),
])
def test_load_state_dict_rejects_a_mismatch_and_changes_nothing(groups, match):
    x = param(1.0)
    opt = optim.Momentum([x], lr=0.1, momentum=0.5)
    run_steps(opt, [x], 1)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict({"state": {0: {"velocity": np.array(9.0)}}, "param_groups": groups})
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["velocity"], before["state"][0]["velocity"])


def test_a_step_checks_every_state_array_before_it_changes_any_parameter():
    x, y = with_grad(param([1.0, 2.0]), [0.5, -0.5]), with_grad(param([3.0, 4.0]), [1.0, 1.0])
    opt = optim.Adam([x, y], lr=0.1)
    opt.step()
    opt.state[y]["exp_avg"] = np.zeros(3)  # written by hand, past load_state_dict's checks
    x_before, state_before = x.data.copy(), {k: np.copy(v) for k, v in opt.state[x].items()}
    with pytest.raises(ValueError, match="'exp_avg' of a parameter of shape"):
        opt.step()
    np.testing.assert_array_equal(x.data, x_before)
    for key, value in state_before.items():
        np.testing.assert_array_equal(opt.state[x][key], value)


@pytest.mark.parametrize("name, rule", [("GD", "gd"), ("Momentum", "momentum"), ("Nesterov", "nesterov")])
def test_the_lectures_optimizers_are_looked_up_on_the_optim_package_where_a_swap_reaches_them(monkeypatch, name,
                                                                                               rule):
    from tinygrad_edu.lecture import descent

    class Swapped(getattr(optim, name)):
        pass

    monkeypatch.setattr(optim, name, Swapped)
    x = tg.Value(np.array(1.0), requires_grad=True)
    assert type(descent.make_optimizer(rule, [x], lr=0.1, momentum=0.5)) is Swapped
