"""PyTorch as the oracle for random graphs: every operation in ``ops.OPS`` and every loss in nn.

A graph is a list of steps. Each step is one line of Python, written twice from
one template: once for tinygrad_edu (``tg``, ``nn``, ``np``) and once for
PyTorch (``torch``, ``nn`` = ``torch.nn``), for example::

    v2 = v0 * v1                     v2 = v0 * v1
    v3 = v2.sum((0,), keepdims=True) v3 = v2.sum(dim=(0,), keepdim=True)

Leaves are float32 or float64 (both in one graph now and then), with int64,
int32 and bool leaves and Python numbers mixed in as operands; shapes broadcast,
indices repeat and mix ints, slices, lists, masks and new axes; an axis of size
0 turns up now and then. Half the graphs end by adding up the sums of every
node nothing else uses, so that one backward reaches every branch.

Both programs run line by line, and after each line the test compares the new
node's value, dtype, shape and requires_grad (and stops at the first node that
differs: what follows from it is not news). Then it calls ``backward`` on the
last node that requires grad, compares
every gradient (leaves and intermediates, None where PyTorch has None), calls
``backward`` a second time and compares the leaves' gradients again (now
doubled). Float64 must agree to rtol 1e-7 (atol 1e-12, for sums that cancel to
0), float32 (anywhere in the graph) to rtol 1e-5, atol 1e-6 or, where a result
is ill-conditioned, to twice PyTorch's own float32 error (against its float64
run of the same graph, ``float64_reference``). A failure prints
both programs, ready to paste. ``test_compare_rejects_a_wrong_engine`` checks
that the comparison catches a deliberately wrong value, dtype or gradient.

Hypothesis draws the graphs (``graphs()``). While drawing, each candidate step
runs in PyTorch at once, so a step can look at the values its inputs really
have: the log of a node whose values are all positive, a relu of a node with
no value near its kink, a max with no near-ties. PyTorch refusing a step, or a
step giving values that are not finite or larger than ``LIMIT``, drops it.
Exact ties and exact zeros are kept on purpose where the two engines must
agree: a full ``max()`` of a node whose values carry no rounding error (ties
split), and a non-integer power of a relu's output (its zeros).

Views and changes in place take part too: a reshape, transpose, basic index or ``detach()``
shares its input's numbers in both engines (the test compares which results are views);
``assign(x, np.s_[index], v)`` is ``x[index] = v`` (recorded where x or v requires grad; so
earlier operations that used x must still send their gradients to x as it was), and under
``no_grad`` it and ``x += y`` change any node, leaves and views included, after which a
backward that needs the old numbers must raise in both. Leaves of every integer width and bool
meet every operation; where PyTorch refuses a step for its dtypes, tinygrad_edu must raise too
(the step stays in the graph, marked refused). ``test_random_graphs_backward_from_threads``
runs one graph's backward from four threads at once into the shared leaves, against four
backward calls in PyTorch.

Every operation class in ``OPS`` needs a step kind in ``KINDS`` that records it
(``test_every_registered_op_has_a_step_kind``), and
``test_each_kind_records_the_operations_it_covers`` checks the claim.
``TGE_FUZZ_EXAMPLES=N`` sets the number of graphs of the main test (default 500).
"""

from __future__ import annotations

import operator
import os
import re
import threading
import warnings
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from support import recorded_ops

import tinygrad_edu as tg
from tinygrad_edu import nn as tg_nn
from tinygrad_edu import ops

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")

EXAMPLES = int(os.environ.get("TGE_FUZZ_EXAMPLES", "500"))
LIMIT = 100.0  # a step whose values pass this is dropped: larger numbers only amplify rounding
MAX_ELEMENTS = 64  # the largest fresh leaf: 4 × 4 × 4
FLOATS = (np.float32, np.float64)
TOLERANCE = {np.dtype(np.float64): {"rtol": 1e-7, "atol": 1e-12},  # atol: cancellation to 0 (e.g. Σ softmax')
             np.dtype(np.float32): {"rtol": 1e-5, "atol": 1e-6}}


# ---------------------------------------------------------------- a step, and how it is written

@dataclass(frozen=True)
class Ref:
    """An earlier node, by number: written ``v3``."""

    index: int


@dataclass(frozen=True, eq=False)  # eq=False: compared by identity, as arrays have no single truth value
class Array:
    """A constant array (a leaf's data, a class target, class weights), written for each library."""

    data: np.ndarray

    def source(self, library: str) -> str:
        dtype = self.data.dtype.name
        if library == "tg":
            module, dtype_name = "np", f"np.{dtype}"
        else:
            module, dtype_name = "torch", f"torch.{dtype}"
        if self.data.size == 0:  # tolist() would lose the shape
            return f"{module}.zeros({self.data.shape}, dtype={dtype_name})"
        return f"{module}.{'array' if library == 'tg' else 'tensor'}({self.data.tolist()!r}, dtype={dtype_name})"


@dataclass(frozen=True)
class DType:
    """A dtype argument: ``np.float64`` for tinygrad_edu, ``torch.float64`` for PyTorch."""

    name: str

    def source(self, library: str) -> str:
        return f"{'np' if library == 'tg' else 'torch'}.{self.name}"


@dataclass(frozen=True)
class Code:
    """Source text written the same for both libraries (an index such as ``0, :, [1, 2]``)."""

    text: str

    def source(self, library: str) -> str:
        return self.text


def source(argument, library: str) -> str:
    if isinstance(argument, Ref):
        return f"v{argument.index}"
    if isinstance(argument, (Array, DType, Code)):
        return argument.source(library)
    return repr(argument)  # a Python number, tuple, bool, string or None, the same in both


@dataclass(frozen=True)
class Kind:
    """One kind of step: its two templates (``{0}``, ``{1}`` are the arguments, ``{name}``
    the options) and the operation classes its tinygrad_edu line records."""

    ours: str
    theirs: str
    covers: tuple = ()
    exact: bool = False  # no rounding: equal inputs give bit-equal outputs in both engines


@dataclass(frozen=True)
class Step:
    kind: str
    args: tuple
    options: tuple = ()  # (name, value) pairs
    refused: bool = False  # PyTorch raises for its inputs' dtypes: tinygrad_edu must raise too

    def line(self, number: int, library: str) -> str:
        kind = KINDS[self.kind]
        template = kind.ours if library == "tg" else kind.theirs
        arguments = [source(a, library) for a in self.args]
        options = {name: source(value, library) for name, value in self.options}
        return f"v{number} = " + template.format(*arguments, **options)


def same(template: str, covers: tuple = (), exact: bool = False) -> Kind:
    return Kind(template, template, covers, exact)


def loss(name: str, covers: tuple, weighted: bool = False) -> Kind:
    options = "weight={weight}, ignore_index={ignore_index}, reduction={reduction}" if weighted \
        else "reduction={reduction}"
    return same(f"nn.{name}({options})({{0}}, {{1}})", covers)


KINDS = {
    "leaf": Kind("tg.tensor({0}, requires_grad={requires_grad})", "{0}.requires_grad_({requires_grad})", exact=True),
    "add": same("{0} + {1}", (ops.Add,), exact=True),
    "sub": same("{0} - {1}", (ops.Sub,), exact=True),
    "mul": same("{0} * {1}", (ops.Mul,), exact=True),
    "div": same("{0} / {1}", (ops.Div,), exact=True),
    "neg": same("-{0}", (ops.Neg,), exact=True),
    "pow": same("{0} ** {1}", (ops.Pow,)),
    "matmul": same("{0} @ {1}", (ops.MatMul,)),
    "exp": same("{0}.exp()", (ops.Exp,)),
    "log": same("{0}.log()", (ops.Log,)),
    "relu": same("{0}.relu()", (ops.Relu,), exact=True),
    "sigmoid": same("{0}.sigmoid()", (ops.Sigmoid,)),
    "tanh": same("{0}.tanh()", (ops.Tanh,)),
    "to": same("{0}.to({dtype})", (ops.Cast,), exact=True),
    "where": same("{0}.where({condition}, {1})", (ops.Where,), exact=True),
    "sum": Kind("{0}.sum({axis}, keepdims={keepdims})", "{0}.sum(dim={axis}, keepdim={keepdims})", (ops.Sum,)),
    "mean": Kind("{0}.mean({axis}, keepdims={keepdims})", "{0}.mean(dim={axis}, keepdim={keepdims})", (ops.Mean,)),
    "max_all": same("{0}.max()", (ops.Max,), exact=True),
    "max_axis": Kind("{0}.max({axis}, keepdims={keepdims})", "{0}.max({axis}, keepdim={keepdims})[0]", (ops.Max,),
                     exact=True),
    "reshape": same("{0}.reshape({shape})", (ops.Reshape,), exact=True),
    "transpose": same("{0}.transpose({dim0}, {dim1})", (ops.Transpose,), exact=True),
    "permute": same("{0}.permute({axes})", (ops.Transpose,), exact=True),
    "T": same("{0}.T", (ops.Transpose,), exact=True),
    "expand": same("{0}.expand({shape})", (ops.Expand,), exact=True),
    "index": same("{0}[{index}]", (ops.Index,), exact=True),
    "index_put": same("{0}.index_put(({rows},), {1}, accumulate={accumulate})", (ops.IndexPut,)),
    "softmax": same("{0}.softmax({axis})", (ops.Softmax,)),
    "log_softmax": same("{0}.log_softmax({axis})", (ops.LogSoftmax,)),
    "bce": loss("BCELoss", (ops.BinaryCrossEntropy,)),
    "bce_with_logits": loss("BCEWithLogitsLoss", (ops.BinaryCrossEntropyWithLogits,)),
    "cross_entropy": loss("CrossEntropyLoss", (ops.LogSoftmax, ops.NllLoss), weighted=True),
    "cross_entropy_probabilities": same("nn.CrossEntropyLoss(weight={weight}, reduction={reduction})({0}, {1})",
                                        (ops.LogSoftmax,)),
    "nll": loss("NLLLoss", (ops.NllLoss,), weighted=True),
    "mse": loss("MSELoss", (ops.Sub, ops.Mul)),
    # No operation recorded: what decides whether one is.
    "no_grad": Kind("tg.no_grad()(lambda: {0} * {1})()", "torch.no_grad()(lambda: {0} * {1})()", exact=True),
    "detach": same("{0}.detach()", exact=True),
    "requires_grad_": same("{0}.requires_grad_()", exact=True),  # after the leaf was used: the same leaf
    "argmax": Kind("{0}.argmax({axis}, keepdims={keepdims})", "{0}.argmax({axis}, keepdim={keepdims})", exact=True),
    # In place: x itself, changed (x[index] = v recorded where x or v requires grad).
    "assign": same("assign({0}, np.s_[{index}], {1})", (ops.IndexPut,), exact=True),
    "assign_no_grad": Kind("tg.no_grad()(assign)({0}, np.s_[{index}], {1})",
                           "torch.no_grad()(assign)({0}, np.s_[{index}], {1})", exact=True),
    "iadd_no_grad": Kind("tg.no_grad()(operator.iadd)({0}, {1})", "torch.no_grad()(operator.iadd)({0}, {1})",
                         exact=True),
}


def assign(x, index, v):
    """``x[index] = v`` as an expression (a step is one line ``vN = ...``): returns x itself."""
    x[index] = v
    return x


HELPERS = "import operator\n\n\ndef assign(x, index, v):\n    x[index] = v\n    return x\n"
OURS = {"tg": tg, "nn": tg_nn, "np": np, "operator": operator, "assign": assign}
THEIRS = {"torch": torch, "nn": torch.nn, "np": np, "operator": operator, "assign": assign}
VIEWS = ("reshape", "transpose", "permute", "T", "index")  # a result may share its input's numbers


# ---------------------------------------------------------------- a graph: the steps, the output, the seed

class Graph:
    """The steps; per node, whether float32 took part in computing it (then float32's tolerance
    applies); the node backward starts from (the last that requires grad) and dL/d(that node)
    (None: ``backward()`` without an argument)."""

    def __init__(self):
        self.steps: list = []
        self.loose: list = []
        self.output: int | None = None
        self.seed: Array | None = None

    def lines(self, library: str) -> list:
        return [step.line(number, library) for number, step in enumerate(self.steps)]

    def backward_line(self, library: str, first: bool) -> str:
        arguments = [] if self.seed is None else [self.seed.source(library)]
        if library == "torch" and first:
            arguments.append("retain_graph=True")  # tinygrad_edu keeps the graph without being asked
        return f"v{self.output}.backward({', '.join(arguments)})"

    def program(self, library: str) -> str:
        header = ("import numpy as np\nimport tinygrad_edu as tg\nfrom tinygrad_edu import nn" if library == "tg"
                  else "import numpy as np\nimport torch\nfrom torch import nn") + "\n" + HELPERS
        lines = [header] + [f"try:\n    {line}\nexcept Exception as error:\n    print(repr(error))" if step.refused
                            else line for step, line in zip(self.steps, self.lines(library), strict=True)]
        if self.output is not None:
            if library == "torch":
                lines.append("for v in [v for v in list(globals().values()) if isinstance(v, torch.Tensor)]:\n"
                             "    if v.requires_grad and not v.is_leaf: v.retain_grad()")
            lines.append(self.backward_line(library, True))
            if library == "torch":  # as compare() does, against PyTorch's aliased leaf gradients
                lines.append("for v in [v for v in list(globals().values()) if isinstance(v, torch.Tensor)]:\n"
                             "    if v.is_leaf and v.grad is not None: v.grad = v.grad.clone()")
            lines.append(self.backward_line(library, False))
        return "\n".join(lines)

    def reproducer(self) -> str:
        return f"# tinygrad_edu\n{self.program('tg')}\n\n# PyTorch\n{self.program('torch')}"

    def __repr__(self) -> str:  # hypothesis prints this; the failure's message has the reproducer
        return f"<a graph of {len(self.steps)} steps>"


# PyTorch's words where it refuses a step for its inputs' dtypes.
REFUSED_DTYPES = re.compile(r"not supported|not implemented for|could not infer output dtype|same dtype|dtypes match"
                            r"|does not support bool|can't be cast|expected scalar type")


def attempt(line: str, namespace: dict) -> Exception | None:
    """Execute one line in ``namespace`` itself: the exception it raised, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(line, namespace)
    except Exception as error:
        return error
    return None


def run(lines: list, namespace: dict, library: str) -> dict:
    """Execute the lines one by one in ``namespace`` (a copy); an error names its line."""
    namespace = dict(namespace)
    for line in lines:
        try:
            with warnings.catch_warnings():  # PyTorch's deprecations (x.T of 1-D) are not differences
                warnings.simplefilter("ignore")
                exec(line, namespace)
        except Exception as error:
            raise AssertionError(f"{library} raised {type(error).__name__}: {error}\n  at: {line}") from error
    return namespace


# ---------------------------------------------------------------- drawing a graph, step by step

class Builder:
    """The graph so far, with each node's PyTorch value (what the next step may look at)."""

    def __init__(self, draw, dtype):
        self.draw, self.dtype = draw, np.dtype(dtype)  # the graph's usual float dtype
        self.graph = Graph()
        self.namespace = dict(THEIRS)
        self.exact: list = []

    # ------------------------------------------------------------ nodes

    def value(self, ref: Ref):
        return self.namespace[f"v{ref.index}"]

    def shape_of(self, ref: Ref) -> tuple:
        return tuple(self.value(ref).shape)

    def array(self, ref: Ref) -> np.ndarray:
        return self.value(ref).detach().numpy()

    def refs(self) -> list:
        return [Ref(i) for i, step in enumerate(self.graph.steps) if not step.refused]

    def pick(self, accept) -> Ref | None:
        """An earlier node whose PyTorch value passes ``accept``: the latest (so that steps
        chain) or any. None if there is none."""
        candidates = [ref for ref in self.refs() if accept(self.array(ref)) and self.usable(ref)]
        if not candidates:
            return None
        if self.draw(st.booleans()):
            return candidates[-1]
        return self.draw(st.sampled_from(candidates))

    def usable(self, ref: Ref) -> bool:
        data = self.array(ref)
        return data.dtype.kind != "f" or bool(np.isfinite(data).all())

    # ------------------------------------------------------------ adding steps

    def add(self, kind: str, *args, **options) -> Ref | None:
        """Append the step if PyTorch runs it and its result stays finite and small, else drop it."""
        number = len(self.graph.steps)
        step = Step(kind, args, tuple(options.items()))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(step.line(number, "torch"), self.namespace)
        except Exception as error:
            if REFUSED_DTYPES.search(str(error)):  # tinygrad_edu must refuse it too: kept, marked refused
                self.graph.steps.append(Step(kind, args, tuple(options.items()), refused=True))
                self.graph.loose.append(False)
                self.exact.append(False)
            return None
        result = self.namespace[f"v{number}"].detach().numpy()
        if result.dtype.kind == "f":
            nan_allowed = kind in ("cross_entropy", "nll")  # a mean over no kept target is 0/0 = NaN in both
            finite = np.isfinite(result).all() or (nan_allowed and np.isnan(result).all())
            too_large = finite and np.abs(np.nan_to_num(result)).max(initial=0) > LIMIT
        else:
            finite, too_large = True, False
        if result.size > MAX_ELEMENTS or not finite or too_large:
            del self.namespace[f"v{number}"]
            return None
        inputs = [a for a in args if isinstance(a, Ref)]
        self.graph.steps.append(step)
        self.graph.loose.append(result.dtype == np.float32 or any(self.graph.loose[r.index] for r in inputs))
        self.exact.append(KINDS[kind].exact and all(self.exact[r.index] for r in inputs))
        return Ref(number)

    def leaf(self, data: np.ndarray, requires_grad: bool | None = None) -> Ref:
        if requires_grad is None:
            requires_grad = data.dtype.kind == "f" and self.draw(st.integers(0, 4)) > 0
        ref = self.add("leaf", Array(data), requires_grad=requires_grad)
        assert ref is not None, f"a leaf of {data!r} was refused"
        return ref

    # ------------------------------------------------------------ fresh data

    def shape(self, min_dims: int = 0, max_dims: int = 3) -> tuple:
        min_side = 0 if self.draw(st.integers(0, 19)) == 0 else 1  # now and then an empty axis
        return self.draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=4))

    def leaf_dtype(self, kinds: str = "f") -> np.dtype:
        """The graph's float dtype mostly; now and then the other float, or (if allowed) an integer of
        any width or a bool."""
        choices = [self.dtype] * 4 + [np.dtype(np.float64 if self.dtype == np.float32 else np.float32)]
        choices += [np.dtype(np.int64), np.dtype(np.int32)] if "i" in kinds else []
        choices += [self.draw(st.sampled_from([np.dtype(np.int16), np.dtype(np.int8), np.dtype(np.uint8)]))] \
            if "i" in kinds else []
        choices += [np.dtype(np.bool_)] if "b" in kinds else []
        return self.draw(st.sampled_from(choices))

    def data(self, shape: tuple, dtype, low: float = -3, high: float = 3) -> np.ndarray:
        """Random numbers in [low, high]: uniform, on a grid of 0.5 (ties and exact zeros), or mixed.

        numpy draws them from a seed that hypothesis draws: a graph holds hundreds of numbers, and
        drawing each through hypothesis would exhaust its budget of choices per example.
        """
        dtype = np.dtype(dtype)
        rng = np.random.default_rng(self.draw(st.integers(0, 2 ** 32 - 1)))
        if dtype.kind == "b":
            return rng.random(shape) < 0.5
        if dtype.kind in "iu":
            lowest = 0 if dtype.kind == "u" else -3
            return rng.integers(max(int(np.ceil(low)), lowest), min(int(np.floor(high)), 3) + 1, shape).astype(dtype)
        uniform = rng.uniform(low, high, shape)
        on_grid = np.clip(np.round(uniform * 2) / 2, low, high)
        style = self.draw(st.sampled_from(["uniform", "grid", "mixed"]))
        mixed = {"uniform": uniform, "grid": on_grid, "mixed": np.where(rng.random(shape) < 0.5, uniform, on_grid)}
        return np.asarray(mixed[style], dtype=dtype)

    def fresh(self, shape: tuple | None = None, low: float = -3, high: float = 3, kinds: str = "f",
              requires_grad: bool | None = None) -> Ref:
        shape = self.shape() if shape is None else shape
        return self.leaf(self.data(shape, self.leaf_dtype(kinds), low, high), requires_grad)

    def float_node(self, accept=lambda data: True, low: float = -3, high: float = 3, min_dims: int = 0) -> Ref:
        """A float node that ``accept``s (an earlier one, or a fresh leaf with values in [low, high])."""
        ref = self.pick(lambda data: data.dtype.kind == "f" and data.ndim >= min_dims and accept(data))
        return ref if ref is not None else self.fresh(self.shape(min_dims=min_dims), low, high)

    def number(self, low: float, high: float):
        """A Python number as an operand: an int or a float."""
        return self.draw(st.one_of(st.integers(int(np.ceil(low)), int(np.floor(high))),
                                   st.floats(low, high).map(lambda x: round(x, 3))))


def all_in(low: float, high: float):
    return lambda data: data.dtype.kind != "b" and bool(((data >= low) & (data <= high)).all())


def away_from_zero(data: np.ndarray) -> bool:
    return data.dtype.kind != "b" and bool((np.abs(data) >= 0.25).all())


def top_gap(data: np.ndarray, axis=None) -> float:
    """The smallest gap between the largest and the second largest element (along ``axis``),
    relative to the largest: how far from a tie max is."""
    data = data.astype(np.float64)
    if axis is None:
        data, axis = data.reshape(-1), 0
    if data.shape[axis] < 2:
        return np.inf
    ordered = np.sort(data, axis=axis)
    top, second = np.take(ordered, -1, axis=axis), np.take(ordered, -2, axis=axis)
    return float(((top - second) / np.maximum(1, np.abs(top))).min(initial=np.inf))


def broadcast(*shapes) -> tuple | None:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


# ---------------------------------------------------------------- one drawing function per kind of step

def any_node(b: Builder, kinds: str = "fib", accept=lambda data: True, min_dims: int = 0, max_dims: int = 3) -> Ref:
    """Any earlier node of the dtype kinds allowed (float, int, bool), or a fresh leaf."""
    ref = b.pick(lambda data: data.dtype.kind in kinds.replace("i", "iu") and min_dims <= data.ndim <= max_dims
                 and accept(data))
    return ref if ref is not None else b.fresh(b.shape(min_dims, max_dims), kinds=kinds)


def second_operand(b: Builder, first: Ref, kinds: str, accept=lambda data: True, low=-3, high=3):
    """The other operand of an elementwise operation: a Python number, an earlier node that
    broadcasts with ``first``, or a fresh leaf of a shape that does (ints and bools mixed in)."""
    shape = b.shape_of(first)
    source = b.draw(st.sampled_from(["number", "node", "leaf", "leaf"]))
    if source == "number":
        number = b.number(low, high)
        return number if accept(np.array(number)) else None
    if source == "node":
        ref = b.pick(lambda data: data.dtype.kind in kinds.replace("i", "iu") and accept(data)
                     and broadcast(data.shape, shape) is not None)
        if ref is not None:
            return ref
    other = b.draw(hnp.broadcastable_shapes(tuple(shape), min_dims=0, max_dims=len(shape) + 1, max_side=4))
    if np.prod(other) > MAX_ELEMENTS:  # an added leading axis made it too large: drop that axis
        other = other[1:]
    data = b.data(other, b.leaf_dtype(kinds), low, high)
    return b.leaf(data) if accept(data) else None


def elementwise(kind: str, kinds: str = "fib", divisor: bool = False):
    """add, sub, mul, div: a node and a second operand, in either order. A divisor stays at
    least 0.25 away from 0 (the pole of 1/b)."""
    def draw(b: Builder):
        accept = away_from_zero if divisor else (lambda data: True)
        first = any_node(b, kinds)
        second = second_operand(b, first, kinds, accept)
        if second is None:
            return None
        swap = b.draw(st.booleans()) and (not divisor or accept(b.array(first)))
        return b.add(kind, *((second, first) if swap else (first, second)))
    return draw


def unary(kind: str, kinds: str = "f", accept=lambda data: True, low: float = -3, high: float = 3):
    def draw(b: Builder):
        ref = b.pick(lambda data: data.dtype.kind in kinds.replace("i", "iu") and accept(data))
        return b.add(kind, ref if ref is not None else b.fresh(low=low, high=high, kinds=kinds))
    return draw


def relu_kink_free(b: Builder):
    """relu of values at least 1e-3 from 0, or of a node without rounding error (exact zeros
    included: both engines' derivative there is 0)."""
    candidates = [ref for ref in b.refs() if b.array(ref).dtype.kind == "f" and b.usable(ref)
                  and (b.exact[ref.index] or bool((np.abs(b.array(ref)) >= 1e-3).all()))]
    ref = b.draw(st.sampled_from(candidates)) if candidates else b.fresh()
    return b.add("relu", ref)


def draw_pow(b: Builder):
    """Four cases, each kept inside the domain where a^b and its derivatives are real:
    an integer exponent (any base); a fractional constant exponent (a base > 0.1, or a relu's
    exact zeros when the exponent is positive); a Value exponent (base in [0.1, 10], where ln a
    exists); a number base (2 ** x)."""
    case = b.draw(st.integers(0, 3))
    if case == 0:
        return b.add("pow", b.float_node(), b.draw(st.sampled_from([0, 1, 2, 3, 2.0])))
    if case == 1:
        exponent = round(b.draw(st.floats(-2, 2).filter(lambda x: abs(x - round(x)) > 0.05)), 2)
        zeros_ok = exponent > 0
        relus = [ref for ref in b.refs() if b.graph.steps[ref.index].kind == "relu"]
        if zeros_ok and relus and b.draw(st.booleans()):  # a relu's output: its zeros are exact in both
            base = b.draw(st.sampled_from(relus))
        else:
            base = b.float_node(lambda data: bool(((data > 0.1) | (zeros_ok & (data == 0))).all()), 0.1, 3)
        if zeros_ok or not (b.array(base) == 0).any():
            return b.add("pow", base, exponent)
        return None
    if case == 2:
        base = b.float_node(all_in(0.1, 10), 0.1, 3)
        exponent = second_operand(b, base, "f", all_in(-2, 2), -2, 2)
        return None if exponent is None else b.add("pow", base, exponent)
    return b.add("pow", round(b.draw(st.floats(0.5, 3)), 2), b.float_node(all_in(-4, 4)))


def draw_matmul(b: Builder):
    """Matrix products of 1-D, 2-D and batched operands of one dtype (PyTorch refuses mixed ones)."""
    a = b.float_node(min_dims=1)
    dtype, shape = b.array(a).dtype, b.shape_of(a)
    n = shape[-1]
    if b.draw(st.booleans()):
        other = (n,)
    else:
        batch = b.draw(st.sampled_from([(), (), (1,), (2,), (2, 1)]))
        other = batch + (n, b.draw(st.integers(1, 3)))
        if np.prod(other) > MAX_ELEMENTS:  # a long last axis (after a reshape): a vector will do
            other = (n,)
    return b.add("matmul", a, b.leaf(b.data(other, dtype)))


def draw_cast(b: Builder):
    """To another dtype: a float (differentiable), int64 or bool (no gradient). Not to the same
    dtype: PyTorch's ``to`` returns the tensor itself then, tinygrad_edu's a copy (value.py)."""
    ref = any_node(b)
    dtypes = [name for name in ("float32", "float64", "int64", "bool") if name != b.array(ref).dtype.name]
    return b.add("to", ref, dtype=DType(b.draw(st.sampled_from(dtypes))))


@st.composite
def axes(draw, ndim: int):
    """None, one axis, or a tuple of distinct axes (negative ones mixed in; () too)."""
    one = st.integers(-max(ndim, 1), max(ndim, 1) - 1)  # a 0-d tensor has axis 0 (and -1) in PyTorch
    many = st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim).map(
        lambda chosen: tuple(a - ndim if a % 2 else a for a in chosen))
    return draw(st.one_of(st.none(), one, many))


def reduction(kind: str, kinds: str):
    def draw(b: Builder):
        ref = any_node(b, kinds)
        return b.add(kind, ref, axis=b.draw(axes(len(b.shape_of(ref)))), keepdims=b.draw(st.booleans()))
    return draw


def draw_max_all(b: Builder):
    """max() of all elements: ties allowed on a node without rounding error (PyTorch splits the
    gradient between the tied elements), else the top two at least 1e-3 apart."""
    ref = b.pick(lambda data: data.dtype.kind in "fiu" and data.size > 0)
    if ref is None or not (b.exact[ref.index] or top_gap(b.array(ref)) > 1e-3):
        ref = b.leaf(b.data(b.shape(), b.dtype, -2, 2))
    return b.add("max_all", ref)


def draw_max_axis(b: Builder):
    """max along one axis, with no near-tie along it (which tied element PyTorch picks is not documented)."""
    ref = any_node(b, "fi", min_dims=1)
    ndim = len(b.shape_of(ref))
    axis = b.draw(st.integers(-ndim, ndim - 1))
    if top_gap(b.array(ref), axis) <= 1e-3:
        return None
    return b.add("max_axis", ref, axis=axis, keepdims=b.draw(st.booleans()))


def draw_reshape(b: Builder):
    ref = any_node(b)
    shape = b.shape_of(ref)
    size = int(np.prod(shape))
    new = b.draw(st.sampled_from([(-1,), (1, -1), tuple(reversed(shape)), (size, 1), shape + (1,), (1,) + shape,
                                  () if size == 1 else (size,)]))
    return b.add("reshape", ref, shape=new)


def draw_transpose(b: Builder):
    ref = any_node(b, min_dims=1)
    ndim = len(b.shape_of(ref))
    dim = st.integers(-ndim, ndim - 1)
    return b.add("transpose", ref, dim0=b.draw(dim), dim1=b.draw(dim))


def draw_permute(b: Builder):
    ref = any_node(b)
    ndim = len(b.shape_of(ref))
    order = b.draw(st.permutations(range(ndim)))
    return b.add("permute", ref, axes=tuple(a - ndim if a % 2 else a for a in order))


def draw_T(b: Builder):
    return b.add("T", any_node(b, max_dims=2))


@st.composite
def index_entry(draw, n: int, length: int):
    """What indexes one axis of size n: an int, a slice, or a list of ints of ``length``
    (repeats and negatives likely) or of length 1 (it broadcasts)."""
    if n == 0:
        return draw(st.sampled_from([":", "0:0"]))
    choice = draw(st.sampled_from(["int", "slice", "slice", "list"]))
    if choice == "int":
        return str(draw(st.integers(-n, n - 1)))
    if choice == "slice":
        start, stop = draw(st.none() | st.integers(-n, n)), draw(st.none() | st.integers(-n, n))
        step = draw(st.sampled_from([None, None, 2]))  # PyTorch has no negative step
        text = f"{'' if start is None else start}:{'' if stop is None else stop}"
        return text + ("" if step is None else f":{step}")
    size = draw(st.sampled_from([length, length, 1]))
    return repr(draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size)))


@st.composite
def index_source(draw, shape: tuple) -> str:
    """Basic and advanced indices mixed: ints, slices, lists (two lists broadcast together),
    a new axis, an Ellipsis, or a boolean mask of the whole first axis."""
    if shape and draw(st.integers(0, 5)) == 0:
        return repr(draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
    length = draw(st.integers(1, 4))
    entries = [draw(index_entry(n, length)) for n in shape[:draw(st.integers(0, len(shape)))]]
    if draw(st.integers(0, 3)) == 0:
        entries.insert(draw(st.integers(0, len(entries))), "None")
    if draw(st.integers(0, 3)) == 0:
        entries.insert(draw(st.integers(0, len(entries))), "...")
    if not entries:
        return "()" if draw(st.booleans()) else "..."
    return ", ".join(entries)


def draw_index(b: Builder):
    ref = any_node(b)
    return b.add("index", ref, index=Code(b.draw(index_source(b.shape_of(ref)))))


def softmax_family(kind: str):
    def draw(b: Builder):
        ref = b.float_node()
        ndim = len(b.shape_of(ref))
        return b.add(kind, ref, axis=b.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1)))
    return draw


def reduction_option(b: Builder) -> str:
    return b.draw(st.sampled_from(["mean", "sum", "none"]))


def same_shape_target(b: Builder, input: Ref, low: float, high: float) -> Ref:
    """A target of the input's shape and dtype: an earlier node in [low, high], or a fresh leaf
    (which may require grad: PyTorch differentiates these losses with respect to the target too)."""
    data = b.array(input)
    ref = b.pick(lambda other: other.shape == data.shape and other.dtype == data.dtype
                 and bool(((other >= low) & (other <= high)).all()))
    return ref if ref is not None else b.leaf(b.data(data.shape, data.dtype, low, high))


def elementwise_loss(kind: str, low: float = -3, high: float = 3, target_low: float = -3, target_high: float = 3):
    """BCELoss (probabilities in [0.02, 0.98], away from the clamp at ln 0), BCEWithLogitsLoss, MSELoss."""
    def draw(b: Builder):
        input = b.float_node(all_in(low, high), low, high)
        target = same_shape_target(b, input, target_low, target_high)
        return b.add(kind, input, target, reduction=reduction_option(b))
    return draw


def class_weight(b: Builder, classes: int, dtype):
    """None, or one weight per class (now and then a zero)."""
    if b.draw(st.booleans()):
        return None
    return Array(b.draw(hnp.arrays(dtype, (classes,), elements=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 0.75]))))


def class_target(kind: str):
    """CrossEntropyLoss and NLLLoss with class indices: classes on axis 1 ((N, C, d₁, …)) or a
    single sample (C,); ignore_index -100 with some -100 targets, or a class."""
    def draw(b: Builder):
        input = b.float_node(min_dims=1)
        data = b.array(input)
        class_axis = min(1, data.ndim - 1)
        classes = data.shape[class_axis]
        if classes == 0:
            return None
        batch = data.shape[:class_axis] + data.shape[class_axis + 1:]
        ignore_index = b.draw(st.sampled_from([-100, -100, 0, classes - 1]))
        target = b.draw(hnp.arrays(np.int64, batch, elements=st.sampled_from([*range(classes), -100])))
        if ignore_index != -100:
            target[target == -100] = ignore_index
        return b.add(kind, input, Array(target), weight=class_weight(b, classes, data.dtype),
                     ignore_index=ignore_index, reduction=reduction_option(b))
    return draw


def draw_cross_entropy_probabilities(b: Builder):
    input = b.float_node(min_dims=1)
    data = b.array(input)
    target = same_shape_target(b, input, 0, 1)
    weight = class_weight(b, data.shape[min(1, data.ndim - 1)], data.dtype)
    return b.add("cross_entropy_probabilities", input, target, weight=weight, reduction=reduction_option(b))


def draw_where(b: Builder):
    """x.where(condition, y): a node, a second operand (a number or a node that broadcasts), and a bool
    condition of a shape that broadcasts with both."""
    first = any_node(b, "fi")
    second = second_operand(b, first, "fib")
    if second is None:
        return None
    shape = broadcast(b.shape_of(first), b.shape_of(second) if isinstance(second, Ref) else ())
    side = max(4, *shape) if shape else 4  # broadcastable_shapes wants max_side ≥ every side of the shape
    condition = b.data(b.draw(hnp.broadcastable_shapes(shape, max_dims=len(shape), max_side=side)), np.bool_)
    return b.add("where", first, second, condition=Array(condition))


def draw_expand(b: Builder):
    """expand to a shape the node broadcasts to: axes of size 1 stretched, new axes in front, -1 now and then."""
    ref = any_node(b)
    shape = b.shape_of(ref)
    other = b.draw(hnp.broadcastable_shapes(shape, min_dims=len(shape), max_dims=len(shape) + 1, min_side=0,
                                            max_side=max(4, *shape) if shape else 4))  # max_side ≥ every side
    new = list(np.broadcast_shapes(shape, other))
    added = len(new) - len(shape)
    for axis in range(added, len(new)):
        if new[axis] == shape[axis - added] and b.draw(st.integers(0, 3)) == 0:
            new[axis] = -1  # keep this axis's size
    return b.add("expand", ref, shape=tuple(new))


def draw_index_put(b: Builder):
    """base.index_put((rows,), values, accumulate): rows of the first axis (repeated only when
    accumulating: which write stays is not defined otherwise), values of base's dtype (PyTorch's
    rule) shaped as base[rows] or broadcasting to it."""
    base = any_node(b, "f", min_dims=1)
    data = b.array(base)
    n = data.shape[0]
    if n == 0:
        return None
    accumulate = b.draw(st.booleans())
    rows = b.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4, unique_by=None if accumulate
                           else (lambda row: row % n)))
    picked = (len(rows),) + data.shape[1:]
    values_shape = b.draw(st.sampled_from([picked, picked[1:], ()]))
    values = b.pick(lambda other: other.shape == values_shape and other.dtype == data.dtype)
    if values is None:
        values = b.leaf(b.data(values_shape, data.dtype))
    return b.add("index_put", base, values, rows=Array(np.array(rows, dtype=np.int64)), accumulate=accumulate)


def draw_no_grad(b: Builder):
    first = any_node(b, "f")
    second = second_operand(b, first, "fib")
    return None if second is None else b.add("no_grad", first, second)


def draw_requires_grad_(b: Builder):
    """Turn on requires_grad of a float leaf that has none, perhaps after an operation used it;
    not after a view of it was taken: a PyTorch view then reports requires_grad=True as its base
    does (a view here keeps the flag it was made with), though the base gets no gradient through it."""
    viewed = {arg.index for step in b.graph.steps if step.kind in VIEWS + ("expand", "detach")
              for arg in step.args if isinstance(arg, Ref)}
    leaves = [ref for ref in b.refs() if b.value(ref).is_leaf and not b.value(ref).requires_grad
              and b.array(ref).dtype.kind == "f" and ref.index not in viewed]
    return b.add("requires_grad_", b.draw(st.sampled_from(leaves))) if leaves else None


def draw_argmax(b: Builder):
    """The index of the largest element (first of equals in both), overall or along an axis."""
    ref = any_node(b, "fi", lambda data: data.size > 0)
    ndim = len(b.shape_of(ref))
    axis = b.draw(st.none() | st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    if not b.exact[ref.index] and top_gap(b.array(ref), axis if ndim else None) <= 1e-3:
        return None
    return b.add("argmax", ref, axis=axis, keepdims=b.draw(st.booleans()))


def assigned_value(b: Builder, selected: tuple, dtype):
    """What ``x[index] = v`` writes: a Python number, an earlier node that broadcasts to the
    selected places, or a fresh leaf of their shape (which may require grad)."""
    source = b.draw(st.sampled_from(["number", "node", "leaf"]))
    if source == "number":
        return b.number(-3, 3)
    if source == "node":
        ref = b.pick(lambda data: broadcast(data.shape, selected) == selected)
        if ref is not None:
            return ref
    if int(np.prod(selected)) > MAX_ELEMENTS:
        return None
    return b.leaf(b.data(selected, dtype if b.draw(st.integers(0, 3)) else b.leaf_dtype("fib")))


# Where PyTorch's backward saves an input (or the output) that tinygrad_edu's does not need, so that
# after a change in place PyTorch refuses to go backward and tinygrad_edu computes the gradient of the
# numbers forward saw: MSE is one operation in PyTorch, a subtraction and a product here; max() and
# nll_loss find their gradient's places in forward here, from the input and output in PyTorch.
SAVED_BY_PYTORCH_ONLY = ("mse", "max_all", "nll")


def changeable_node(b: Builder) -> Ref | None:
    """A node a step may change in place: the latest or any, but not one of SAVED_BY_PYTORCH_ONLY's
    inputs or outputs, where the two engines part on purpose."""
    used = {arg.index for step in b.graph.steps if step.kind in SAVED_BY_PYTORCH_ONLY
            for arg in step.args if isinstance(arg, Ref)}
    used |= {number for number, step in enumerate(b.graph.steps) if step.kind in SAVED_BY_PYTORCH_ONLY}
    candidates = [ref for ref in b.refs() if ref.index not in used and b.usable(ref)]
    if not candidates:
        return None
    return candidates[-1] if b.draw(st.booleans()) else b.draw(st.sampled_from(candidates))


def draw_assign(kind: str):
    """``x[index] = v`` (in grad mode, or inside no_grad) into any earlier node, views and Values with
    views included: where the change is recorded, the base and every view get new history."""
    def draw(b: Builder):
        target = changeable_node(b)
        if target is None:
            return None
        index = b.draw(index_source(b.shape_of(target)))
        try:
            selected = tuple(b.value(target)[eval(f"np.s_[{index}]")].shape)
        except Exception:
            return None
        value = assigned_value(b, selected, b.array(target).dtype)
        if value is None:
            return None
        x = b.value(target)
        v_requires_grad = isinstance(value, Ref) and b.value(value).requires_grad
        if kind == "assign" and v_requires_grad and not x.is_floating_point():
            return None  # PyTorch's masked fill then makes an integer tensor require grad (a bug not copied)
        return b.add(kind, target, value, index=Code(index))
    return draw


def draw_iadd_no_grad(b: Builder):
    """``x += y`` inside no_grad on any earlier node (leaves and views included)."""
    target = changeable_node(b)
    other = None if target is None else second_operand(b, target, "fib")
    return None if other is None else b.add("iadd_no_grad", target, other)


DRAW = {
    "leaf": lambda b: b.fresh(kinds="fib"),
    "add": elementwise("add"),
    "sub": elementwise("sub", kinds="fi"),  # PyTorch has no subtraction of bools
    "mul": elementwise("mul"),
    "div": elementwise("div", divisor=True),
    "neg": unary("neg", "fi"),
    "pow": draw_pow,
    "matmul": draw_matmul,
    "exp": unary("exp", "fib", all_in(-10, 4)),
    "log": unary("log", "fi", all_in(0.05, np.inf), 0.05, 5),
    "relu": relu_kink_free,
    # Not saturated: near out = ±1 the derivative 1 − out² (or out(1 − out)) is a difference of
    # nearly equal numbers, and one float32 rounding of out more or less changes it by percents.
    "sigmoid": unary("sigmoid", "fib", all_in(-4, 4)),
    "tanh": unary("tanh", "fib", all_in(-2, 2), -2, 2),
    "to": draw_cast,
    "where": draw_where,
    "sum": reduction("sum", "fib"),
    "mean": reduction("mean", "f"),  # PyTorch refuses the mean of integers
    "max_all": draw_max_all,
    "max_axis": draw_max_axis,
    "reshape": draw_reshape,
    "transpose": draw_transpose,
    "permute": draw_permute,
    "T": draw_T,
    "expand": draw_expand,
    "index": draw_index,
    "index_put": draw_index_put,
    "softmax": softmax_family("softmax"),
    "log_softmax": softmax_family("log_softmax"),
    "bce": elementwise_loss("bce", 0.02, 0.98, 0, 1),
    "bce_with_logits": elementwise_loss("bce_with_logits", target_low=0, target_high=1),
    "cross_entropy": class_target("cross_entropy"),
    "cross_entropy_probabilities": draw_cross_entropy_probabilities,
    "nll": class_target("nll"),
    "mse": elementwise_loss("mse"),
    "no_grad": draw_no_grad,
    "detach": unary("detach", "fib"),
    "requires_grad_": draw_requires_grad_,
    "argmax": draw_argmax,
    "assign": draw_assign("assign"),
    "assign_no_grad": draw_assign("assign_no_grad"),
    "iadd_no_grad": draw_iadd_no_grad,
}


def join_sinks(b: Builder) -> None:
    """Add up the sums of every node that requires grad and that no step uses, so that one
    backward reaches every branch of the graph, not only the last."""
    used = {arg.index for step in b.graph.steps for arg in step.args if isinstance(arg, Ref)}
    total = None
    for ref in b.refs():
        if ref.index in used or not b.value(ref).requires_grad or not b.usable(ref):
            continue
        summed = b.add("sum", ref, axis=None, keepdims=False)
        if summed is not None:
            total = summed if total is None else b.add("add", total, summed) or total


@st.composite
def graphs(draw, last: str | None = None, max_steps: int = 6) -> Graph:
    """A random graph: one or two float leaves, then up to ``max_steps`` steps of random kinds
    (``last``, if given, is the kind of the final step: retried until PyTorch accepts one whose
    inputs all require grad, so that tinygrad_edu records its operations)."""
    b = Builder(draw, draw(st.sampled_from(FLOATS)))
    for _ in range(draw(st.integers(1, 2))):
        b.fresh(requires_grad=True)
    # "leaf" first: hypothesis draws the first choice most often, and shrinks towards it.
    for kind in draw(st.lists(st.sampled_from(list(DRAW)), min_size=1, max_size=max_steps)):
        DRAW[kind](b)
    if last is not None:
        for _ in range(10):
            ref = DRAW[last](b)
            if ref is not None and b.value(ref).requires_grad and all(
                    b.value(arg).requires_grad for arg in b.graph.steps[-1].args if isinstance(arg, Ref)):
                break
        else:
            reject()
    if last is None and draw(st.booleans()):
        join_sinks(b)
    graph = b.graph
    wanted = [ref for ref in b.refs() if b.value(ref).requires_grad]
    if wanted:
        output = b.value(wanted[-1])
        graph.output = wanted[-1].index
        implicit = output.numel() == 1 and draw(st.booleans())
        graph.seed = None if implicit else Array(b.data(tuple(output.shape), output.detach().numpy().dtype, -2, 2))
    return graph


# ---------------------------------------------------------------- running both and comparing

def differences(what: str, ours, theirs, loose: bool, reference=None) -> list:
    """How ``ours`` (a numpy array or None) differs from ``theirs`` (a torch tensor or None).

    Where float32 took part, ``reference`` (PyTorch's float64 result, if any) measures PyTorch's
    own rounding error; the engines may differ by twice that, beyond the tolerance: a sum of
    64 numbers near 1 that cancels to 0.09 is only good to about 3e-5 in float32, in either engine.
    """
    if ours is None or theirs is None:
        if ours is None and theirs is None:
            return []
        return [f"{what}: tinygrad_edu {'None' if ours is None else 'an array'}, "
                f"PyTorch {'None' if theirs is None else 'a tensor'}"]
    ours, theirs = np.asarray(ours), theirs.detach().numpy()
    if ours.dtype != theirs.dtype or ours.shape != theirs.shape:
        return [f"{what}: tinygrad_edu {ours.dtype} {ours.shape}, PyTorch {theirs.dtype} {theirs.shape}"]
    if ours.dtype.kind != "f":
        close = np.array_equal(ours, theirs)
    else:
        within = np.isclose(ours, theirs, equal_nan=True, **TOLERANCE[np.dtype(np.float32 if loose else np.float64)])
        if loose and reference is not None and tuple(reference.shape) == theirs.shape:
            with np.errstate(invalid="ignore"):  # ∞ − ∞ (an infinite gradient in both) is NaN: not within
                error = np.abs(theirs.astype(np.float64) - reference.numpy().astype(np.float64))
                within |= np.abs(ours.astype(np.float64) - theirs) <= 2 * error
        close = bool(within.all())
    if close:
        return []
    return [f"{what}: values differ\n    tinygrad_edu {ours.tolist()}\n    PyTorch      {theirs.tolist()}"]


def node_names(graph: Graph) -> list:
    """The names of the nodes the steps make (a refused step makes none)."""
    return [f"v{i}" for i, step in enumerate(graph.steps) if not step.refused]


def float64_reference(graph: Graph) -> dict:
    """PyTorch's values and gradients for ``graph`` with every float32 (and its default dtype)
    made float64, by the names ``differences`` reports ("v3", "v3.grad after the first backward"),
    each value as its step left it (a later step may change it in place).
    Empty if PyTorch cannot run it so."""
    float64 = [line.replace("torch.float32", "torch.float64") for line in graph.lines("torch")]
    names = node_names(graph)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with warnings.catch_warnings():  # .grad of an intermediate that retains none
            warnings.simplefilter("ignore")
            namespace, reference = dict(THEIRS), {}
            for number, (step, line) in enumerate(zip(graph.steps, float64, strict=True)):
                if not step.refused:
                    namespace = run([line], namespace, "PyTorch")
                    reference[f"v{number}"] = namespace[f"v{number}"].detach().clone()
            if graph.output is None:
                return reference
            for name in names:
                if namespace[name].requires_grad and not namespace[name].is_leaf:
                    namespace[name].retain_grad()
            for first, which in ((True, "first"), (False, "second")):
                backward = graph.backward_line("torch", first).replace("torch.float32", "torch.float64")
                run([backward], namespace, "PyTorch")
                for name in names:
                    tensor = namespace[name]
                    if tensor.grad is not None:
                        reference[f"{name}.grad after the {which} backward"] = tensor.grad.clone()
                        if tensor.is_leaf:
                            tensor.grad = tensor.grad.clone()  # see compare(): PyTorch's aliased leaf grads
            return reference
    except AssertionError:
        return {}
    finally:
        torch.set_default_dtype(previous)


def step_differences(name: str, step: Step, ours: dict, theirs: dict, loose: bool, reference) -> list:
    """How one step's node differs: its value, dtype, shape, requires_grad, and whether it is a view."""
    problems = differences(name, ours[name].data, theirs[name], loose, reference)
    if ours[name].requires_grad != theirs[name].requires_grad:
        problems.append(f"{name}.requires_grad: tinygrad_edu {ours[name].requires_grad}, "
                        f"PyTorch {theirs[name].requires_grad}")
    if step.kind in VIEWS and (ours[name]._base is None) != (theirs[name]._base is None):
        problems.append(f"{name}: a view of its input's numbers in "
                        f"{'PyTorch' if ours[name]._base is None else 'tinygrad_edu'} only")
    return problems


def refusal_differences(name: str, our_line: str, their_line: str, ours: dict, theirs: dict) -> list:
    """A step PyTorch refuses for its dtypes: tinygrad_edu must raise too."""
    their_error, our_error = attempt(their_line, theirs), attempt(our_line, ours)
    if their_error is None:
        return [f"{name}: PyTorch refused this step while the graph was drawn, and now computes it"]
    if our_error is None:
        return [f"{name}: PyTorch refuses ({their_error}), tinygrad_edu computes {ours[name].data!r}"]
    return []


def backward_differences(graph: Graph, first: bool, ours: dict, theirs: dict) -> list | None:
    """Run backward in both: None if both ran; else [] if both raised alike (a saved Value changed
    in place since), or the difference."""
    their_error = attempt(graph.backward_line("torch", first), theirs)
    our_error = attempt(graph.backward_line("tg", first), ours)
    if their_error is None and our_error is None:
        return None
    stale = "modified by an inplace operation"
    if their_error is not None and our_error is not None and (stale in str(their_error)) == (stale in str(our_error)):
        return []
    return [f"backward: tinygrad_edu {'ran' if our_error is None else repr(our_error)}, "
            f"PyTorch {'ran' if their_error is None else repr(their_error)}"]


def compare(graph: Graph) -> tuple:
    """The differences between the two runs of ``graph``, and tinygrad_edu's nodes by name.

    The differences are those of the first node whose value, dtype, shape, requires_grad or
    view-ness differs, or whose refusal does (what follows from it is not news), else every
    gradient that differs after one backward, else every leaf gradient that differs after a
    second. A backward that raises in both (a saved Value was changed in place) ends the run.
    """
    ours, theirs = dict(OURS), dict(THEIRS)
    names = node_names(graph)
    reference = float64_reference(graph) if any(graph.loose) else {}
    # Line by line, both at once: a step may change an earlier node (requires_grad_, assign, +=).
    for number, (step, our_line, their_line, loose) in enumerate(zip(
            graph.steps, graph.lines("tg"), graph.lines("torch"), graph.loose, strict=True)):
        name = f"v{number}"
        if step.refused:
            problems = refusal_differences(name, our_line, their_line, ours, theirs)
        else:
            theirs = run([their_line], theirs, "PyTorch")
            ours = run([our_line], ours, "tinygrad_edu")
            problems = step_differences(name, step, ours, theirs, loose, reference.get(name))
        if problems:
            return problems, ours
    if graph.output is None:
        return [], ours
    loose = any(graph.loose)
    intermediates = [theirs[name] for name in names if theirs[name].requires_grad and not theirs[name].is_leaf]
    for tensor in intermediates:
        tensor.retain_grad()
    for first in (True, False):
        raised = backward_differences(graph, first, ours, theirs)
        if raised is not None:
            return raised, ours
        which = "first" if first else "second"
        # After the second call only leaves are compared: a leaf accumulates (its gradient
        # doubles); an intermediate's is recomputed in tinygrad_edu (autograd.backward) but
        # accumulated by retain_grad in PyTorch.
        problems = [problem for name in names if first or theirs[name].is_leaf
                    for what in [f"{name}.grad after the {which} backward"]
                    for problem in differences(what, ours[name].grad, theirs[name].grad, loose, reference.get(what))]
        if problems:
            return problems, ours
        for name in names:
            # PyTorch 2.13 can give two leaves one gradient tensor: after ``(a.sum() + b.sum())
            # .backward()`` with 0-d a and b, a.grad and b.grad share memory, so the second backward
            # adds into it twice (3 instead of 2). Each leaf gets its own copy first.
            if theirs[name].is_leaf and theirs[name].grad is not None:
                theirs[name].grad = theirs[name].grad.clone()
    return [], ours


def check(graph: Graph) -> dict:
    """Fail with every difference and a reproducer; else return tinygrad_edu's nodes by name."""
    problems, ours = compare(graph)
    assert not problems, "\n".join(problems) + "\n\nReproducer:\n" + graph.reproducer()
    return ours


FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


@FUZZ
@given(graph=graphs())
def test_random_graphs_match_pytorch(graph):
    check(graph)


def execute(graph: Graph, library: str) -> dict:
    """The nodes of ``graph`` run in one library (a refused step raises, and makes no node)."""
    namespace = dict(OURS if library == "tg" else THEIRS)
    for step, line in zip(graph.steps, graph.lines(library), strict=True):
        if step.refused:
            attempt(line, namespace)
        else:
            namespace = run([line], namespace, library)
    return namespace


THREADS = 4


@settings(max_examples=max(10, EXAMPLES // 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(graph=graphs())
def test_random_graphs_backward_from_threads_match_pytorch(graph):
    """Four threads run backward on one graph at once: every leaf ends with four times its gradient,
    as after four backward calls in PyTorch (and a refusal, if PyTorch refuses, in every thread)."""
    if graph.output is None:
        reject()
    ours, theirs = execute(graph, "tg"), execute(graph, "torch")
    their_errors = []
    for _ in range(THREADS):
        their_errors.append(attempt(graph.backward_line("torch", True), theirs))
        for name in node_names(graph):  # PyTorch's aliased leaf gradients (see compare): each its own copy
            if theirs[name].is_leaf and theirs[name].grad is not None:
                theirs[name].grad = theirs[name].grad.clone()
    our_errors = []
    threads = [threading.Thread(target=lambda: our_errors.append(attempt(graph.backward_line("tg", True), ours)))
               for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [error is None for error in our_errors] == [error is None for error in their_errors], (
        f"backward: tinygrad_edu {our_errors}, PyTorch {their_errors}\n\nReproducer:\n{graph.reproducer()}")
    problems = [problem for name in node_names(graph) if theirs[name].is_leaf
                for problem in differences(f"{name}.grad after {THREADS} backwards", ours[name].grad,
                                           theirs[name].grad, any(graph.loose))]
    assert not problems, "\n".join(problems) + "\n\nReproducer:\n" + graph.reproducer()


# ---------------------------------------------------------------- every operation has a kind of step

def test_every_registered_op_has_a_step_kind():
    covered = {op for kind in KINDS.values() for op in kind.covers}
    missing = [op.__name__ for op in ops.OPS if op not in covered]
    assert not missing, f"add a kind of step to KINDS (and DRAW) in {__file__} for: {', '.join(missing)}"
    assert sorted(DRAW) == sorted(KINDS), "every kind of step needs a drawing function in DRAW"


@pytest.mark.parametrize("kind", sorted(kind for kind in KINDS if KINDS[kind].covers))
@settings(max_examples=max(10, EXAMPLES // 50), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
def test_each_kind_records_the_operations_it_covers(kind, data):
    graph = data.draw(graphs(last=kind, max_steps=3), label="graph")
    last = check(graph)[f"v{len(graph.steps) - 1}"]
    missing = [op.__name__ for op in KINDS[kind].covers if op not in recorded_ops(last)]
    assert not missing, (f"{kind}'s line records no {', '.join(missing)}: fix its covers in KINDS\n"
                         + graph.reproducer())


# ---------------------------------------------------------------- the comparison rejects a wrong engine

def exp_graph(dtype=np.float64) -> Graph:
    """v0 = a leaf, v1 = v0.exp(), backward from v1 with a seed: built by hand."""
    graph = Graph()
    graph.steps = [Step("leaf", (Array(np.array([0.5, -1.0], dtype=dtype)),), (("requires_grad", True),)),
                   Step("exp", (Ref(0),))]
    graph.loose = [dtype == np.float32] * 2
    graph.output, graph.seed = 1, Array(np.array([1.0, -2.0], dtype=dtype))
    return graph


@pytest.mark.parametrize("dtype", FLOATS)
def test_compare_accepts_a_correct_engine(dtype):
    assert compare(exp_graph(dtype))[0] == []


@pytest.mark.parametrize("dtype", FLOATS)
def test_compare_rejects_a_wrong_gradient_in_either_dtype(monkeypatch, dtype):
    monkeypatch.setattr(ops.Exp, "backward", lambda self, grad: (grad * self.out * (1 + 1e-4),))
    assert "v0.grad after the first backward: values differ" in "\n".join(compare(exp_graph(dtype))[0])


@pytest.mark.parametrize("wrong, found", [
    ("forward", "v1: values differ"),  # off by 1e-6 relative: more than float64's rtol 1e-7
    ("dtype", "v1: tinygrad_edu float32 (2,), PyTorch float64 (2,)"),
    ("backward", "v0.grad after the first backward: values differ"),
    ("accumulation", "v0.grad after the second backward: values differ"),
    ("requires_grad", "v1.requires_grad: tinygrad_edu False, PyTorch True"),
])
def test_compare_rejects_a_wrong_engine(monkeypatch, wrong, found):
    exp_forward, accumulate = ops.Exp.forward, tg.Value._accumulate_grad
    if wrong == "forward":
        monkeypatch.setattr(ops.Exp, "forward", lambda self, x: exp_forward(self, x) * (1 + 1e-6))
    elif wrong == "dtype":
        monkeypatch.setattr(ops.Exp, "forward", lambda self, x: exp_forward(self, x).astype(np.float32))
    elif wrong == "backward":
        monkeypatch.setattr(ops.Exp, "backward", lambda self, grad: (2 * grad * self.out,))
    elif wrong == "accumulation":  # a leaf's gradient replaced instead of summed
        monkeypatch.setattr(tg.Value, "_accumulate_grad", lambda self, grad: (setattr(self, "_grad", None),
                                                                                accumulate(self, grad)))
    else:  # exp computed outside the graph
        monkeypatch.setattr(tg.Value, "exp", lambda self: tg.Value(np.exp(self.data)))
    assert found in "\n".join(compare(exp_graph())[0])
