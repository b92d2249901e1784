"""The dtype table against PyTorch: every operation on every pair of dtypes (bool, unsigned and
signed integers, float16/32/64; operands with dimensions, 0-d, and Python numbers) either gives
PyTorch's dtype and numbers or raises where PyTorch raises (issue 23: ``True - int32``,
``mean(uint8)``, ``relu(bool)``, ``bool ** bool`` were computed here, and ``sigmoid(uint8)``
raised where PyTorch computes)."""

from __future__ import annotations

import itertools
import operator
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, False, 2, -1, 2.5]


def operand(dtype: str, zero_d: bool) -> np.ndarray:
    array = np.array([True, False, True] if dtype == "bool" else [1, 0, 2]).astype(dtype)
    return array[0] if zero_d else array  # a numpy scalar becomes a 0-d Value and a 0-d tensor


def outcome(function, library: str, *operands):
    """("ok", dtype, numbers) or ("raises",): ``function`` applied to Values or to tensors."""
    if library == "torch":
        operands = [torch.from_numpy(np.array(x)) if isinstance(x, np.ndarray | np.generic) else x for x in operands]
    else:
        operands = [tg.Value(np.array(x)) if isinstance(x, np.ndarray | np.generic) else x for x in operands]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's 1/0 and the like
            result = function(*operands)
    except (RuntimeError, TypeError, ValueError, NotImplementedError, IndexError, OverflowError):
        return ("raises",)
    numbers = result.detach().numpy() if library == "torch" else result.data
    return ("ok", str(numbers.dtype), np.asarray(numbers, dtype=np.float64))


def differences(function, cases) -> list:
    found = []
    for operands in cases:
        ours, theirs = outcome(function, "tg", *operands), outcome(function, "torch", *operands)
        same = ours[:2] == theirs[:2] and (ours[0] == "raises" or np.allclose(
            ours[2], theirs[2], rtol=1e-3, equal_nan=True))  # 1e-3: float16
        if not same:
            described = ", ".join(f"{x.dtype}{'' if np.ndim(x) else ' 0-d'}" if hasattr(x, "dtype") else repr(x)
                                  for x in operands)
            found.append(f"({described}): tinygrad_edu {ours[:2]}, PyTorch {theirs[:2]}")
    return found


UNARY = {
    "neg": operator.neg, "exp": lambda x: x.exp(), "log": lambda x: x.log(), "relu": lambda x: x.relu(),
    "sigmoid": lambda x: x.sigmoid(), "tanh": lambda x: x.tanh(), "sum": lambda x: x.sum(),
    "sum(0)": lambda x: x.sum(0), "mean": lambda x: x.mean(), "mean(0)": lambda x: x.mean(0),
    "max": lambda x: x.max(), "softmax": lambda x: x.softmax(0), "log_softmax": lambda x: x.log_softmax(0),
    "T": lambda x: x.T, "reshape": lambda x: x.reshape(-1), "index": lambda x: x[...],
    "argmax": lambda x: x.argmax(),
}
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
          "pow": operator.pow, "matmul": operator.matmul}


@pytest.mark.parametrize("name", UNARY)
def test_unary_operations_give_torchs_dtype_or_raise_where_torch_does(name):
    cases = [(operand(dtype, zero_d),) for dtype in DTYPES for zero_d in (False, True)]
    assert not differences(UNARY[name], cases), "\n".join(differences(UNARY[name], cases))


@pytest.mark.parametrize("name", BINARY)
def test_binary_operations_of_two_values_give_torchs_dtype_or_raise_where_torch_does(name):
    shapes = [(False, False)] if name == "matmul" else [(False, False), (False, True), (True, False)]
    cases = [(operand(a, za), operand(b, zb)) for a, b in itertools.product(DTYPES, DTYPES) for za, zb in shapes]
    assert not differences(BINARY[name], cases), "\n".join(differences(BINARY[name], cases))


@pytest.mark.parametrize("name", [name for name in BINARY if name != "matmul"])
def test_binary_operations_with_a_python_number_give_torchs_dtype_or_raise_where_torch_does(name):
    cases = [(operand(dtype, False), number) for dtype in DTYPES for number in NUMBERS]
    cases += [(number, operand(dtype, False)) for dtype in DTYPES for number in NUMBERS]
    assert not differences(BINARY[name], cases), "\n".join(differences(BINARY[name], cases))


@pytest.mark.parametrize("expression, message", [
    (lambda: True - tg.Value(np.array([1, 2], dtype=np.int32)), "sub: subtraction with bools is not supported"),
    (lambda: tg.Value(np.array([1, 2], dtype=np.int32)) - tg.Value(True), "got int32 and bool"),
    (lambda: tg.Value(np.array([1, 2], dtype=np.uint8)).mean(), "mean of integers or bools is not supported"),
    (lambda: tg.Value([True, False]).relu(), "relu of bools is not supported"),
    (lambda: tg.Value([True, False]) ** tg.Value([True, True]), "a bool to a bool power"),
    (lambda: True ** tg.Value([True, False]), "a bool to a bool power"),
    (lambda: -tg.Value([True]), "negation of bools"),
    (lambda: tg.Value([1, 2]).softmax(0), "softmax of integers or bools"),
    (lambda: tg.Value([True]).argmax(), "no argmax of bools"),
    (lambda: tg.Value([1.0], dtype=np.float32) @ tg.Value([1.0], dtype=np.float64),
     r"got float32 and float64. Convert first, as in a @ b.to\(a.dtype\)"),
], ids=["True-int32", "int32-bool", "mean(uint8)", "relu(bool)", "bool**bool", "True**bool", "-bool", "softmax(int)",
        "argmax(bool)", "float32@float64"])
def test_what_torch_refuses_is_a_type_error_naming_the_operation_and_the_dtypes(expression, message):
    with pytest.raises(TypeError, match=message):
        expression()


def test_a_bool_to_a_python_bool_power_stays_bool_as_in_torch():
    x = np.array([True, False])
    for exponent in (True, False):
        ours, theirs = tg.Value(x) ** exponent, torch.from_numpy(x) ** exponent
        assert ours.dtype == np.bool_ and ours.data.tolist() == theirs.tolist()


def test_in_place_subtraction_of_a_bool_is_refused_and_changes_nothing():
    x = tg.Value([1.0, 2.0])
    with pytest.raises(TypeError, match="subtraction with bools"):
        x -= True
    assert x.data.tolist() == [1.0, 2.0] and x._version == 0
