"""Feedback a second-year student acts on: each common mistake gets its message, tested here.

Each mistake is made in an otherwise solved workspace and graded; the message (and its details)
must say what to do, name the student's file, line and code when their code raised, label every
number, and never print what confuses (a gradient dL/dL = 0, momentum for plain gradient descent,
hypothesis's FlakyFailure, numpy's gufunc signature alone).
"""

import re
from pathlib import Path

import pytest
from exercise_cheats import P1, P2, P4, P5, Cheat

from tinygrad_edu.course import runner, workspace
from tinygrad_edu.course.grading import grade_workspace
from tinygrad_edu.course.strategies import graphs

TIMEOUT = 20


@pytest.fixture(scope="module")
def start_with():
    server = runner.launcher()
    yield server
    server.close()


def graded(tmp_path: Path, start_with, cheat: Cheat, *extra: Cheat):
    directory = tmp_path / "ws"
    workspace.start(directory, solutions=True)
    for change in (cheat, *extra):
        (directory / change.filename).write_text(change.source(), encoding="utf-8")
    [result] = grade_workspace(directory, [cheat.task], TIMEOUT, start_with=start_with)
    return result, result.message + "\n" + "\n".join(result.details)


MISTAKES = {  # the mistake → (the cheat, what the message or its details must say)
    "a backward returns an array, not a tuple": (
        Cheat("1.4", P1, "", "return grad * self.out"), ["not a tuple", "(grad_x,)", "mind the comma"]),
    "two gradients for one input": (
        Cheat("1.4", P1, "", "return grad * self.out, grad"), ["returned 2 gradients for 1 input"]),
    "Values compared with == in a list": (
        Cheat("2.1", P2, "", "order, visited = [], []\n\ndef visit(node):\n    if node in visited:\n        return\n"
                             "    visited.append(node)\n    if node._op is not None:\n"
                             "        for parent in node._op.parents:\n            if parent.requires_grad:\n"
                             "                visit(parent)\n    order.append(node)\n\nvisit(root)\nreturn order"),
        ["compare with `is`", "set", "in part2_engine.py, line", "if node in visited:"]),
    "a recursive topological order on the long chain": (
        Cheat("2.1", P2, "", "order, visited = [], set()\n\ndef visit(node):\n    if node in visited:\n        return\n"
                             "    visited.add(node)\n    if node._op is not None:\n"
                             "        for parent in node._op.parents:\n            if parent.requires_grad:\n"
                             "                visit(parent)\n    order.append(node)\n\nvisit(root)\nreturn order"),
        ["RecursionError", "about 1,000 nested calls", "5,000 Values", "stack", "a chain of 5,000 Values",
         "times: a recursion", "visit(parent)"]),
    "seeding the walk with 1.0": (
        Cheat("2.2", P2, "", "pending = {root: 1.0}\nfor node in reversed(topological_order(root)):\n"
                             "    g = pending.pop(node)\n    if node._op is None:\n        node._accumulate_grad(g)\n"
                             "        continue\n    node._grad = np.asarray(g)\n"
                             "    for parent, parent_grad in zip(node._op.parents, node._op.backward(g)):\n"
                             "        if parent_grad is None or not parent.requires_grad:\n            continue\n"
                             "        pending[parent] = pending[parent] + parent_grad if parent in pending "
                             "else parent_grad"),
        ["not from the number 1.0", "in part2_engine.py, line"]),
    "a transposed matrix product": (
        Cheat("1.9", P1, "", "a = self.a.reshape(1, -1) if self.a.ndim == 1 else self.a\n"
                             "grad = grad.reshape(1, -1) if grad.ndim == 1 else grad\n"
                             "return (grad @ self.b).reshape(self.a.shape), a.T @ grad"),
        ["matmul: the shapes do not fit (size", "which factor needs .T", "in part1_derivatives.py, line"]),
    "a broadcast input's gradient left in the output's shape": (
        Cheat("1.1", P1, "", "return grad * self.b, grad * self.a"),
        ["only the shape is checked until it is right", "unbroadcast(g, self.", "the counterexample's numbers do "
         "not matter"]),
    "a backward that calls its own operation's": (
        Cheat("1.7", P1, "", "return ops.Tanh.backward(self, grad)"),
        ["Tanh.backward calls itself", "numpy arrays", "the reference implementation is hidden"]),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_common_mistake_gets_a_sentence_of_what_to_do(tmp_path, start_with, mistake):
    change, phrases = MISTAKES[mistake]
    result, text = graded(tmp_path, start_with, change)
    assert result.status in ("error", "failed")
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    assert "gufunc" not in result.message and "zip()" not in text and "Flaky" not in text


def test_a_wrong_gradient_is_labelled_and_traced(tmp_path, start_with):
    result, text = graded(tmp_path, start_with, Cheat("1.6", P1, "", "return (grad * self.out,)"))
    assert re.search(r"^expected: dL/dx = ", text, re.M) and re.search(r"^got:      dL/dx = ", text, re.M)
    assert "first wrong step of the chain rule" in text and "gradient from above" in text
    assert "upstream dL/dL" not in text and "([" not in text


def test_the_seed_of_part_2_s_examples_is_never_0_and_is_worded_as_a_gradient():
    from hypothesis import given, settings

    @settings(max_examples=200, derandomize=True, database=None)
    @given(graphs())
    def seeds(graph):
        assert float(graph.seed) != 0
        assert "L.backward(0)" not in str(graph) and "dL/dL" not in str(graph)

    seeds()


def test_a_part_2_counterexample_says_what_the_walk_starts_from(tmp_path, start_with):
    result, text = graded(tmp_path, start_with, Cheat("2.2", P2, "", "return None"))
    assert result.status == "failed" and "(the gradient the walk starts from at L; 1 when L is the loss itself)" in text


def test_plain_gradient_descent_shows_no_momentum_and_the_steps_are_labelled(tmp_path, start_with):
    result, text = graded(tmp_path, start_with, Cheat("4.1", P4, "", "return x - 2 * lr * grad"))
    assert result.status == "failed" and "momentum" not in text
    assert re.search(r"^expected: x₁ = \[", text, re.M) and re.search(r"^got:      x₁ = \[", text, re.M)


def test_momentum_is_shown_where_the_rule_has_it(tmp_path, start_with):
    result, text = graded(tmp_path, start_with, Cheat("4.2", P4, "", "v = gamma * v + 2 * lr * grad\nreturn x - v, v"))
    assert result.status == "failed" and "momentum = " in text


def test_part_5_names_the_earlier_task_that_makes_it_fail(tmp_path, start_with):
    """Task 5.2 with tanh' = 1: training still classifies, but not as the reference trains."""
    result, text = graded(tmp_path, start_with, Cheat("5.2", P5, ""), Cheat("1.7", P1, "", "return (grad,)"))
    assert result.status == "failed"
    assert "Task 1.7 (Tanh.backward) makes it fail" in result.message


def test_part_5_grades_the_architecture_it_asks_for(tmp_path, start_with):
    swapped = ("x_train, y_train, x_test, y_test, _ = iris_split(seed=seed)\nmanual_seed(seed)\n"
               "model = nn.Sequential(nn.Tanh(), nn.Linear(4, hidden), nn.Linear(hidden, 3))\n"
               "loss_fn = nn.CrossEntropyLoss()\n"
               "optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)\n"
               "inputs, targets = Value(x_train, dtype=np.float32), Value(y_train)\nfor _ in range(epochs):\n"
               "    optimizer.zero_grad()\n    loss_fn(model(inputs), targets).backward()\n    optimizer.step()\n"
               "with no_grad():\n    return model(Value(x_test, dtype=np.float32)).data.argmax(axis=-1)")
    result, text = graded(tmp_path, start_with, Cheat("5.2", P5, "", swapped))
    assert result.status == "failed" and "differs from the reference's" in result.message
    assert "the mistake is in part5_training.py" in text


def test_part_5_says_which_parameters_do_not_fit(tmp_path, start_with):
    wide = ("x_train, y_train, x_test, y_test, _ = iris_split(seed=seed)\nmanual_seed(seed)\n"
            "model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))\n"
            "optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)\n"
            "inputs, targets = Value(x_train, dtype=np.float32), Value(y_train)\nfor _ in range(epochs):\n"
            "    optimizer.zero_grad()\n    nn.CrossEntropyLoss()(model(inputs), targets).backward()\n"
            "    optimizer.step()\nwith no_grad():\n    return model(Value(x_test, dtype=np.float32)).data.argmax(-1)")
    result, text = graded(tmp_path, start_with, Cheat("5.2", P5, "", wide))
    assert result.status == "failed" and "parameter shapes [(16, 4), (16,), (3, 16), (3,)]" in text


def test_an_answer_that_changes_between_calls_is_reported_as_a_wrong_answer_not_as_flaky(tmp_path, start_with):
    counter = ("global CALLS\nCALLS = globals().get('CALLS', 0) + 1\n"
               "return (grad * self.out * (1 - self.out) * (1 + 0.5 * (CALLS % 2)),)")
    result, text = graded(tmp_path, start_with, Cheat("1.6", P1, "", counter))
    assert result.status == "failed" and "Flaky" not in text and "counterexample: " in text
