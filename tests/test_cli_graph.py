"""``python -m tinygrad_edu graph``: the slide network's picture, with and without graphviz's dot."""

import xml.etree.ElementTree as ET

from dot_parsing import parse_dot
from support import needs_dot, run_tinygrad_edu


@needs_dot
def test_graph_command_writes_svg_by_default_and_prints_its_path(tmp_path):
    result = run_tinygrad_edu("graph", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mlp.svg"
    titles = [t.text for t in ET.parse(tmp_path / "mlp.svg").iter("{http://www.w3.org/2000/svg}title")]
    assert set(parse_dot((tmp_path / "mlp.dot").read_text()).nodes) <= set(titles)


@needs_dot
def test_graph_command_writes_png_at_the_given_path(tmp_path):
    result = run_tinygrad_edu("graph", "--out", "pictures_mlp", "--format", "png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pictures_mlp.png"
    assert (tmp_path / "pictures_mlp.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_graph_command_without_dot_writes_the_dot_file_and_says_how_to_install(tmp_path):
    empty = tmp_path / "empty_path"
    empty.mkdir()
    result = run_tinygrad_edu("graph", "--format", "svg", cwd=tmp_path, path=str(empty))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mlp.dot"
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr
    assert not (tmp_path / "mlp.svg").exists()
    names = {n["label"].split("\\l")[0][2:] for n in parse_dot((tmp_path / "mlp.dot").read_text()).nodes.values()}
    assert {"0.weight", "0.bias", "1.weight", "1.bias"} <= names


def test_graph_command_rejects_an_unknown_format(tmp_path):
    result = run_tinygrad_edu("graph", "--format", "gif", cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr
