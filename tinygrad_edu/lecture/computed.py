"""Every number of ``expected.py``, computed with tinygrad_edu, under the same keys.

Each function below covers one group of slides and calls the same functions
the examples call (``mlp.py`` for part 1, ``momentum.py`` for parts 2–3), so
the tour, the examples and the tests agree by construction. Values come back
as plain numbers, in the order the slide prints them.
"""

from __future__ import annotations

import contextlib
import io

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


def gradient_descent_values() -> dict[str, Numbers]:
    """GD on x² and on the quartic with the slide's derivative: first steps, tables, cost after 5 epochs."""
    parabola = descent.run("gd", descent.parabola, descent.parabola_derivative)
    quartic = descent.run("gd", descent.quartic, descent.slide_derivative)
    return {
        "gd_parabola.first_step": (parabola.xs[1],),
        **table_values("gd_parabola", parabola),
        "gd_quartic.first_step": (descent.slide_derivative(descent.START), quartic.xs[1]),
        "gd_quartic.cost_5": (quartic.scores[5],),
        **table_values("gd_quartic", quartic),
    }


def momentum_values() -> dict[str, Numbers]:
    """Momentum (γ 0.8): the two worked steps, the cost after 5 epochs, the table.

    The velocity is read off the iterates: x_t = x_{t-1} − v_t, so v_t = x_{t-1} − x_t.
    """
    run = descent.run("momentum", descent.quartic, descent.slide_derivative, momentum=0.8)
    xs = run.xs
    return {
        "momentum.step_1": (descent.slide_derivative(xs[0]), xs[0] - xs[1], xs[1]),
        "momentum.step_2": (descent.slide_derivative(xs[1]), xs[1] - xs[2], xs[2]),
        "momentum.cost_5": (run.scores[5],),
        **table_values("momentum", run),
    }


def nesterov_values() -> dict[str, Numbers]:
    """Nesterov momentum (γ 0.9) with the slide's derivative: the table."""
    return table_values("nesterov", descent.run("nesterov", descent.quartic, descent.slide_derivative, momentum=0.9))


def computed_values() -> dict[str, Numbers]:
    """Every key of ``expected.EXPECTED`` → the numbers tinygrad_edu computes for it."""
    values: dict[str, Numbers] = {}
    for group in (summary_values, forward_backward_values, activation_and_loss_values, sgd_values,
                  gradient_descent_values, momentum_values, nesterov_values):
        values.update(group())
    return values
