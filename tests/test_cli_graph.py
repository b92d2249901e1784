"""``python -m tinygrad_edu graph``: the slide network's picture, with and without graphviz's dot."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from dot_parsing import parse_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="graphviz's dot is not installed (apt-get install graphviz)")


def run_graph_command(tmp_path, *arguments, path=None):
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", "graph", *arguments], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


@needs_dot
def test_graph_command_writes_svg_by_default_and_prints_its_path(tmp_path):
    result = run_graph_command(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mlp.svg"
    titles = [t.text for t in ET.parse(tmp_path / "mlp.svg").iter("{http://www.w3.org/2000/svg}title")]
    assert set(parse_dot((tmp_path / "mlp.dot").read_text()).nodes) <= set(titles)


@needs_dot
def test_graph_command_writes_png_at_the_given_path(tmp_path):
    result = run_graph_command(tmp_path, "--out", "pictures_mlp", "--format", "png")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pictures_mlp.png"
    assert (tmp_path / "pictures_mlp.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_graph_command_without_dot_writes_the_dot_file_and_says_how_to_install(tmp_path):
    empty = tmp_path / "empty_path"
    empty.mkdir()
    result = run_graph_command(tmp_path, "--format", "svg", path=str(empty))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mlp.dot"
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr
    assert not (tmp_path / "mlp.svg").exists()
    names = {n["label"].split("\\l")[0][2:] for n in parse_dot((tmp_path / "mlp.dot").read_text()).nodes.values()}
    assert {"0.weight", "0.bias", "1.weight", "1.bias"} <= names


def test_graph_command_rejects_an_unknown_format(tmp_path):
    result = run_graph_command(tmp_path, "--format", "gif")
    assert result.returncode == 2 and "invalid choice" in result.stderr
