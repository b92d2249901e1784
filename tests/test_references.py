"""Every Markdown file the sources, tests and docs send the reader to exists in the repository."""

import re

from support import ROOT

MARKDOWN_NAME = re.compile(r"[\w./-]+\.md\b")
SEARCHED = ("*.py", "*.md", "*.toml", "*.cfg", "*.js", "*.css", "*.html")


def referring_files():
    for pattern in SEARCHED:
        for path in ROOT.rglob(pattern):
            if not {".git", ".venv", "build", "node_modules"} & set(path.relative_to(ROOT).parts):
                yield path


def test_every_markdown_file_named_exists():
    existing = {path.relative_to(ROOT).as_posix() for path in ROOT.rglob("*.md")}
    names = {path.name for path in ROOT.rglob("*.md")}
    missing = []
    for path in referring_files():
        for name in MARKDOWN_NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            name = name.lstrip("./")
            if name not in existing and name not in names:
                missing.append(f"{path.relative_to(ROOT)} names {name}")
    assert missing == []


def test_the_check_finds_a_missing_file():
    missing = "NOTES" + ".md"  # spelled in two pieces so that this file does not name it
    assert MARKDOWN_NAME.findall(f"see {missing}, part 1") == [missing]
