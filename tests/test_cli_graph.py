"""``python -m tinygrad_edu graph``: the slide network's picture, with no system Graphviz at all,
with graphviz's dot for PNG, and with no renderer (the DOT text and a hint)."""

import sys

import pytest
from dot_parsing import parse_dot, record_fields
from support import needs_dot, path_without_graphviz, run_tinygrad_edu, svg_node_titles

from tinygrad_edu import cli
from tinygrad_edu.lecture.mlp import slide_network
from tinygrad_edu.viz.graph import PROJECTOR, draw_graph
from tinygrad_edu.viz.render import NO_SVG_RENDERER, PNG_NEEDS_DOT


def slide_graph_nodes() -> set:
    """The nodes the graph command draws by default: the projector's graph and its legend."""
    network = slide_network()
    network.loss.backward()
    dot = parse_dot(draw_graph(network.loss, **PROJECTOR).source)
    return set(dot.nodes) | set(dot.legend)


def files(folder) -> list:
    return sorted(path.name for path in folder.iterdir() if path.name != "no_graphviz_on_path")


def test_graph_command_writes_svg_by_default_without_dot(tmp_path):
    result = run_tinygrad_edu("graph", cwd=tmp_path, path=path_without_graphviz(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mlp.svg" and result.stderr == ""
    assert set(svg_node_titles((tmp_path / "mlp.svg").read_bytes())) == slide_graph_nodes()
    assert files(tmp_path) == ["mlp.svg"]


@pytest.mark.parametrize("out, written", [("mlp.svg", "mlp.svg"), ("pictures_mlp", "pictures_mlp.svg"),
                                          ("v1.0", "v1.0.svg"), ("MLP.SVG", "MLP.SVG")])
def test_graph_command_writes_the_path_given_adding_svg_only_when_missing(tmp_path, out, written):
    result = run_tinygrad_edu("graph", "--out", out, cwd=tmp_path, path=path_without_graphviz(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == written
    assert files(tmp_path) == [written]


@needs_dot
def test_graph_command_writes_png_at_the_given_path(tmp_path):
    result = run_tinygrad_edu("graph", "--out", "pictures_mlp", "--format", "png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pictures_mlp.png"
    assert (tmp_path / "pictures_mlp.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert run_tinygrad_edu("graph", "--out", "x.png", cwd=tmp_path).stdout.strip() == "x.png"  # format from suffix


def test_png_without_dot_exits_2_with_one_line_and_writes_nothing_then_svg_still_works(tmp_path, monkeypatch,
                                                                                         capsys):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "--format", "png"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"tinygrad-edu graph: error: {PNG_NEEDS_DOT}\n"
    assert files(tmp_path) == []
    assert cli.main(["graph"]) == 0  # the same process: a failed PNG does not spoil the next SVG
    assert set(svg_node_titles((tmp_path / "mlp.svg").read_bytes())) == slide_graph_nodes()


def test_without_any_renderer_the_graph_command_writes_the_dot_text_and_a_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    monkeypatch.setitem(sys.modules, "wasmtime", None)  # as on a platform wasmtime has no wheel for
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "--out", "mlp.svg"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "mlp.dot"
    assert captured.err == f"Wrote only the DOT text. {NO_SVG_RENDERER}\n"
    assert files(tmp_path) == ["mlp.dot"]
    dot = parse_dot((tmp_path / "mlp.dot").read_text())
    names = {record_fields(node["label"])[0].split("\n")[0] for node in dot.nodes.values()}
    assert {"0.weight", "0.bias", "1.weight", "1.bias"} <= names


@needs_dot
def test_without_wasmtime_a_system_dot_draws_the_svg(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "wasmtime", None)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph"]) == 0
    assert capsys.readouterr().out.strip() == "mlp.svg"
    assert set(svg_node_titles((tmp_path / "mlp.svg").read_bytes())) == slide_graph_nodes()


@pytest.mark.parametrize("arguments, message", [
    (["--out", ""], "--out must name a file, got ''"),
    (["--out", "a_file/x"], "cannot write --out 'a_file/x': Not a directory"),
    (["--out", "no/such/folder/mlp"], "cannot write --out 'no/such/folder/mlp': No such file or directory"),
    (["--out", "mlp.svg", "--format", "png"], "--out 'mlp.svg' ends in .svg but --format is png"),
])
def test_an_out_that_cannot_be_written_exits_2_with_one_line_and_writes_nothing(tmp_path, arguments, message):
    (tmp_path / "a_file").write_text("keep me")
    (tmp_path / "a_folder.svg").mkdir()
    result = run_tinygrad_edu("graph", *arguments, cwd=tmp_path, path=path_without_graphviz(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"tinygrad-edu graph: error: {message}\n" and result.stdout == ""
    assert files(tmp_path) == ["a_file", "a_folder.svg"]
    assert (tmp_path / "a_file").read_text() == "keep me" and list((tmp_path / "a_folder.svg").iterdir()) == []


def test_graph_command_rejects_an_unknown_format(tmp_path):
    result = run_tinygrad_edu("graph", "--format", "gif", cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr
