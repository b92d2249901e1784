"""summary(): torchsummary's rows, totals and quirks (the line-for-line comparison with
torchsummary itself is in test_torch_oracle_nn.py)."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import Parameter


class Shift(nn.Module):
    """A module with a bias but no weight."""

    def __init__(self, n):
        super().__init__()
        self.bias = Parameter(np.zeros(n, dtype=np.float32))

    def forward(self, x):
        return x + self.bias


class Reversed(nn.Module):
    """Registers ``second`` before ``first`` but calls ``first`` first, and ``act`` twice."""

    def __init__(self):
        super().__init__()
        self.second = nn.Linear(8, 2)
        self.first = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.scale = Parameter(np.ones(2))  # neither weight nor bias of a leaf: torchsummary ignores it

    def forward(self, x):
        return self.act(self.second(self.act(self.first(x)))) * self.scale


def test_rows_come_in_the_order_forward_finishes_and_repeat_per_call(capsys):
    result = tg.summary(Reversed(), (4,))
    assert [row.layer for row in result.rows] == ["Linear-1", "ReLU-2", "Linear-3", "ReLU-4"]
    assert [row.params for row in result.rows] == [40, 0, 18, 0]
    assert result.total_params == 58  # the root's own ``scale`` is not counted


def test_trainable_is_decided_by_weight_requires_grad_only(capsys):
    model = nn.Sequential(nn.Linear(3, 4), Shift(4), nn.Linear(4, 2))
    model[2].weight.requires_grad = False
    result = tg.summary(model, (3,))
    assert [row.trainable for row in result.rows] == [True, False, False]
    assert (result.total_params, result.trainable_params, result.non_trainable_params) == (30, 16, 14)


def test_batch_size_and_thousands_separators(capsys):
    result = tg.summary(nn.Sequential(nn.Linear(10, 1000), nn.ReLU(), nn.Linear(1000, 500)), (10,), batch_size=16)
    out = capsys.readouterr().out
    assert result.rows[0].output_shape == [16, 1000]
    assert "11,000" in out and "Total params: 511,500" in out
    assert result.params_size_mb == pytest.approx(511_500 * 4 / 1024**2)
    assert result.forward_backward_pass_size_mb == pytest.approx(2 * 16 * 2500 * 4 / 1024**2)
    assert result.input_size_mb == pytest.approx(160 * 4 / 1024**2)


def test_printed_table_is_str_of_the_result(capsys):
    result = tg.summary(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), (1, 2))
    assert capsys.readouterr().out == str(result) + "\n"


def test_repr_is_one_short_line(capsys):
    result = tg.summary(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Sigmoid()), (1, 2))
    assert repr(result) == "SummaryResult(3 layers, 12 params, 12 trainable, 0.00 MB)"


def test_summary_leaves_no_hooks_and_does_not_draw_from_the_generator(capsys):
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    tg.manual_seed(3)
    expected = tg.rand(3).data
    tg.manual_seed(3)
    tg.summary(model, (2,))
    np.testing.assert_array_equal(tg.rand(3).data, expected)
    assert all(not module._forward_hooks for module in model.modules())


def test_hooks_are_removed_when_forward_fails(capsys):
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="expected in_features = 3"):
        tg.summary(model, (2,))
    assert all(not module._forward_hooks for module in model.modules())
    assert capsys.readouterr().out == ""


def test_input_size_must_be_one_shape():
    with pytest.raises(TypeError, match="input_size must be one shape"):
        tg.summary(nn.Linear(2, 2), 2)
