"""Part 1 of the deck: every number the slides print, computed by the code.

Each value is checked twice: formatted at the slide's printed precision (4
decimals), and against the exact value in docs/slides.md to 1e-6.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.lecture import mlp


def printed(values) -> list:
    return [f"{v:.4f}" for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def test_summary_of_slide_model_has_the_slides_rows_and_totals(capsys):
    result = tg.summary(mlp.summary_model(), (1, 2))
    rows = [(row.layer, row.output_shape, row.params) for row in result.rows]
    assert rows == [("Linear-1", [-1, 1, 2], 6), ("Linear-2", [-1, 1, 2], 6), ("Sigmoid-3", [-1, 1, 2], 0)]
    assert (result.total_params, result.trainable_params, result.non_trainable_params) == (12, 12, 0)
    sizes = (result.input_size_mb, result.forward_backward_pass_size_mb, result.params_size_mb, result.total_size_mb)
    assert [f"{size:0.2f}" for size in sizes] == ["0.00"] * 4
    out = capsys.readouterr().out
    for line in ["Total params: 12", "Trainable params: 12", "Non-trainable params: 0",
                 "Input size (MB): 0.00", "Forward/backward pass size (MB): 0.00",
                 "Params size (MB): 0.00", "Estimated Total Size (MB): 0.00"]:
        assert line in out.splitlines()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_by_hand_gives_h_04_z_018_and_y_hat_05449(dtype):
    forward = mlp.forward_by_hand(dtype)
    assert printed(forward.h.data) == ["0.4000", "0.4000"]
    assert printed(forward.z.data) == ["0.1800"]
    assert printed(forward.y_hat.data) == ["0.5449"]
    np.testing.assert_allclose(forward.h.data, [0.4, 0.4], atol=1e-6)
    np.testing.assert_allclose(forward.z.data, [0.18], atol=1e-6)
    np.testing.assert_allclose(forward.y_hat.data, [0.54487889], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_slide_network_forward_matches_forward_by_hand(dtype):
    network = mlp.slide_network(dtype)
    hidden = network.model[0](network.x)
    np.testing.assert_allclose(hidden.data, [0.4, 0.4], atol=1e-6)
    np.testing.assert_allclose(network.y_hat.data, mlp.forward_by_hand(dtype).y_hat.data, atol=1e-6)
    assert network.y_hat.dtype == dtype and network.loss.dtype == dtype


def test_activations_on_018_and_minus_018():
    outputs = mlp.activations()
    assert printed(outputs["Sigmoid"].data) == ["0.5449", "0.4551"]
    assert printed(outputs["ReLU"].data) == ["0.1800", "0.0000"]
    assert printed(outputs["Tanh"].data) == ["0.1781", "-0.1781"]
    np.testing.assert_allclose(outputs["Sigmoid"].data, [0.54487889, 0.45512111], atol=1e-6)
    np.testing.assert_allclose(outputs["ReLU"].data, [0.18, 0.0], atol=1e-6)
    np.testing.assert_allclose(outputs["Tanh"].data, [0.17808087, -0.17808087], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_loss_of_the_slide_network_is_07872(dtype):
    loss = mlp.slide_network(dtype).loss
    assert printed(loss.data) == ["0.7872"]
    np.testing.assert_allclose(loss.item(), 0.78719172, atol=1e-6)


def test_cross_entropy_of_the_slide_logits_is_08949():
    _, _, loss = mlp.cross_entropy_example(np.float64)
    assert printed(loss.data) == ["0.8949"]
    np.testing.assert_allclose(loss.item(), 0.89486725, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_sgd_step_gives_the_slides_parameters(dtype):
    network = mlp.slide_network(dtype)
    mlp.sgd_step(network, lr=0.1)
    state = network.model.state_dict()
    assert printed(state["0.weight"]) == ["0.0946", "0.0891", "0.0946", "0.0891"]
    assert printed(state["0.bias"]) == ["0.0946", "0.0946"]
    assert printed(state["1.weight"]) == ["0.0782", "0.0782"]
    assert printed(state["1.bias"]) == ["0.0455"]
    np.testing.assert_allclose(state["0.weight"], [[0.09455121, 0.08910242]] * 2, atol=1e-6)
    np.testing.assert_allclose(state["0.bias"], [0.09455121] * 2, atol=1e-6)
    np.testing.assert_allclose(state["1.weight"], [[0.07820484, 0.07820484]], atol=1e-6)
    np.testing.assert_allclose(state["1.bias"], [0.04551211], atol=1e-6)


def test_layer_state_dicts_print_as_the_sgd_slide_before_the_step():
    lines = mlp.layer_state_dicts(mlp.slide_network().model)
    assert lines == [
        "OrderedDict([('weight', tensor([[0.1000, 0.1000],\n        [0.1000, 0.1000]])), "
        "('bias', tensor([0.1000, 0.1000]))])",
        "OrderedDict([('weight', tensor([[0.1000, 0.1000]])), ('bias', tensor([0.1000]))])",
        "OrderedDict()",
    ]
