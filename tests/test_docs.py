"""Every code block of README.md and docs/*.md runs, and prints what the page says it prints.

A page is read like a notebook: its ```python blocks run in order in one
namespace; the output of each is compared with the ```text block right after it
(a block with no ```text block after it must print nothing). A ```console block
holds commands (``$ tinygrad-edu …``) each followed by its output; they run as
``python -m tinygrad_edu …``. ```sh blocks (installation) are not run here;
``.ci/run`` runs the README's install and test commands.
"""

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# moving_to_pytorch.md quotes a one-line fragment and needs PyTorch; tests/test_moving_to_pytorch.py runs its example.
NOT_RUN_HERE = {"moving_to_pytorch.md"}
PAGES = [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in NOT_RUN_HERE)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
LANGUAGES = {"python", "text", "console", "sh"}


def blocks(page: Path) -> list:
    """(language, code, line number) of every fenced block, in order."""
    text = page.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def tidy(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def run_python(code: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs>", "exec"), namespace)
    return out.getvalue()


def console_commands(code: str) -> list:
    """[(argument list, expected output)] of a console block."""
    commands = []
    for line in code.splitlines():
        if line.startswith("$ "):
            commands.append((shlex.split(line[2:]), []))
        else:
            commands[-1][1].append(line)
    return [(arguments, "\n".join(output)) for arguments, output in commands]


def run_console(arguments: list, cwd: Path) -> str:
    program = {"tinygrad-edu": [], "python": ["-m", "tinygrad_edu"]}
    assert arguments[0] in program, f"a console block runs only tinygrad-edu commands, not {arguments[0]}"
    rest = arguments[3:] if arguments[0] == "python" else arguments[1:]
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", *rest], cwd=cwd, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_block_of_the_page_runs_and_prints_its_text_block(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    found = blocks(page)
    namespace: dict = {"__name__": "__docs__"}
    for index, (language, code, line) in enumerate(found):
        assert language in LANGUAGES, f"{page.name}:{line}: a ```{language} block; use one of {sorted(LANGUAGES)}"
        if language == "python":
            printed = tidy(run_python(code, namespace))
            following = found[index + 1] if index + 1 < len(found) else None
            shown = tidy(following[1]) if following and following[0] == "text" else ""
            assert printed == shown, f"{page.name}:{line}: the block prints something else than the page shows"
        elif language == "console":
            for arguments, shown in console_commands(code):
                assert tidy(run_console(arguments, tmp_path)) == tidy(shown), f"{page.name}:{line}: {arguments}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_text_block_follows_a_python_block(page):
    found = blocks(page)
    for index, (language, _, line) in enumerate(found):
        if language == "text":
            assert index > 0 and found[index - 1][0] == "python", f"{page.name}:{line}: output of what?"


def test_sh_blocks_are_only_the_readmes_install_commands():
    for page in PAGES:
        for language, code, line in blocks(page):
            if language == "sh":
                assert page.name == "README.md" and "pip install" in code, f"{page.name}:{line}"


def test_the_tutorial_how_it_works_and_slides_pages_have_code():
    for name in ("tutorial.md", "how_it_works.md", "slides.md"):
        assert any(language == "python" for language, _, _ in blocks(ROOT / "docs" / name)), name
