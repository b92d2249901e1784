"""Every number of ``expected.py``, computed with tinygrad_edu, under the same keys.

Each function below covers one group of slides and calls the same functions
the examples call (``mlp.py`` for part 1, ``descent.py`` for parts 2–3), so
the tour, the examples and the tests agree by construction. Values come back
as plain numbers, in the order the slide prints them.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

from .. import optim
from ..nn.summary import summary
from . import descent, mlp

Numbers = tuple[float, ...]


def summary_values() -> dict[str, Numbers]:
    """``summary(model, (1, 2))`` of the 12-parameter model (its printed table is not shown again)."""
    with contextlib.redirect_stdout(io.StringIO()):
        table = summary(mlp.summary_model(), (1, 2))
    values = {"summary.parameters": (table.total_params,)}
    for number, row in enumerate(table.rows, start=1):
        values[f"summary.row.{number}"] = (*row.output_shape, row.params)
    values.update({
        "summary.total": (table.total_params,),
        "summary.trainable": (table.trainable_params,),
        "summary.non_trainable": (table.non_trainable_params,),
        "summary.input_mb": (table.input_size_mb,),
        "summary.forward_backward_mb": (table.forward_backward_pass_size_mb,),
        "summary.params_mb": (table.params_size_mb,),
        "summary.total_mb": (table.total_size_mb,),
    })
    return values


def forward_backward_values() -> dict[str, Numbers]:
    """The forward slide (h, z by hand) and the backward slide (W_h, W_z after one step, lr 0.1).

    The backward slide stacks each layer's bias over its weight; for W_h it keeps
    the weight in PyTorch's (out, in) layout, so that is how we read it back.
    """
    by_hand = mlp.forward_by_hand()
    network = mlp.slide_network()
    mlp.sgd_step(network)
    hidden, output = network.model[0], network.model[1]
    return {
        "forward.h": tuple(by_hand.h.tolist()),
        "forward.z": tuple(by_hand.z.data.reshape(-1).tolist()),
        "backward.w_h_bias": tuple(hidden.bias.tolist()),
        "backward.w_h_weight_0": tuple(hidden.weight[0].tolist()),
        "backward.w_h_weight_1": tuple(hidden.weight[1].tolist()),
        "backward.w_z": (*output.bias.tolist(), *output.weight.data.reshape(-1).tolist()),
    }


def activation_and_loss_values() -> dict[str, Numbers]:
    """Sigmoid, ReLU and Tanh of [0.18, -0.18]; BCELoss of the network's ŷ against 0; cross-entropy."""
    acts = mlp.activations()
    network = mlp.slide_network()
    *_, cross_entropy = mlp.cross_entropy_example()
    return {
        "activation.sigmoid": tuple(acts["Sigmoid"].tolist()),
        "activation.relu": tuple(acts["ReLU"].tolist()),
        "activation.tanh": tuple(acts["Tanh"].tolist()),
        "loss.y_pred": tuple(network.y_hat.tolist()),
        "loss.bce": (network.loss.item(),),
        "loss.cross_entropy": (cross_entropy.item(),),
    }


def sgd_values() -> dict[str, Numbers]:
    """The SGD slide's code: ``optim.SGD(model.parameters(), 0.1)``, ``loss.backward()``, ``step()``.
    A weight matrix is printed a row a line, so it is keyed a row at a time (``sgd.0.weight.1``)."""
    network = mlp.slide_network()
    optimizer = optim.SGD(network.model.parameters(), mlp.LEARNING_RATE)
    network.loss.backward()
    optimizer.step()
    values = {}
    for name, array in network.model.state_dict().items():
        if array.ndim == 2:
            values.update({f"sgd.{name}.{i}": tuple(row.tolist()) for i, row in enumerate(array)})
        else:
            values[f"sgd.{name}"] = tuple(array.tolist())
    return values


def table_values(key: str, run: descent.Run) -> dict[str, Numbers]:
    """``key.NN`` → (x, f(x)) after epoch NN, the numbers of the slide's table row."""
    return {f"{key}.{epoch:02d}": (x, fx) for epoch, (x, fx) in enumerate(zip(run.xs[1:], run.scores[1:], strict=True))}


def parabola_values() -> dict[str, Numbers]:
    """GD on x² (the deck's derivative 2x is right): the first step and the table."""
    parabola = descent.run("gd", descent.parabola, descent.parabola_derivative)
    return {"gd_parabola.first_step": (parabola.xs[1],), **table_values("gd_parabola", parabola)}


# The quartic's groups take the derivative they step with: the deck's (None: its tables) or the true one.
Derivative = Callable[[float], float]
QUARTIC_RULES = {"gd_quartic": ("gd", 0.0), "momentum": ("momentum", 0.8), "nesterov": ("nesterov", 0.9)}


def quartic_run(group: str, derivative: Derivative) -> descent.Run:
    """The deck's run of ``group`` on the quartic (its rule and γ, from x = -2 with η = 0.1)."""
    rule, gamma = QUARTIC_RULES[group]
    return descent.run(rule, descent.quartic, derivative, momentum=gamma)


def quartic_gd_values(derivative: Derivative | None = None) -> dict[str, Numbers]:
    """GD on the quartic: the first step f'(-2) and x, the cost after 5 epochs, the table."""
    derivative = derivative or descent.slide_derivative
    run = quartic_run("gd_quartic", derivative)
    return {
        "gd_quartic.first_step": (derivative(descent.START), run.xs[1]),
        "gd_quartic.cost_5": (run.scores[5],),
        **table_values("gd_quartic", run),
    }


def gradient_descent_values() -> dict[str, Numbers]:
    """GD on x² and on the quartic with the deck's derivative: first steps, tables, cost after 5 epochs."""
    return {**parabola_values(), **quartic_gd_values()}


def momentum_values(derivative: Derivative | None = None) -> dict[str, Numbers]:
    """Momentum (γ 0.8): the two worked steps, the cost after 5 epochs, the table.

    The velocity is read off the iterates: x_t = x_{t-1} − v_t, so v_t = x_{t-1} − x_t.
    """
    derivative = derivative or descent.slide_derivative
    run = quartic_run("momentum", derivative)
    xs = run.xs
    return {
        "momentum.step_1": (derivative(xs[0]), xs[0] - xs[1], xs[1]),
        "momentum.step_2": (derivative(xs[1]), xs[1] - xs[2], xs[2]),
        "momentum.cost_5": (run.scores[5],),
        **table_values("momentum", run),
    }


def nesterov_values(derivative: Derivative | None = None) -> dict[str, Numbers]:
    """Nesterov momentum (γ 0.9): the table."""
    return table_values("nesterov", quartic_run("nesterov", derivative or descent.slide_derivative))


QUARTIC_GROUPS = (quartic_gd_values, momentum_values, nesterov_values)


def computed_values() -> dict[str, Numbers]:
    """Every key of ``expected.EXPECTED`` → the numbers tinygrad_edu computes for it, the quartic's
    with the deck's derivative, as the deck computes them."""
    values: dict[str, Numbers] = {}
    for group in (summary_values, forward_backward_values, activation_and_loss_values, sgd_values,
                  gradient_descent_values, momentum_values, nesterov_values):
        values.update(group())
    return values


def true_derivative_values() -> dict[str, Numbers | str]:
    """Every key the deck computes with its wrong derivative → what the true derivative (autograd) gives.

    The rows of a table after its run has diverged map to the sentence that says where it
    diverged: Nesterov's γ = 0.9 with η = 0.1 is too large a step for the steeper true gradient.
    """
    true = descent.autograd_derivative(descent.quartic)
    values: dict[str, Numbers | str] = {}
    for group in QUARTIC_GROUPS:
        values.update(group(true))
    for group in QUARTIC_RULES:
        run = quartic_run(group, true)
        if run.diverged_at is not None:
            values.update((f"{group}.{epoch:02d}", descent.divergence_note(run))
                          for epoch in range(run.diverged_at + 1, descent.EPOCHS))
    return values
