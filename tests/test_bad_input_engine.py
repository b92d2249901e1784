"""Bad input to the engine's public API, one row each: the call, the exception it must raise,
and a pattern that the message must match, naming the function and the argument. A rejected
call changes nothing: the Value it was called on, and the random generator, are as they were."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value


def set_requires_grad(x, flag):
    x.requires_grad = flag


def set_grad(x, grad):
    x.grad = grad


def add_in_place(x, other):
    x += other


ROWS = [
    # ------------------------------------------------ construction
    ("Value str data", lambda x: Value("abc"), TypeError, r"Value: data must be numbers"),
    ("Value dtype name", lambda x: Value([1.0], dtype="abc"), TypeError, r"Value: dtype must be a numpy dtype"),
    ("Value dtype str", lambda x: Value([1.0], dtype=str), TypeError, r"Value: dtype must be a bool, integer"),
    ("Value requires_grad str", lambda x: Value([1.0], requires_grad="yes"), TypeError, r"Value: requires_grad"),
    ("Value requires_grad on ints", lambda x: Value([1, 2], requires_grad=True), TypeError, r"floating"),
    ("Value name int", lambda x: Value([1.0], name=3), TypeError, r"Value: name must be a str"),
    ("tensor dtype", lambda x: tg.tensor([1.0], dtype="float99"), TypeError, r"dtype must be a numpy dtype"),
    # ------------------------------------------------ attributes
    ("requires_grad = str", lambda x: set_requires_grad(x, "no"), TypeError, r"requires_grad must be True or False"),
    ("requires_grad_(None)", lambda x: x.requires_grad_(None), TypeError, r"requires_grad must be True or False"),
    ("grad = str", lambda x: set_grad(x, "abc"), TypeError, r"Value.grad: grad must be numbers"),
    ("grad of another shape", lambda x: set_grad(x, np.ones(5)), ValueError, r"Value.grad: .*\(5,\)"),
    ("item of many", lambda x: x.item(), ValueError, r"item: only a Value with one element"),
    ("bool of many", lambda x: bool(x), RuntimeError, r"ambiguous"),
    # ------------------------------------------------ backward
    ("backward gradient str", lambda x: (x * 2).backward(gradient="abc"), TypeError,
     r"backward: gradient must be numbers"),
    ("backward gradient shape", lambda x: (x * 2).backward(gradient=np.ones(5)), ValueError,
     r"backward: gradient of shape"),
    ("backward gradient None", lambda x: (x * 2).backward(), RuntimeError, r"backward: .*pass gradient="),
    ("backward retain_graph", lambda x: x.sum().backward(retain_graph="x"), TypeError, r"backward: retain_graph"),
    ("backward without grad", lambda x: x.detach().sum().backward(), RuntimeError, r"does not require grad"),
    # ------------------------------------------------ reductions
    ("sum axis float", lambda x: x.sum(axis=1.5), TypeError, r"sum: axis \(dim\) must be"),
    ("sum axis str", lambda x: x.sum("a"), TypeError, r"sum: axis \(dim\) must be"),
    ("sum axis bool", lambda x: x.sum(True), TypeError, r"sum: axis \(dim\) must be"),
    ("sum axis tuple of floats", lambda x: x.sum((0, 1.0)), TypeError, r"sum: axis \(dim\) must be"),
    ("sum axis out of range", lambda x: x.sum(5), ValueError, r"sum\b.*axis 5 is out of range"),
    ("sum dim out of range", lambda x: x.sum(dim=-3), ValueError, r"sum\b.*axis -3 is out of range"),
    ("sum keepdims str", lambda x: x.sum(0, "yes"), TypeError, r"sum: keepdims must be True or False"),
    ("mean axis float", lambda x: x.mean(axis=0.5), TypeError, r"mean: axis \(dim\) must be"),
    ("mean keepdims None", lambda x: x.mean(keepdims=None), TypeError, r"mean: keepdims"),
    ("max axis float", lambda x: x.max(1.5), TypeError, r"max: axis must be an int"),
    ("max axis tuple", lambda x: x.max((0, 1)), TypeError, r"max: axis must be an int"),
    ("max axis out of range", lambda x: x.max(2), ValueError, r"max: axis = 2 is out of range"),
    ("max keepdims int", lambda x: x.max(0, 1), TypeError, r"max: keepdims"),
    ("max of nothing", lambda x: x[:0].max(), ValueError, r"max\b.*zero-size"),
    ("argmax axis float", lambda x: x.argmax(1.5), TypeError, r"argmax: axis must be an int"),
    ("argmax axis out of range", lambda x: x.argmax(dim=-3), ValueError, r"argmax: axis = -3 is out of range"),
    ("argmax of nothing", lambda x: x[:0].argmax(), ValueError, r"argmax: .*no elements"),
    ("softmax axis float", lambda x: x.softmax(1.5), TypeError, r"softmax: axis must be an int"),
    ("softmax axis out of range", lambda x: x.softmax(dim=2), ValueError, r"softmax: axis = 2 is out of range"),
    ("log_softmax axis str", lambda x: x.log_softmax("a"), TypeError, r"log_softmax: axis must be an int"),
    # ------------------------------------------------ shape
    ("reshape str", lambda x: x.reshape("a"), TypeError, r"reshape: shape must be ints"),
    ("reshape float", lambda x: x.reshape(2.0, 3), TypeError, r"reshape: shape must be ints"),
    ("reshape wrong size", lambda x: x.reshape(4), ValueError, r"reshape\b.*\(2, 3\).*size 6"),
    ("transpose dim out of range", lambda x: x.transpose(0, 5), ValueError, r"transpose: dim1 = 5 is out of range"),
    ("transpose one dim", lambda x: x.transpose(0), TypeError, r"transpose: dim1 must be an int"),
    ("transpose dim str", lambda x: x.transpose("a", 1), TypeError, r"transpose: dim0 must be an int"),
    ("permute repeated", lambda x: x.permute(0, 0), ValueError, r"permute: dims must order the 2 axes"),
    ("permute too few", lambda x: x.permute(1), ValueError, r"permute: dims must order"),
    ("permute out of range", lambda x: x.permute(0, 2), ValueError, r"permute: dims must order"),
    ("permute str", lambda x: x.permute("a", "b"), TypeError, r"permute: dims must be ints"),
    ("to dtype name", lambda x: x.to("abc"), TypeError, r"to: dtype must be a numpy dtype"),
    ("to str", lambda x: x.to(str), TypeError, r"to: dtype must be a bool, integer"),
    ("to None", lambda x: x.to(None), TypeError, r"to: dtype must be a numpy dtype"),
    ("index out of range", lambda x: x[5], IndexError, r"index 5 is out of bounds for axis 0"),
    ("index str", lambda x: x["a"], IndexError, r"only integers, slices"),
    # ------------------------------------------------ arithmetic
    ("add str", lambda x: x + "a", TypeError, r"Value: data must be numbers"),
    ("matmul None", lambda x: x @ None, TypeError, r"Value: data must be numbers"),
    ("mul shapes", lambda x: x * Value(np.ones(4)), ValueError, r"mul\b.*\(2, 3\).*\(4,\)"),
    ("matmul shapes", lambda x: x @ x, ValueError, r"matmul\b.*\(2, 3\) and \(2, 3\)"),
    ("less than str", lambda x: x < "a", TypeError, r"'<' not supported between instances of 'Value' and 'str'"),
    ("in place on a leaf", lambda x: add_in_place(x, 1), RuntimeError, r"a leaf Variable that requires grad"),
    ("in place str", lambda x: add_in_place(x.detach(), "a"), TypeError, r"Value: data must be numbers"),
    ("in place int += float", lambda x: add_in_place(Value([1, 2]), 0.5), TypeError, r"\+=: the result's dtype"),
    # ------------------------------------------------ creation
    ("zeros str", lambda x: tg.zeros("a"), TypeError, r"zeros: the shape must be ints"),
    ("zeros negative", lambda x: tg.zeros(2, -1), ValueError, r"zeros: the shape's sizes must be 0 or more"),
    ("zeros dtype", lambda x: tg.zeros(2, dtype="abc"), TypeError, r"zeros: dtype must be a numpy dtype"),
    ("ones float", lambda x: tg.ones(2.5), TypeError, r"ones: the shape must be ints"),
    ("ones requires_grad str", lambda x: tg.ones(2, requires_grad="yes"), TypeError, r"requires_grad must be"),
    ("rand int dtype", lambda x: tg.rand(2, dtype=np.int64), TypeError, r"rand: dtype must be a floating"),
    ("randn str", lambda x: tg.randn("a"), TypeError, r"randn: the shape must be ints"),
    ("randn negative", lambda x: tg.randn((-2,)), ValueError, r"randn: the shape's sizes"),
    ("arange step 0", lambda x: tg.arange(0, 10, 0), ValueError, r"arange: step must not be 0"),
    ("arange str", lambda x: tg.arange("a"), TypeError, r"arange: end must be a number"),
    ("arange step None", lambda x: tg.arange(0, 5, None), TypeError, r"arange: step must be a number"),
    ("arange nan", lambda x: tg.arange(float("nan")), ValueError, r"arange: end must be finite"),
    ("arange inf", lambda x: tg.arange(0, float("inf")), ValueError, r"arange: end must be finite"),
    ("arange wrong way", lambda x: tg.arange(10, 0), ValueError, r"arange: step 1 points away from end"),
    ("arange dtype", lambda x: tg.arange(3, dtype=str), TypeError, r"arange: dtype must be a bool, integer"),
    ("manual_seed str", lambda x: tg.manual_seed("a"), TypeError, r"manual_seed: seed must be an int"),
    ("manual_seed float", lambda x: tg.manual_seed(1.5), TypeError, r"manual_seed: seed must be an int"),
    ("argmax list", lambda x: tg.argmax([1, 2]), TypeError, r"argmax: value must be a Value"),
    ("tg.argmax axis float", lambda x: tg.argmax(x, 0.5), TypeError, r"argmax: axis must be an int"),
]


@pytest.mark.parametrize("call, error, message", [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_bad_input_raises_a_clear_error_and_changes_nothing(call, error, message):
    x = Value(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x * x).sum().backward()
    before = (x.data.copy(), x.data, x.dtype, x.grad.copy(), x._version, x.requires_grad, x.name)
    generator, state = tg.generator(), tg.generator().bit_generator.state
    with pytest.raises(error, match=message):
        call(x)
    after = (x.data, x.data, x.dtype, x.grad, x._version, x.requires_grad, x.name)
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1] is before[1] and after[2] == before[2] and after[4:] == before[4:] and x.is_leaf
    np.testing.assert_array_equal(after[3], before[3])
    assert tg.generator() is generator and generator.bit_generator.state == state


def test_every_row_has_its_own_name():
    names = [row[0] for row in ROWS]
    assert len(names) == len(set(names))


def test_a_negative_seed_is_taken_modulo_2_to_the_64_as_in_pytorch():
    tg.manual_seed(-1)
    first = tg.rand(3).data
    tg.manual_seed(2**64 - 1)
    np.testing.assert_array_equal(tg.rand(3).data, first)


def test_a_value_equals_no_str_as_a_tensor_does():
    assert (Value([1.0]) == "a") is False and (Value([1.0]) != "a") is True
