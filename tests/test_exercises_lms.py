"""What an autograder or a teacher reads: --json, Gradescope's results.json and autograder files,
GitHub Classroom's workflow, points files and the CSV gradebook of a class.

The files the docs tell a teacher to use are made by the commands the docs show, and are checked
here: the workflow is parsed as YAML and each of its commands run; Gradescope's run_autograder is
run on a folder laid out as Gradescope lays out /autograder.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_tinygrad_edu

import tinygrad_edu
from tinygrad_edu.course import workspace
from tinygrad_edu.course.classroom import DEFAULT_INSTALL
from tinygrad_edu.course.points import default_points
from tinygrad_edu.course.tasks import TASKS

yaml = pytest.importorskip("yaml", reason="the workflow is checked with PyYAML: pip install pyyaml (in .[test])")
GRADESCOPE_TEST = {"name", "number", "score", "max_score", "status", "output", "visibility"}


def solved(folder: Path) -> Path:
    workspace.start(folder, solutions=True)
    return folder


def break_sigmoid(folder: Path) -> None:
    part1 = folder / "part1_derivatives.py"
    part1.write_text(part1.read_text().replace("grad * self.out * (1 - self.out)", "grad * self.out"))


def test_check_json_keeps_its_keys_and_adds_points_score_time_output_and_version(tmp_path):
    folder = solved(tmp_path / "ws")
    gd = folder / "part4_optimizers.py"
    text = gd.read_text().replace("    return x - lr * grad\n", "    print('step', lr)\n    return x - lr * grad\n", 1)
    gd.write_text(text)
    break_sigmoid(folder)
    result = run_tinygrad_edu("exercises", "check", str(folder), "1.6", "4.1", "--json", str(tmp_path / "r.json"))
    assert result.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["version"] == tinygrad_edu.__version__ and report["exit_code"] == 1
    by_task = {task["task"]: task for task in report["tasks"]}
    assert by_task["1.6"]["status"] == "failed" and by_task["4.1"]["status"] == "passed"
    assert (by_task["1.6"]["points"], by_task["1.6"]["max_points"]) == (0, 3)
    assert (by_task["4.1"]["points"], by_task["4.1"]["max_points"]) == (2, 2)
    assert (report["score"], report["max_score"]) == (2, 5)
    assert by_task["4.1"]["output"].startswith("step ") and by_task["4.1"]["seconds"] > 0
    assert "score 2/5" in result.stdout and "your code printed:" in result.stdout


def test_a_points_file_overrides_the_defaults(tmp_path):
    folder = solved(tmp_path / "ws")
    (tmp_path / "points.toml").write_text('[points]\n"4.1" = 7.5\n')
    result = run_tinygrad_edu("exercises", "check", str(folder), "4.1", "4.2", "--points",
                              str(tmp_path / "points.toml"), "--json", str(tmp_path / "r.json"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert result.returncode == 0 and (report["score"], report["max_score"]) == (10.5, 10.5)


def test_gradescope_results_json_has_gradescope_s_fields(tmp_path):
    folder = solved(tmp_path / "ws")
    break_sigmoid(folder)
    assert run_tinygrad_edu("exercises", "reset", str(folder), "4.2").returncode == 0
    result = run_tinygrad_edu("exercises", "check", str(folder), "1.6", "1.7", "4.2", "--gradescope",
                              str(tmp_path / "results.json"))
    assert result.returncode == 1
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 3 and all(set(test) == GRADESCOPE_TEST for test in results["tests"])
    tests = {test["number"]: test for test in results["tests"]}
    assert tests["1.6"]["name"] == "Task 1.6 · Sigmoid.backward"
    assert [(tests[n]["status"], tests[n]["score"], tests[n]["max_score"]) for n in ("1.6", "1.7", "4.2")] == [
        ("failed", 0, 3), ("passed", 3, 3), ("failed", 0, 3)]
    assert "counterexample:" in tests["1.6"]["output"] and tests["4.2"]["output"].startswith("not started")
    assert {test["visibility"] for test in results["tests"]} == {"visible"}


# ---------------------------------------------------------------- GitHub Classroom

def test_the_classroom_workflow_has_one_command_grader_per_task_then_the_reporter(tmp_path):
    (tmp_path / "points.toml").write_text('[points]\n"1.1" = 4\n')
    result = run_tinygrad_edu("exercises", "classroom", str(tmp_path / "repo"), "--points",
                              str(tmp_path / "points.toml"), "--timeout", "30")
    assert result.returncode == 0, result.stderr
    flow = yaml.safe_load((tmp_path / "repo" / ".github" / "workflows" / "classroom.yml").read_text())
    steps = flow["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if s.get("uses") == "classroom-resources/autograding-command-grader@v1"]
    assert [s["with"]["test-name"] for s in graders] == [f"Task {t.id} · {t.title}" for t in TASKS]
    assert [s["with"]["command"] for s in graders] == [f"tinygrad-edu exercises check . {t.id} --timeout 30"
                                                       for t in TASKS]
    assert [s["with"]["max-score"] for s in graders] == [4] + [t.points for t in TASKS[1:]]
    assert all(int(s["with"]["timeout"]) >= 1 for s in graders)
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    ids = [s["id"] for s in graders]
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}
    install = [s for s in steps if s.get("name") == "Install tinygrad_edu"][0]["run"]
    assert DEFAULT_INSTALL in install


def test_a_classroom_step_s_command_passes_only_a_solved_task(tmp_path):
    flow = yaml.safe_load(subprocess.run(
        [sys.executable, "-c", "from tinygrad_edu.course.classroom import workflow; "
                               "from tinygrad_edu.course.points import default_points; "
                               "print(workflow(default_points(), 60), end='')"],
        capture_output=True, text=True, check=True).stdout)
    step = [s for s in flow["jobs"]["run-autograding-tests"]["steps"] if s.get("id") == "task-4-1"][0]
    arguments = step["with"]["command"].split()[1:]
    for folder, code in ((solved(tmp_path / "solved"), 0), (tmp_path / "fresh", 1)):
        if code:
            workspace.start(folder)
        result = subprocess.run([sys.executable, "-m", "tinygrad_edu", *arguments], cwd=folder, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == code, result.stdout + result.stderr


def test_classroom_refuses_points_that_are_not_whole(tmp_path):
    (tmp_path / "points.toml").write_text('[points]\n"1.1" = 2.5\n')
    result = run_tinygrad_edu("exercises", "classroom", str(tmp_path), "--points", str(tmp_path / "points.toml"))
    assert result.returncode == 2 and "whole points" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / ".github").exists()


# ---------------------------------------------------------------- Gradescope's autograder

# Gradescope runs its two scripts with bash, found here as a shell would, or where it usually lives.
BASH = shutil.which("bash") or shutil.which("bash", path=os.pathsep.join(["/bin", "/usr/bin", "/usr/local/bin"]))
needs_bash = pytest.mark.skipif(BASH is None, reason="Gradescope's scripts run with bash: install bash")


def autograder(tmp_path: Path, points: bool) -> Path:
    """A folder laid out as Gradescope's /autograder, with this tinygrad_edu as its virtualenv's."""
    root = tmp_path / "autograder"
    arguments = ["--points", str(tmp_path / "points.toml")] if points else []
    if points:
        (tmp_path / "points.toml").write_text('[points]\n"5.2" = 20\n')
    result = run_tinygrad_edu("exercises", "gradescope", str(root / "source"), *arguments, "--timeout", "60")
    assert result.returncode == 0, result.stderr
    (root / "results").mkdir()
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "python").symlink_to(sys.executable)
    launcher = root / "venv" / "bin" / "tinygrad-edu"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -m tinygrad_edu \"$@\"\n")
    launcher.chmod(0o755)
    return root


def run_autograder(root: Path) -> dict:
    # Gradescope's image has bash and the usual tools (find, dirname, tail) on its PATH; a test run's
    # PATH may hold only python3 (as CI's first stage does), so the system's folders are added.
    path = os.pathsep.join([os.environ.get("PATH", ""), os.defpath])
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": path}
    result = subprocess.run([BASH, str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads((root / "results" / "results.json").read_text())


@needs_bash
def test_gradescope_s_files_install_and_grade_a_submission_in_a_folder(tmp_path):
    root = autograder(tmp_path, points=True)
    setup = (root / "source" / "setup.sh").read_text()
    assert subprocess.run([BASH, "-n", str(root / "source" / "setup.sh")]).returncode == 0
    assert DEFAULT_INSTALL in setup and os.access(root / "source" / "run_autograder", os.X_OK)
    student = root / "submission" / "my-workspace"  # a student who zipped the folder, and did two tasks
    workspace.start(student)
    done = workspace.render(workspace.template_text("part4_optimizers.py"), solutions=True)
    (student / "part4_optimizers.py").write_text(done)
    results = run_autograder(root)
    assert results["score"] == 15 and len(results["tests"]) == len(TASKS)
    statuses = {t["number"]: t["status"] for t in results["tests"]}
    assert [number for number, status in statuses.items() if status == "passed"] == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    assert {t["number"]: t["max_score"] for t in results["tests"]}["5.2"] == 20


@needs_bash
def test_gradescope_s_run_autograder_says_why_when_there_is_nothing_to_grade(tmp_path):
    root = autograder(tmp_path, points=False)
    (root / "submission").mkdir()
    (root / "submission" / "notes.txt").write_text("no code")
    results = run_autograder(root)
    assert results["score"] == 0 and "not a" in results["output"]


# ---------------------------------------------------------------- a class

def test_grade_writes_one_gradebook_row_per_student(tmp_path):
    submissions = tmp_path / "submissions"
    solved(submissions / "alice")
    workspace.start(submissions / "bob")
    (submissions / "carol").mkdir()
    (submissions / "carol" / "essay.txt").write_text("not code")
    break_sigmoid(solved(submissions / "dave"))
    result = run_tinygrad_edu("exercises", "grade", str(submissions), "--csv", str(tmp_path / "grades.csv"),
                              "--jobs", "2", "--timeout", "60")
    assert result.returncode == 0, result.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert sorted(rows) == ["alice", "bob", "carol", "dave"]
    total = sum(default_points().values())
    assert (rows["alice"]["score"], rows["alice"]["max_score"], rows["alice"]["problems"]) == (f"{total:g}",
                                                                                               f"{total:g}", "")
    assert rows["bob"]["score"] == "0" and "1.1 not started" in rows["bob"]["problems"]
    assert "not a workspace" in rows["carol"]["problems"]
    lost = default_points()["1.6"] + default_points()["5.1"]
    assert (rows["dave"]["score"], rows["dave"]["1.6"], rows["dave"]["problems"]) == (f"{total - lost:g}", "0",
                                                                                      "1.6 failed; 5.1 failed")
    assert rows["dave"]["1.7"] == "3"


def solution_lines() -> set[str]:
    """Every line of every task's solution that is long enough to be recognised."""
    lines = set()
    for filename, _ in workspace.PARTS.values():
        inside = False
        for line in workspace.template_text(filename).splitlines():
            inside = (inside or line.strip() == workspace.BEGIN) and line.strip() != workspace.END
            if inside and len(line.strip()) > 12 and line.strip() != workspace.BEGIN:
                lines.add(line.strip())
    return lines


def test_the_grader_neither_reads_nor_prints_the_solutions(tmp_path, monkeypatch):
    """Grading needs no solution text, and no report shows a line of it (item 5 of issue 21)."""
    from tinygrad_edu.course import grading, reports
    from tinygrad_edu.course.points import default_points

    folder = tmp_path / "ws"
    workspace.start(folder)
    for filename in ("part1_derivatives.py", "part4_optimizers.py"):  # wrong answers where stubs were
        text = (folder / filename).read_text()
        (folder / filename).write_text(text.replace('raise NotImplementedError("Task 1.6: Sigmoid.backward")',
                                                    "return (grad * 2,)")
                                       .replace('raise NotImplementedError("Task 4.1: gd_step")', "return x + grad"))
    monkeypatch.setattr(workspace, "template_text", lambda *a: pytest.fail("the grader read a template"))
    results = grading.grade_workspace(folder, ["1.6", "2.1", "4.1", "5.1"])
    assert [r.status for r in results] == ["failed", "not started", "failed", "not started"]
    monkeypatch.undo()
    points = default_points()
    shown = "\n".join([reports.dumps(reports.json_report(results, points, 1)),
                       reports.dumps(reports.gradescope_report(results, points)),
                       *reports.progress_table(results, points)])
    assert [line for line in solution_lines() if line in shown] == []
