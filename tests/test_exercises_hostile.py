"""Hostile and cheating solutions: the grader rejects each one, and nothing of it leaves its child.

Every cheat of exercise_cheats.py (the reference called in one line, in-place changes, files that
loop, exit, crash, patch the grader, delete files, flood the output, forge replies) is graded and
must get its status and message; then what the issue asks around them: the other tasks are still
graded, the JSON is always written, the exit code is 0 only when every task passed, files outside
the workspace survive, Ctrl-C by the person running check stops the run with exit 130 and the
finished tasks written.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from exercise_cheats import CHEATS, P1, P4, Cheat
from support import ROOT, run_tinygrad_edu

from tinygrad_edu.course import runner, workspace
from tinygrad_edu.course.grading import grade_workspace

TIMEOUT = 8  # seconds per task for the files that loop


@pytest.fixture(scope="module")
def start_with():
    server = runner.launcher()
    yield server
    server.close()


@pytest.fixture
def solved(tmp_path) -> Path:
    directory = tmp_path / "ws"
    workspace.start(directory, solutions=True)
    return directory


def with_cheat(directory: Path, cheat: Cheat) -> Path:
    (directory / cheat.filename).write_text(cheat.source(), encoding="utf-8")
    return directory


@pytest.mark.parametrize("cheat", CHEATS, ids=[cheat.description for cheat in CHEATS])
def test_every_cheat_and_hostile_file_is_rejected_and_says_why(solved, cheat, start_with):
    [result] = grade_workspace(with_cheat(solved, cheat), [cheat.task], TIMEOUT, start_with=start_with)
    assert result.status == cheat.status, (result.message, result.details)
    assert cheat.message in result.message + "\n".join(result.details), (result.message, result.details)


def cheat(description: str) -> Cheat:
    [found] = [c for c in CHEATS if c.description == description]
    return found


def check(directory: Path, *arguments: str, cwd=None) -> tuple[subprocess.CompletedProcess, dict]:
    report = directory.parent / "report.json"
    result = run_tinygrad_edu("exercises", "check", str(directory), *arguments, "--json", str(report),
                              "--timeout", str(TIMEOUT), cwd=cwd)
    return result, json.loads(report.read_text())


@pytest.mark.parametrize("description", ["sys.exit(0) at import", "os._exit(0) at import",
                                         "raise SystemExit(0) at import"])
def test_an_exit_at_import_no_longer_makes_check_pass_a_wrong_part_4(solved, description):
    with_cheat(solved, cheat(description))
    gd = solved / P4
    gd.write_text(gd.read_text().replace("return x - lr * grad", "return x + lr * grad"))
    result, report = check(solved, "1.1", "4.1", "4.2")
    statuses = {task["task"]: task["status"] for task in report["tasks"]}
    assert result.returncode == 1 and statuses == {"1.1": "error", "4.1": "failed", "4.2": "passed"}
    assert "Traceback" not in result.stdout + result.stderr


def test_an_endless_loop_is_one_task_s_error_and_the_json_is_still_written(solved):
    with_cheat(solved, cheat("an endless loop at import"))
    began = time.monotonic()
    result, report = check(solved, "1.1", "1.2", "2.1")
    statuses = {task["task"]: task["status"] for task in report["tasks"]}
    assert statuses == {"1.1": "error", "1.2": "error", "2.1": "passed"} and result.returncode == 1
    # 1.2 imports the same file: it is not tried again for a second timeout
    assert time.monotonic() - began < 3 * TIMEOUT
    assert "could not be imported (Task 1.1)" in report["tasks"][1]["message"]
    assert len(result.stderr.splitlines()) == 0


def test_a_crash_is_one_task_s_error_and_the_next_task_runs_in_a_fresh_child(solved, start_with):
    with_cheat(solved, Cheat("1.1", P1, "segfault in Mul.backward", "import faulthandler\nfaulthandler._sigsegv()"))
    results = {r.task: r for r in grade_workspace(solved, ["1.1", "1.2", "1.3"], TIMEOUT, start_with=start_with)}
    assert results["1.1"].status == "error" and "SIGSEGV" in results["1.1"].message
    assert results["1.2"].status == results["1.3"].status == "passed"


def test_files_outside_the_workspace_survive_and_nothing_is_written_there(solved, tmp_path, start_with):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    attack = (f"import os, shutil, pathlib\nfor act in (lambda: os.remove({str(victim)!r}),\n"
              f"            lambda: pathlib.Path({str(victim)!r}).write_text('gone'),\n"
              f"            lambda: os.rename({str(victim)!r}, 'stolen.txt'),\n"
              f"            lambda: shutil.rmtree({str(tmp_path)!r}),\n"
              f"            lambda: os.symlink({str(victim)!r}, 'link'),\n"
              f"            lambda: os.truncate({str(victim)!r}, 0)):\n"
              "    try:\n        act()\n    except Exception as error:\n        print('refused:', error)\n"
              # the audit hook took its path functions before: patching them afterwards changes nothing
              "os.path.realpath = lambda path: os.getcwd()\nos.path.commonpath = lambda paths: paths[0]\n"
              f"for act in (lambda: os.remove({str(victim)!r}),\n"
              "            lambda: setattr(os.path.realpath, '__code__', (lambda: 0).__code__)):\n"
              "    try:\n        act()\n    except Exception as error:\n        print('refused:', error)")
    with_cheat(solved, Cheat("1.4", P1, "delete", prelude=attack))
    [result] = grade_workspace(solved, ["1.4"], TIMEOUT, start_with=start_with)
    assert result.status == "passed"  # the file is otherwise right: the attempts were refused
    assert victim.read_text() == "keep me"
    assert result.output.count("refused:") == 8
    assert sorted(p.name for p in solved.iterdir()) == sorted(f for f, _ in workspace.PARTS.values())


def test_the_grader_s_modules_are_not_even_imported_where_student_code_runs(solved, start_with):
    probe = ("import sys\nprint('loaded:', sorted(m for m in sys.modules if m.startswith(('hypothesis', "
             "'tinygrad_edu.course.grading', 'tinygrad_edu.course.toolkit', 'tinygrad_edu.course.checks'))))")
    with_cheat(solved, Cheat("1.4", P1, "probe", prelude=probe))
    [result] = grade_workspace(solved, ["1.4"], TIMEOUT, start_with=start_with)
    assert result.status == "passed" and "loaded: []" in result.output


def test_a_patch_made_in_one_task_s_child_does_not_reach_the_next(solved, start_with):
    # numpy and the engine patched on import: each task's child imports the file afresh and sees them unpatched
    patch = ("import tinygrad_edu\nprint('patched before:', hasattr(np, 'PATCHED') or hasattr(ops, 'PATCHED'))\n"
             "np.PATCHED = ops.PATCHED = True\nops.Tanh.forward = None")
    with_cheat(solved, Cheat("1.4", P1, "patch", prelude=patch))
    results = grade_workspace(solved, ["1.4", "1.5", "1.6"], TIMEOUT, start_with=start_with)
    assert [r.status for r in results] == ["passed"] * 3
    assert all("patched before: False" in r.output for r in results)


def test_printing_100000_lines_floods_nothing(solved):
    with_cheat(solved, Cheat("1.4", P1, "print", prelude="for i in range(100000):\n    print('flood', i)"))
    result, report = check(solved, "1.4")
    assert result.returncode == 0 and len(result.stdout.splitlines()) < 80
    [task] = report["tasks"]
    assert task["output"].startswith("flood 0\nflood 1\n") and "100,000 lines" in task["output"]
    assert len(task["output"]) < 5000


@pytest.mark.parametrize("kind", ["spawn", "fork"])
def test_both_ways_of_starting_children_contain_the_same_files(solved, kind):
    start_with = runner.launcher(kind)
    try:
        with_cheat(solved, cheat("patching the grader's close and grade, and a wrong sigmoid'"))
        results = {r.task: r.status for r in grade_workspace(solved, ["1.4", "1.6"], TIMEOUT,
                                                                start_with=start_with)}
        assert results == {"1.4": "passed", "1.6": "failed"}
        with_cheat(solved, cheat("os._exit(0) at import"))
        [result] = grade_workspace(solved, ["1.1"], TIMEOUT, start_with=start_with)
        assert result.status == "error" and "exit code 0" in result.message
    finally:
        start_with.close()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def test_ctrl_c_stops_the_run_with_130_and_writes_the_finished_tasks(solved, tmp_path):
    with_cheat(solved, cheat("an endless loop in backward"))  # Task 1.6 loops: the run is stopped there
    report = tmp_path / "report.json"
    process = subprocess.Popen([sys.executable, "-m", "tinygrad_edu", "exercises", "check", str(solved), "1.4", "1.6",
                                "1.7", "--json", str(report), "--timeout", "60"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    line = ""
    while "Task 1.4" not in line and time.monotonic() < deadline:
        line = process.stdout.readline()
    time.sleep(1)  # Task 1.6 is running (its endless loop)
    below = descendants(process.pid)
    assert len(below) >= 2  # the fork server and Task 1.6's child
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    data = json.loads(report.read_text())
    assert [t["task"] for t in data["tasks"]] == ["1.4"] and data["interrupted"] is True
    assert "Traceback" not in err
    time.sleep(1)
    assert alive(below) == set()


def test_no_child_thread_or_fork_server_outlives_the_check(solved):
    with_cheat(solved, Cheat("1.4", P1, "linger", prelude=(
        "import os, threading, time\nprint('pids', os.getpid(), os.getppid())\n"
        "threading.Thread(target=lambda: time.sleep(600)).start()")))
    result, report = check(solved, "1.4")
    assert result.returncode == 0
    pids = {int(pid) for pid in report["tasks"][0]["output"].split("pids ")[1].split()[:2]}
    time.sleep(1)
    assert alive(pids) == set()


def test_what_a_task_printed_before_it_timed_out_is_still_shown(solved, start_with):
    with_cheat(solved, Cheat("1.6", P1, "loop", "print('about to loop', flush=True)\nwhile True:\n    pass"))
    [result] = grade_workspace(solved, ["1.6"], 3, start_with=start_with)
    assert result.status == "error" and "did not finish within 3 s" in result.message
    assert result.output.startswith("about to loop")
