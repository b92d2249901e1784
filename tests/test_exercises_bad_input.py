"""Bad input to the exercises commands: exit 2, one line on stderr, no traceback, nothing written.

A missing or unreadable workspace, an unknown task, a negative or non-numeric timeout, a points
file that does not parse or names unknown tasks, an output path that cannot be written: each is
refused before any grading starts, and leaves no file behind (the reports are written whole or not
at all).
"""

import os
from pathlib import Path

import pytest
from support import run_tinygrad_edu

from tinygrad_edu.cli import main
from tinygrad_edu.course import workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad") / "ws"
    workspace.start(folder, solutions=True)
    return folder


def refused(result, *phrases: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert phrases[0] in result.stderr.splitlines()[-1], result.stderr
    for phrase in phrases[1:]:
        assert phrase in result.stderr


class Ran:
    """What ``main`` did, in the shape of a CompletedProcess (in-process: a fresh interpreter per case is slow)."""

    def __init__(self, capsys, *arguments: str):
        try:
            self.returncode = main(list(arguments))
        except SystemExit as exit:  # argparse's usage errors
            self.returncode = exit.code
        captured = capsys.readouterr()
        self.stdout, self.stderr = captured.out, captured.err


def test_a_missing_workspace_is_refused(tmp_path):
    refused(run_tinygrad_edu("exercises", "check", str(tmp_path / "nowhere")), "is not a folder")


def test_a_folder_without_exercise_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    refused(run_tinygrad_edu("exercises", "check", str(tmp_path)), "is not a workspace")


def test_an_unreadable_workspace_file_is_refused(ws, monkeypatch, capsys):
    original = Path.read_bytes

    def unreadable(self):
        if self.name == "part2_engine.py":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    assert main(["exercises", "check", str(ws), "2.1"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"tinygrad-edu exercises: cannot read {ws / 'part2_engine.py'}: Permission denied"]


def test_an_unknown_task_is_refused(ws):
    refused(run_tinygrad_edu("exercises", "check", str(ws), "6.1"), "unknown task '6.1'")


@pytest.mark.parametrize("value", ["-1", "0", "abc", "inf", "nan", "1e9"])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_refused(ws, value, capsys):
    result = Ran(capsys, "exercises", "check", str(ws), "1.1", "--timeout", value)
    refused(result, "--timeout")
    assert "seconds" in result.stderr


@pytest.mark.parametrize("text, phrase", [
    ("[points\n", "is not TOML"),
    ('[points]\n"9.9" = 1\n', "unknown task '9.9'"),
    ('[points]\n"1.1" = -1\n', "expected a number ≥ 0"),
    ('[points]\n"1.1" = "three"\n', "expected a number ≥ 0"),
    ('[points]\n"1.1" = true\n', "expected a number ≥ 0"),
    ('"1.1" = 2\n', "must hold one table, [points]"),
])
@pytest.mark.parametrize("command", ["check", "classroom", "gradescope"])
def test_a_bad_points_file_is_refused_and_nothing_is_written(ws, tmp_path, text, phrase, command, capsys):
    (tmp_path / "points.toml").write_text(text)
    target = ws if command == "check" else tmp_path / "out"
    extra = ["--json", str(tmp_path / "r.json")] if command == "check" else []
    refused(Ran(capsys, "exercises", command, str(target), "--points", str(tmp_path / "points.toml"), *extra), phrase)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points.toml"]


def test_a_missing_points_file_is_refused(ws, tmp_path, capsys):
    refused(Ran(capsys, "exercises", "check", str(ws), "--points", str(tmp_path / "none.toml")),
            "cannot read the points file")


@pytest.mark.parametrize("option", ["--json", "--gradescope"])
@pytest.mark.parametrize("where", ["in a missing folder", "a folder"])
def test_an_output_that_cannot_be_written_is_refused_before_grading(ws, tmp_path, option, where, capsys):
    target = tmp_path / "missing" / "r.json" if where == "in a missing folder" else tmp_path
    refused(Ran(capsys, "exercises", "check", str(ws), "1.1", option, str(target)), "cannot write")
    assert list(tmp_path.iterdir()) == []


def test_grade_refuses_a_missing_submissions_folder_an_unwritable_csv_and_bad_jobs(tmp_path, capsys):
    refused(Ran(capsys, "exercises", "grade", str(tmp_path / "none"), "--csv", str(tmp_path / "g.csv")),
            "is not a folder")
    refused(Ran(capsys, "exercises", "grade", str(tmp_path), "--csv", str(tmp_path / "none" / "g.csv")),
            "cannot write")
    refused(Ran(capsys, "exercises", "grade", str(tmp_path), "--csv", str(tmp_path / "g.csv"), "--jobs", "0"),
            "--jobs")
    assert list(tmp_path.iterdir()) == []


def test_classroom_and_gradescope_refuse_a_file_where_their_folder_should_be(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    refused(Ran(capsys, "exercises", "classroom", str(tmp_path / "file")), "is a file")
    refused(Ran(capsys, "exercises", "gradescope", str(tmp_path / "file")), "cannot write into")


def test_a_report_that_fails_to_write_leaves_no_half_file(tmp_path, monkeypatch):
    """write_text writes a temporary file and renames it: a failure leaves neither."""
    target = tmp_path / "report.json"
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        workspace.write_text(target, "{}\n")
    assert list(tmp_path.iterdir()) == []
