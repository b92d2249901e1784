"""Course mode: the workspace (start, --force, reset), the graders on right and wrong code, the CLI.

Hostile and cheating solutions are in test_exercises_hostile.py, the feedback messages in
test_exercises_feedback.py, the autograder outputs in test_exercises_lms.py, the bad input in
test_exercises_bad_input.py, the child processes in test_exercises_runner.py."""

import hashlib
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, run_tinygrad_edu

import tinygrad_edu
from tinygrad_edu import ops
from tinygrad_edu.course import runner, swap, workspace
from tinygrad_edu.course.grading import grade_workspace
from tinygrad_edu.course.tasks import PARTS, TASKS

FILES = [filename for filename, _ in PARTS.values()]


@pytest.fixture(scope="module")
def start_with():
    """One fork server for the module's gradings (each task still gets a fresh child)."""
    server = runner.launcher()
    yield server
    server.close()


@pytest.fixture
def solved(tmp_path) -> Path:
    directory = tmp_path / "solved"
    workspace.start(directory, solutions=True)
    return directory


def grade(directory: Path, tasks: list[str], start_with, timeout: float = 60) -> dict:
    return {r.task: r for r in grade_workspace(directory, tasks, timeout, start_with=start_with)}


def break_solution(directory: Path, filename: str, old: str, new: str) -> None:
    path = directory / filename
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {filename}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def results_of(report: dict) -> dict:
    return {task["task"]: task for task in report["tasks"]}


# ---------------------------------------------------------------- templates

def test_every_task_has_one_header_one_stub_and_a_solution():
    for filename, _ in PARTS.values():
        template = workspace.template_text(filename)
        stub = workspace.render(template, solutions=False)
        solution = workspace.render(template, solutions=True)
        for task in (task for task in TASKS if task.filename == filename):
            assert template.count(f"# === Task {task.id} · ") == 1
            assert stub.count(f'raise NotImplementedError("Task {task.id}: {task.title}")') >= 1
            assert f'NotImplementedError("Task {task.id}:' not in solution
        assert workspace.BEGIN not in stub + solution and workspace.END not in stub + solution
        compile(stub, filename, "exec")
        compile(solution, filename, "exec")


def test_a_stub_keeps_the_docstring_and_not_the_answer():
    stub = workspace.render(workspace.template_text("part1_derivatives.py"), solutions=False)
    assert "σ(x)" in stub and "self.out * (1 - self.out)" not in stub


# ---------------------------------------------------------------- start, --force, reset

def test_start_refuses_a_non_empty_folder_and_changes_nothing(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_tinygrad_edu("exercises", "start", str(tmp_path))
    assert result.returncode == 2 and "--force" in result.stderr and len(result.stderr.splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_start_force_moves_the_old_files_to_a_dated_backup_beside_the_folder(tmp_path):
    directory = tmp_path / "ws"
    workspace.start(directory)
    (directory / FILES[0]).write_text("# my work\n")
    (directory / "sub").mkdir()
    (directory / "sub" / "notes.txt").write_text("notes")
    result = run_tinygrad_edu("exercises", "start", str(directory), "--force")
    assert result.returncode == 0, result.stderr
    [backup] = [p for p in tmp_path.iterdir() if p.name.startswith("ws-backup-")]
    assert (backup / FILES[0]).read_text() == "# my work\n"
    assert (backup / "sub" / "notes.txt").read_text() == "notes"
    assert sorted(p.name for p in directory.iterdir()) == sorted(FILES)
    assert "raise NotImplementedError" in (directory / FILES[0]).read_text()


def test_reset_restores_one_stub_and_keeps_the_students_version(solved, tmp_path, start_with):
    path = solved / "part1_derivatives.py"
    mine = path.read_text().replace("return (grad / self.x,)", "return (grad / self.x,)  # my Log")
    path.write_text(mine)
    result = run_tinygrad_edu("exercises", "reset", str(solved), "1.6")
    assert result.returncode == 0, result.stderr
    [backup] = [p for p in tmp_path.iterdir() if p.name.startswith("solved-backup-")]
    assert (backup / path.name).read_text() == mine
    now = path.read_text()
    assert 'raise NotImplementedError("Task 1.6: Sigmoid.backward")' in now
    assert "# my Log" in now  # the other tasks are untouched
    assert now.count("raise NotImplementedError") == 1
    statuses = {task: r.status for task, r in grade(solved, ["1.5", "1.6", "1.7"], start_with).items()}
    assert statuses == {"1.5": "passed", "1.6": "not started", "1.7": "passed"}


def test_reset_without_the_header_refuses_and_changes_nothing(solved):
    path = solved / "part4_optimizers.py"
    text = path.read_text().replace("# === Task 4.2 · momentum_step ===\n", "")
    path.write_text(text)
    result = run_tinygrad_edu("exercises", "reset", str(solved), "4.2")
    assert result.returncode == 2 and "4.2" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text() == text


@pytest.mark.parametrize("arguments, message", [
    (("check", "{dir}", "9.9"), "unknown task '9.9'"),
    (("reset", "{dir}", "0"), "unknown task '0'"),
])
def test_an_unknown_task_is_a_usage_error(solved, arguments, message):
    result = run_tinygrad_edu("exercises", *(a.format(dir=solved) for a in arguments))
    assert result.returncode == 2 and message in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("folder", ["nowhere", "empty"])
def test_check_of_a_folder_that_is_not_a_workspace_is_one_line_and_exit_2(tmp_path, folder):
    (tmp_path / "empty").mkdir()
    result = run_tinygrad_edu("exercises", "check", str(tmp_path / folder))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "exercises start" in result.stderr


def test_a_missing_part_file_is_an_error_for_its_tasks_that_says_how_to_write_it(solved, start_with):
    (solved / "part4_optimizers.py").unlink()
    results = grade(solved, ["3.2", "4.1"], start_with)
    assert results["3.2"].status == "passed"
    assert results["4.1"].status == "error"
    assert results["4.1"].message == ("part4_optimizers.py is missing from the workspace (started before Part 4 "
                                      f"existed?); write it with: tinygrad-edu exercises reset {solved} 4.1")


def test_reset_writes_a_part_a_workspace_started_before_it_lacks(solved, start_with):
    (solved / "part6_curvature.py").unlink()  # as in a workspace started before Part 6 existed
    result = run_tinygrad_edu("exercises", "reset", str(solved), "6.3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote {solved / 'part6_curvature.py'}: Part 6's tasks, each a stub"
    assert (solved / "part6_curvature.py").read_text() == workspace.written_files()["part6_curvature.py"]
    assert not any(p.name.startswith("solved-backup-") for p in solved.parent.iterdir())  # nothing to keep
    statuses = {task: r.status for task, r in grade(solved, ["5.1", "6.1", "6.3"], start_with).items()}
    assert statuses == {"5.1": "passed", "6.1": "not started", "6.3": "not started"}


def test_a_workspace_written_before_the_rename_still_grades_and_resets(solved, start_with):
    (solved / "part4_optimizers.py").rename(solved / "part4_optimisers.py")
    assert grade(solved, ["4.1", "5.2"], start_with)["4.1"].status == "passed"
    assert all(r.status == "passed" for r in grade(solved, ["4.1", "5.2"], start_with).values())
    assert run_tinygrad_edu("exercises", "reset", str(solved), "4.1").returncode == 0
    assert 'raise NotImplementedError("Task 4.1' in (solved / "part4_optimisers.py").read_text()
    assert not (solved / "part4_optimizers.py").exists()


def test_check_without_hypothesis_says_how_to_install_it(solved):
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "from tinygrad_edu.cli import main\n"
            f"sys.exit(main(['exercises', 'check', {str(solved)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == ['tinygrad-edu exercises: exercises check needs hypothesis: '
                                          'pip install "tinygrad_edu[course]" (or pip install hypothesis)']


# ---------------------------------------------------------------- grading right code

def test_the_solved_workspace_passes_every_task_and_the_fresh_one_is_not_started(tmp_path):
    solved, fresh = tmp_path / "solved", tmp_path / "fresh"
    for directory, solutions in ((solved, True), (fresh, False)):
        assert run_tinygrad_edu("exercises", "start", str(directory), *(["--solutions"] * solutions)).returncode == 0
    package = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(tinygrad_edu.__file__).parent.rglob("*.py")}
    (tmp_path / "cwd").mkdir()
    result = run_tinygrad_edu("exercises", "check", str(solved), "--json", str(tmp_path / "solved.json"),
                              cwd=tmp_path / "cwd")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list((tmp_path / "cwd").iterdir()) == []  # no .hypothesis folder where the check ran
    report = json.loads((tmp_path / "solved.json").read_text())
    assert [t["status"] for t in report["tasks"]] == ["passed"] * len(TASKS) and report["exit_code"] == 0
    assert f"{len(TASKS)} passed, 0 failed, 0 error, 0 not started (of {len(TASKS)})" in result.stdout
    assert sorted(p.name for p in solved.iterdir()) == sorted(FILES)  # nothing written into the workspace
    assert package == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in package}  # nor into the package

    result = run_tinygrad_edu("exercises", "check", str(fresh), "--json", str(tmp_path / "fresh.json"))
    assert result.returncode == 1
    assert {t["status"] for t in json.loads((tmp_path / "fresh.json").read_text())["tasks"]} == {"not started"}
    assert "Traceback" not in result.stdout + result.stderr


def test_grading_changes_nothing_in_the_graders_own_engine(solved, start_with):
    """The student's code is swapped in only in the children: the grader's engine is never touched."""
    from tinygrad_edu import autograd, optim
    from tinygrad_edu.nn import functional

    names = [(ops, "Mul"), (ops, "unbroadcast"), (ops.Mul, "backward"), (autograd, "backward"),
             (autograd, "chain_rule"), (autograd, "topological_order"), (optim, "SGD"), (optim, "Nesterov"),
             (optim.GD, "_update"), (functional, "cross_entropy"), (tinygrad_edu.Value, "log_softmax")]
    before = [getattr(owner, name) for owner, name in names]
    grade(solved, ["1.1", "1.12", "2.2", "3.3", "4.3", "5.1"], start_with)
    assert before == [getattr(owner, name) for owner, name in names]


def test_swapped_restores_the_original_when_the_block_raises():
    original = ops.Mul
    with pytest.raises(ZeroDivisionError), swap.swapped(ops, "Mul", object):
        assert ops.Mul is object
        1 / 0  # noqa: B018
    assert ops.Mul is original


# ---------------------------------------------------------------- grading wrong code

BROKEN = {  # what the issue asks for: each one fails, with its task named and a counterexample
    "sigmoid' = s": ("1.6", "part1_derivatives.py", "return (grad * self.out * (1 - self.out),)",
                     "return (grad * self.out,)"),
    "Nesterov's gradient at x": ("4.3", "part4_optimizers.py", "gradient_at(x + gamma * v)", "gradient_at(x)"),
    "topological order lists a reused node twice": (
        "2.1", "part2_engine.py", "            if node not in done:\n                done.add(node)\n"
                                  "                order.append(node)", "            order.append(node)"),
    "BCE without the clamp": ("3.1", "part3_losses.py",
                              "np.maximum(log_x, -100) + (1 - y) * np.maximum(log_1mx, -100)",
                              "log_x + (1 - y) * log_1mx"),
    "unbroadcast sums the wrong axis": ("1.12", "part1_derivatives.py", "axis=tuple(range(added))",
                                        "axis=tuple(range(grad.ndim - added, grad.ndim))"),
}


@pytest.mark.parametrize("mistake", BROKEN)
def test_a_broken_solution_fails_its_task_with_a_counterexample(solved, mistake, start_with):
    task, filename, old, new = BROKEN[mistake]
    break_solution(solved, filename, old, new)
    result = grade(solved, [task], start_with)[task]
    assert result.details[0].startswith("counterexample: "), result
    if mistake == "unbroadcast sums the wrong axis":  # numpy raises on its result: an error, not a wrong number
        assert result.status == "error" and "cannot reshape" in result.message
        assert "in part1_derivatives.py, line " in "\n".join(result.details)
    else:
        assert result.status == "failed" and any(line.startswith("expected: ") for line in result.details)


def test_a_wrong_backward_is_traced_to_its_step(solved):
    break_solution(solved, "part1_derivatives.py", *BROKEN["sigmoid' = s"][2:])
    result = run_tinygrad_edu("exercises", "check", str(solved), "1.6", "1.7")
    assert result.returncode == 1
    out = result.stdout
    assert "Task 1.6 Sigmoid.backward: failed — dL/dx disagrees with central finite differences" in out
    assert "first wrong step of the chain rule" in out and "sigmoid: dL/dx = dL/dv1 · ∂v1/∂x" in out
    assert "local derivative" in out and "gradient from above" in out
    assert "Task 1.7 Tanh.backward: passed" in out


def test_a_syntax_error_is_an_error_for_the_file_s_tasks_only(solved, start_with):
    (solved / "part2_engine.py").write_text("def topological_order(root:\n")
    results = grade(solved, ["2.1", "2.2", "3.2"], start_with)
    assert results["2.1"].status == results["2.2"].status == "error"
    assert results["2.1"].message.startswith("part2_engine.py: SyntaxError: ")
    assert results["2.1"].details == ["in part2_engine.py, line 1:", "    def topological_order(root:"]
    assert results["3.2"].status == "passed"


def test_a_students_exception_is_an_error_with_its_message_file_line_and_code(solved, start_with):
    break_solution(solved, "part4_optimizers.py", "    return x - lr * grad\n", "    return x - lr * grad / 0 + {}\n")
    result = grade(solved, ["4.1"], start_with)["4.1"]
    assert result.status == "error" and result.message.startswith("TypeError: ")
    assert result.details[1:] == ["in part4_optimizers.py, line 21, in gd_step:", "    return x - lr * grad / 0 + {}"]


def test_part_5_waits_for_the_parts_it_uses(solved, start_with):
    result = run_tinygrad_edu("exercises", "reset", str(solved), "1.9")
    assert result.returncode == 0
    result = grade(solved, ["5.2"], start_with)["5.2"]
    assert result.status == "not started" and result.message == "waits for Task 1.9 (MatMul.backward), still a stub"


def test_the_templates_are_exactly_the_part_files_and_setup_cfg_ships_them():
    templates = ROOT / "tinygrad_edu" / "course" / "templates"
    assert sorted(p.name for p in templates.glob("*.txt")) == sorted(f"{name}.txt" for name in FILES)
    assert "tinygrad_edu.course.templates = *.py.txt" in (ROOT / "setup.cfg").read_text()


def test_docs_list_every_task_and_every_public_name_of_the_course_modules():
    exercises = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
    for task in TASKS:
        assert f"| {task.id} | `{task.title}` | {task.teaches} | {task.points} |" in exercises
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in ("tasks", "workspace", "swap", "grading", "runner", "wire", "confine", "hidden", "points", "reports",
                 "classroom", "batch", "cli"):
        module = importlib.import_module(f"tinygrad_edu.course.{name}")
        assert [n for n in module.__all__ if f"| `tinygrad_edu.course.{name}.{n}` |" not in api] == []


def test_part_5_names_a_part_file_that_does_not_import(solved, start_with):
    (solved / "part3_losses.py").write_text("import numpy as np\nclass BinaryCrossEntropy(:\n")
    result = grade(solved, ["5.1"], start_with)["5.1"]
    assert result.status == "error"
    assert result.message.startswith("uses part3_losses.py, which does not import: part3_losses.py: SyntaxError: ")


def test_the_command_line_imports_hypothesis_only_to_check():
    code = "import sys, tinygrad_edu.cli; print('hypothesis' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_a_students_own_not_implemented_error_is_an_error_not_a_stub(solved, start_with):
    break_solution(solved, "part4_optimizers.py", "    return x - lr * grad\n",
                   '    raise NotImplementedError("arrays of more than one dimension")\n')
    result = grade(solved, ["4.1"], start_with)["4.1"]
    assert (result.status, result.message) == ("error", "NotImplementedError: arrays of more than one dimension")
