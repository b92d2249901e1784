"""Ctrl-C while the command line is still loading its modules (numpy, the package, the lecture) ends it as
Ctrl-C while it runs does: exit code 130 and one line on stderr, never a traceback of imports; both for
``python -m tinygrad_edu`` and for the ``tinygrad-edu`` script that setup.cfg's entry point makes. In a
program of someone else's that imports tinygrad_edu, the KeyboardInterrupt stays theirs."""

from __future__ import annotations

import configparser
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import ROOT

ONE_LINE = "tinygrad-edu: interrupted\n"  # what a Ctrl-C before any command has been read says
LONG_RUN = ("train-iris", "--epochs", "1000000")  # still running whenever the Ctrl-C comes


def entry_point() -> tuple[str, str]:
    """setup.cfg's ``tinygrad-edu = MODULE:FUNCTION``."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    scripts = config["options.entry_points"]["console_scripts"]
    module, function = re.search(r"^tinygrad-edu\s*=\s*(\S+)$", scripts, re.MULTILINE).group(1).split(":")
    return module, function


@pytest.fixture
def script(tmp_path) -> Path:
    """The ``tinygrad-edu`` script as pip writes it from the entry point: import, then call."""
    module, function = entry_point()
    path = tmp_path / "bin" / "tinygrad-edu"
    path.parent.mkdir()
    path.write_text(f"import sys\nfrom {module} import {function}\nif __name__ == '__main__':\n"
                    f"    sys.exit({function}())\n", encoding="utf-8")
    return path


def command(form: str, script: Path) -> list[str]:
    return [sys.executable, "-m", "tinygrad_edu"] if form == "-m" else [sys.executable, str(script)]


def interrupted_by_import_of(module: str, tmp_path: Path) -> dict:
    """An environment where importing ``module`` is where a Ctrl-C (a real SIGINT) comes."""
    folder = tmp_path / "interrupting"
    folder.mkdir(exist_ok=True)
    (folder / f"{module}.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n",
                                         encoding="utf-8")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


WHERE = {  # a module first imported … → when
    "numpy": "while the package loads, before __main__.py runs",
    "argparse": "while cli.py loads, after the package",
}


@pytest.mark.parametrize("form", ["-m", "script"])
@pytest.mark.parametrize("module", WHERE, ids=WHERE.values())
def test_ctrl_c_while_the_command_line_loads_exits_130_with_one_line(form, module, script, tmp_path):
    result = subprocess.run([*command(form, script), "--version"], env=interrupted_by_import_of(module, tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr, result.stdout) == (130, ONE_LINE, "")


def test_in_someone_elses_program_a_ctrl_c_during_import_stays_theirs(tmp_path):
    env = interrupted_by_import_of("numpy", tmp_path)
    code = "try:\n    import tinygrad_edu\nexcept KeyboardInterrupt:\n    print('caught by the program')\n"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "caught by the program\n", "")
    other = tmp_path / "interrupting" / "theirs"  # python -m theirs, whose import imports tinygrad_edu
    other.mkdir()
    (other / "__init__.py").write_text("import tinygrad_edu\n", encoding="utf-8")
    (other / "__main__.py").write_text("", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "theirs"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == -signal.SIGINT and result.stderr.endswith("KeyboardInterrupt\n")  # Python's own way


def imported(line: str) -> str | None:
    """The module a line of ``python -X importtime`` names as its import ends; None for any other line."""
    match = re.fullmatch(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", line.rstrip("\n"))
    return match and match.group(1)


class Started:
    """The command line with ``-X importtime``, its stderr read as it comes: each import, as it ends (failed
    or not), names its module there. ``loaded`` holds the modules named so far."""

    def __init__(self, form: str, script: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-X", "importtime", *command(form, script)[1:], *LONG_RUN],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.loaded: set[str] = set()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            if module := imported(line):
                self.loaded.add(module)

    def interrupt(self) -> tuple[int, list[str]]:
        """Send SIGINT; the exit code, and stderr's lines that are not importtime's (its header neither)."""
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=60)  # a Ctrl-C that was lost would leave the training running
        finally:
            self.process.kill()
        self.reader.join()
        return code, [line for line in self.lines if not line.startswith("import time:")]


STAGES = {  # Ctrl-C as soon as this module has loaded → when it lands
    "numpy": "the package is loading its own modules",
    "tinygrad_edu": "the package has loaded: runpy, __main__.py, cli.py",
    "tinygrad_edu.lecture.tour": "cli.py is loading",
    "tinygrad_edu.cli": "the command is starting or running",
}
SAID = re.compile(r"tinygrad-edu( train-iris)?: interrupted\n")  # before the command is read, and after


@pytest.mark.parametrize("form", ["-m", "script"])
@pytest.mark.parametrize("module", STAGES, ids=STAGES.values())
def test_a_real_sigint_at_each_stage_of_loading_exits_130_with_one_line(form, module, script):
    run = Started(form, script)
    deadline = time.monotonic() + 60
    while module not in run.loaded:
        assert run.process.poll() is None and time.monotonic() < deadline, run.lines[-5:]
        time.sleep(0.001)
    code, said = run.interrupt()
    assert code == 130 and len(said) == 1 and SAID.fullmatch(said[0]), said


@pytest.mark.parametrize("form", ["-m", "script"])
def test_a_real_sigint_after_any_delay_exits_130_with_one_line(form, script):
    """A signal sent before any module of the package has loaded can land in Python's own start (which,
    inside site, says 'Fatal Python error' and exits 1), before Python listens for it at all, or while the
    package's first module, interrupts.py, is still loading: that delay proves nothing. Once one has loaded
    (interrupts.py, first), every delay is checked; a second is that late on any machine."""
    checked = []
    for delay in (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 1.0):
        run = Started(form, script)
        time.sleep(delay)
        loaded = set(run.loaded)  # imports that ended before the signal was sent, so not because of it
        code, said = run.interrupt()
        if not any(module.startswith("tinygrad_edu.") for module in loaded):
            continue
        checked.append(delay)
        assert code == 130 and len(said) == 1 and SAID.fullmatch(said[0]), (delay, said)
    assert 1.0 in checked
