"""Cheats and hostile files: changes to a solved workspace that the graders must never let pass.

Each ``Cheat`` edits one file of a solved workspace (text replacements, and
lines added after the file's imports) and names the task to grade and the
status and message it must get. The cheap ways past a grader (calling the
reference: ``super().backward``, ``ops.Mul.backward``, the engine's walk, the
optimizers, the lecture's training), in-place changes the contracts forbid,
and files that loop, exit, crash, print without end, delete files, patch the
grader or forge its messages. tests/test_exercises_hostile.py grades every one
of them; tests/exercise_mutants.py counts them in the mutation run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tinygrad_edu.course import workspace

P1, P2, P3, P4, P5 = ("part1_derivatives.py", "part2_engine.py", "part3_losses.py", "part4_optimizers.py",
                      "part5_training.py")
HIDDEN = "the reference implementation"  # the message when a hidden reference is called
WRONG_SIGMOID = "return (grad * self.out,)"  # a wrong answer for Task 1.6, to pair with a hostile file


@dataclass(frozen=True)
class Cheat:
    """Task ``task``'s solution replaced by ``solution`` (lines, indented as the block), and
    ``prelude`` added after the file's imports (it runs on import); the status and message it must get."""

    task: str
    filename: str
    description: str
    solution: str = ""
    prelude: str = ""
    status: str = "error"
    message: str = ""  # in the message or its details

    def source(self) -> str:
        """The solved file with the cheat in it."""
        text = workspace.template_text(self.filename)
        if self.solution:
            block = re.compile(rf"(# === Task {re.escape(self.task)} · .*?\n( *)# BEGIN SOLUTION\n).*?"
                               rf"(\n *# END SOLUTION)", re.S)
            match = block.search(text)
            assert match, f"{self.description}: no solution block for Task {self.task}"
            indent = match.group(2)
            body = "\n".join(indent + line for line in self.solution.splitlines())
            text = text[:match.start()] + match.group(1) + body + match.group(3) + text[match.end():]
        text = workspace.render(text, solutions=True)
        if self.prelude:
            head, marker, rest = text.partition("\n\n\n")  # the docstring and imports end here
            text = head + "\n" + self.prelude.strip("\n") + "\n" + marker + rest
        return text


OPERATIONS = {"1.1": "Mul", "1.2": "Div", "1.3": "Pow", "1.4": "Exp", "1.5": "Log", "1.6": "Sigmoid", "1.7": "Tanh",
              "1.8": "Relu", "1.9": "MatMul", "1.10": "Sum", "1.11": "Mean"}

CHEATS: list[Cheat] = [
    # ---------------------------------------------------------------- the reference, in one line
    *(Cheat(task, P1, f"{name}.backward returns super().backward(grad)", "return super().backward(grad)",
            message=HIDDEN) for task, name in OPERATIONS.items()),
    Cheat("1.1", P1, "Mul.backward calls ops.Mul.backward", "return ops.Mul.backward(self, grad)", message=HIDDEN),
    Cheat("1.7", P1, "Tanh.backward finds the reference in ops.OPS",
          "return [c for c in ops.OPS if c.__name__ == 'Tanh'][0].backward(self, grad)", message=HIDDEN),
    Cheat("1.6", P1, "a reference saved at import time", "return SAVED(self, grad)",
          prelude="SAVED = ops.Sigmoid.backward", message=HIDDEN),
    Cheat("1.11", P1, "Mean.backward borrows Sum's reference backward",
          "return ops.Sum.backward(self, grad / self.count)", message=HIDDEN),
    Cheat("1.2", P1, "Div.backward borrows Mul's reference backward",
          "return ops.Mul.backward(type('M', (), {'a': self.out * self.b, 'b': 1 / self.b})(), grad)[0], None",
          message=HIDDEN),
    Cheat("1.12", P1, "unbroadcast calls ops.unbroadcast", "return ops.unbroadcast(grad, shape)", message=HIDDEN),
    Cheat("1.4", P1, "Exp.backward recovers the reference from the garbage collector",
          "found = [f for f in __import__('gc').get_objects() if getattr(f, '__qualname__', '') == 'Exp.backward'\n"
          "         and getattr(f, '__module__', '') == 'tinygrad_edu.ops']\nreturn found[0](self, grad)",
          message="gc.get_objects is not allowed"),
    Cheat("1.5", P1, "Log.backward reloads ops.py for a fresh reference",
          "return __import__('importlib').reload(ops).Log.backward(self, grad)", message="is not allowed"),
    Cheat("1.7", P1, "Tanh.backward executes the solutions in the templates",
          "from tinygrad_edu.course import workspace as w\nn = {}\n"
          "exec(w.render(w.template_text('part1_derivatives.py'), True), n)\nreturn n['Tanh'].backward(self, grad)",
          message="is not allowed"),
    Cheat("2.1", P2, "topological_order calls the engine's",
          "from tinygrad_edu import autograd\nreturn autograd.topological_order(root)", message=HIDDEN),
    Cheat("2.2", P2, "backward calls the engine's chain_rule",
          "from tinygrad_edu import autograd\nautograd.chain_rule(root, grad)", message=HIDDEN),
    Cheat("2.2", P2, "backward calls the engine's textbook walk, backpropagate",
          "from tinygrad_edu import autograd\nautograd.backpropagate(root, grad)", message=HIDDEN),
    Cheat("2.2", P2, "backward takes the gradients from autograd.grad",
          "from tinygrad_edu import autograd\nnodes = [n for n in topological_order(root) if n is not root]\n"
          "for node, g in zip(nodes, autograd.grad(root, nodes, grad)):\n    node._accumulate_grad(g.data)",
          message=HIDDEN),
    Cheat("2.2", P2, "backward walks with viz.trace",
          "from tinygrad_edu.viz import trace\ntrace.trace_backward(root, grad)", message=HIDDEN),
    Cheat("3.2", P3, "log_softmax calls Value.log_softmax", "return x.log_softmax(axis)", message=HIDDEN),
    Cheat("3.3", P3, "cross_entropy calls nn.CrossEntropyLoss",
          "from tinygrad_edu import Value, nn\nreturn nn.CrossEntropyLoss()(logits, Value(target))", message=HIDDEN),
    Cheat("3.3", P3, "cross_entropy calls functional.nll_loss",
          "from tinygrad_edu.nn import functional\nreturn functional.nll_loss(log_softmax(logits, -1), target)",
          message=HIDDEN),
    Cheat("4.1", P4, "gd_step runs optim.GD",
          "from tinygrad_edu import Value, optim\nv = Value(x.copy(), requires_grad=True)\nv.grad = grad\n"
          "optim.GD([v], lr).step()\nreturn v.data", message=HIDDEN),
    Cheat("4.4", P4, "sgd_momentum_step runs optim.SGD",
          "from tinygrad_edu import Value, optim\nv = Value(p.copy(), requires_grad=True)\nv.grad = grad\n"
          "optim.SGD([v], lr, momentum).step()\nreturn v.data, grad", message=HIDDEN),
    Cheat("5.2", P5, "train_iris returns the lecture's",
          "from tinygrad_edu.lecture import iris\nreturn iris.train_iris(seed=seed).test_predictions", message=HIDDEN),
    Cheat("5.1", P5, "slide_sgd_step calls the lecture's sgd_step",
          "from types import SimpleNamespace\nfrom tinygrad_edu.lecture import mlp\n"
          "loss = nn.BCELoss()(model(x), y)\nmlp.sgd_step(SimpleNamespace(loss=loss, model=model), lr)\n"
          "return loss", message=HIDDEN),
    # ---------------------------------------------------------------- in-place changes the contracts forbid
    Cheat("1.7", P1, "Tanh.backward changes grad in place", "grad *= 1 - self.out ** 2\nreturn (grad,)",
          message="read-only"),
    Cheat("1.5", P1, "Log.backward changes the saved input in place", "self.x **= -1\nreturn (grad * self.x,)",
          message="read-only"),
    Cheat("4.1", P4, "gd_step changes x in place", "x -= lr * grad\nreturn x",
          message="changed one of its arguments in place"),
    Cheat("4.2", P4, "momentum_step changes v in place", "v *= gamma\nv += lr * grad\nreturn x - v, v",
          message="changed one of its arguments in place"),
    Cheat("4.4", P4, "sgd_momentum_step changes the buffer in place",
          "if buffer is None:\n    buffer = grad.copy()\nelse:\n    buffer *= momentum\n    buffer += grad\n"
          "return p - lr * buffer, buffer", message="changed one of its arguments in place"),
    # ---------------------------------------------------------------- hostile files
    Cheat("1.1", P1, "an endless loop at import", prelude="while True:\n    pass", message="did not finish within"),
    Cheat("1.6", P1, "an endless loop in backward", "while True:\n    pass", message="did not finish within"),
    Cheat("1.1", P1, "sys.exit(0) at import", prelude="import sys\nsys.exit(0)", message="SystemExit(0)"),
    Cheat("1.1", P1, "raise SystemExit(0) at import", prelude="raise SystemExit(0)", message="SystemExit(0)"),
    Cheat("1.1", P1, "os._exit(0) at import", prelude="import os\nos._exit(0)", message="exit code 0"),
    Cheat("4.1", P4, "KeyboardInterrupt in gd_step", "raise KeyboardInterrupt", message="KeyboardInterrupt"),
    Cheat("1.1", P1, "a segmentation fault at import", prelude="import faulthandler\nfaulthandler._sigsegv()",
          message="SIGSEGV"),
    Cheat("1.1", P1, "ctypes.string_at(0) at import", prelude="import ctypes\nctypes.string_at(0)", message="ctypes"),
    Cheat("1.6", P1, "patching the grader's close and grade, and a wrong sigmoid'", WRONG_SIGMOID, prelude=(
        "for name in ('grading', 'toolkit'):\n    try:\n"
        "        m = __import__('tinygrad_edu.course.' + name, fromlist=['x'])\n"
        "        m.close = m.grade = m.grade_task = m.expect_close = lambda *a, **k: True\n"
        "    except Exception:\n        pass"), status="failed"),
    Cheat("1.6", P1, "patching numpy and builtins, and a wrong sigmoid'", WRONG_SIGMOID, prelude=(
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\nimport builtins\n"
        "builtins.all = lambda *a: True"), status="failed"),
    Cheat("1.6", P1, "deleting and writing files outside the workspace, and a wrong sigmoid'", WRONG_SIGMOID,
          # paths that do not exist: were a protection to fail, nothing real would be lost
          prelude=("import os, shutil, subprocess\nfor act in (lambda: os.remove('/tmp/tinygrad_edu_none/a'),\n"
                   "            lambda: shutil.rmtree('/tmp/tinygrad_edu_none'),\n"
                   "            lambda: open('/tmp/tinygrad_edu_none.txt', 'w'),\n"
                   "            lambda: subprocess.run(['rm', '-rf', '/tmp/tinygrad_edu_none'])):\n"
                   "    try:\n        act()\n    except Exception:\n        pass"), status="failed"),
    Cheat("1.6", P1, "printing 100,000 lines, and a wrong sigmoid'", WRONG_SIGMOID,
          prelude="for i in range(100000):\n    print('flood', i)", status="failed"),
    Cheat("1.6", P1, "killing the grader's processes, and a wrong sigmoid'", WRONG_SIGMOID, prelude=(
        "import os, signal\nfor pid in (os.getppid(), 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
        "    except Exception:\n        pass"), status="failed"),
    Cheat("1.6", P1, "forged replies on every pipe, and a wrong sigmoid'", WRONG_SIGMOID, prelude=(
        "import os\nfor fd in range(3, 40):\n    try:\n        os.write(fd, (10**9).to_bytes(8, 'big') + b'{}')\n"
        "    except OSError:\n        pass"), message="could not be read"),
    Cheat("1.6", P1, "a thread that keeps printing and atexit, and a wrong sigmoid'", WRONG_SIGMOID, prelude=(
        "import atexit, threading, time\natexit.register(lambda: print('PASSED ' * 1000))\n"
        "threading.Thread(target=lambda: [print('noise') or time.sleep(0.001) for _ in iter(int, 1)], "
        "daemon=True).start()"), status="failed"),
    Cheat("1.6", P1, "reading the grader's memory, and a wrong sigmoid'", WRONG_SIGMOID, prelude=(
        "import os\nfor path in (f'/proc/{os.getppid()}/mem', f'/proc/{os.getppid()}/environ', '/proc/1/mem'):\n"
        "    try:\n        open(path, 'rb').read(10)\n    except Exception:\n        pass"), status="failed"),
]

__all__ = ["CHEATS", "Cheat"]

