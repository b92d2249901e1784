"""The backward page, read with html.parser: the trace's steps in order, its numbers, nothing fetched."""

import re
import sys

import numpy as np
import pytest
from page_parsing import parse_page
from support import path_without_graphviz, run_tinygrad_edu

import tinygrad_edu as tg
from tinygrad_edu import cli
from tinygrad_edu.autograd import node_ids
from tinygrad_edu.lecture.page_examples import iris_step_loss, slide_loss
from tinygrad_edu.viz.graph import operation_id
from tinygrad_edu.viz.page import MAX_NODES, backward_walk, node_grads
from tinygrad_edu.viz.render import NO_SVG_RENDERER, GraphvizNotFound


@pytest.fixture(scope="module")
def slide_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", path_without_graphviz(folder))  # the page needs no system Graphviz
        loss = slide_loss()
        path = tg.write_backward_page(loss, folder / "backward.html")
    return loss, parse_page(path.read_text(encoding="utf-8"))


def test_embedded_svg_has_a_node_for_every_value_and_every_operation(slide_page):
    loss, page = slide_page
    ids = node_ids(loss)
    expected = set(ids.values()) | {operation_id(ids[v]) for v in ids if v._op is not None}
    assert set(page.nodes) == expected


def test_page_holds_one_step_per_trace_step_in_order(slide_page):
    loss, page = slide_page
    steps = tg.trace_backward(loss)
    walk = page.walks()["backward"]
    assert len(walk) == len(steps) == 11  # one step per input of every operation that needs its gradient
    assert [(s["node"], s["output"], s["op"]) for s in walk] == [(s.node_id, s.output_id, s.op) for s in steps]


def test_page_steps_carry_the_traces_numbers(slide_page):
    loss, page = slide_page
    for shown, step in zip(page.walks()["backward"], tg.trace_backward(loss), strict=True):
        for key in ("upstream", "local_derivative", "product"):
            np.testing.assert_array_equal(np.array(shown[key]), getattr(step, key), err_msg=key)


def test_panel_shows_the_chain_rule_with_the_slides_numbers(slide_page):
    _, page = slide_page
    sigmoid = next(step for step in page.walks()["backward"] if step["op"] == "sigmoid")
    assert sigmoid["lines"] == ["sigmoid: from ŷ back to z", "upstream   dL/dŷ = [2.1972]",
                                "local      ∂ŷ/∂z = ŷ·(1 − ŷ) = [0.5449] · (1 − [0.5449]) = [0.2480]",
                                "product    dL/dz = dL/dŷ · ∂ŷ/∂z = [2.1972] · [0.2480] = [0.5449]"]
    weight = next(step for step in page.walks()["backward"] if step["node_name"] == "1.weight")
    assert weight["lines"][-1].endswith("= [[0.2180, 0.2180]]")


def test_every_step_points_at_nodes_of_the_svg(slide_page):
    _, page = slide_page
    for step in page.walks()["backward"]:
        assert {step["node"], step["output"], step["operation"]} <= set(page.nodes)
    for step in page.walks()["forward"]:
        assert step["node"] in page.nodes


def test_graph_first_appears_with_data_shown_and_grads_hidden(slide_page):
    _, page = slide_page
    values = {node_id: node for node_id, node in page.nodes.items() if node_id.startswith("v")}
    assert len(values) == 14  # x, y, four parameters, two transposes, two matmuls, two adds, ŷ, L
    for node_id, node in values.items():
        assert node["class"].split() == ["node", "grad-hidden"], node_id
        assert page.field_text(node_id, "data").startswith("data ")
        assert page.field_text(node_id, "grad").startswith("grad ")


def test_svg_prints_the_grads_the_page_reveals(slide_page):
    loss, page = slide_page
    bias = next(step["node"] for step in page.walks()["backward"] if step["node_name"] == "1.bias")
    assert page.field_text(bias, "grad") == "grad [0.5449]"
    assert loss.grad is None  # the page computed grads from the trace, not with backward()


def test_forward_walk_lists_every_value_inputs_first(slide_page):
    _, page = slide_page
    walk = page.walks()["forward"]
    assert [step["node"] for step in walk] == [f"v{index}" for index in range(14)]
    assert walk[-1]["lines"] == ["L = binary_cross_entropy(ŷ, y)", "L = 0.7872"]


def test_page_fetches_nothing(slide_page):
    _, page = slide_page
    assert page.fetches == []
    assert all("src" not in attributes for attributes, _ in page.scripts)
    for text in page.styles + [text for _, text in page.scripts]:
        assert not re.search(r"url\(|@import|https?://|fetch\(|XMLHttpRequest", text)


def test_page_has_the_walking_controls(slide_page):
    _, page = slide_page
    assert set(page.buttons) == {"mode-backward", "mode-forward", "back", "next", "reset", "fit"}


def test_iris_step_page_walks_a_mini_batch(tmp_path):
    loss = iris_step_loss()
    page = parse_page(tg.write_backward_page(loss, tmp_path / "iris.html").read_text(encoding="utf-8"))
    walk = page.walks()["backward"]
    assert len(walk) == len(tg.trace_backward(loss))
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= {step["node_name"] for step in walk}
    assert "dL/dlogits = shape (8, 3), [0] [" in "\n".join(walk[3]["lines"])  # big arrays: shape and first numbers


def test_a_grad_reached_along_two_paths_is_revealed_once_its_sum_is_complete():
    a = tg.Value([2.0, 3.0], requires_grad=True, name="a")
    b = tg.Value([5.0, 7.0], requires_grad=True, name="b")
    steps = tg.trace_backward((a * b + a).sum())
    walk = [step for step in backward_walk(steps) if step["node_name"] == "a"]
    assert [step["complete"] for step in walk] == [False, True]
    assert walk[0]["lines"][-1] == "sum of 1 of 2 paths: dL/da = [1., 1.]"
    assert walk[1]["lines"][-1] == "sum of 2 of 2 paths: dL/da = [6., 8.]"  # b + 1
    np.testing.assert_array_equal(node_grads(steps[0].output, steps)[walk[0]["node"]], [6.0, 8.0])


def test_graph_over_the_limit_is_refused_with_a_pointer_to_draw_graph(tmp_path):
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(MAX_NODES // 2):
        y = y * 1.0  # each step adds a Value, an operation and a constant: over the limit
    with pytest.raises(ValueError, match=r"has \d+ nodes, more than the 200 .*draw_graph"):
        tg.write_backward_page(y.sum(), tmp_path / "big.html")
    assert not (tmp_path / "big.html").exists()


def test_page_command_writes_backward_html_by_default(tmp_path):
    result = run_tinygrad_edu("page", cwd=tmp_path, path=path_without_graphviz(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "backward.html"
    assert len(parse_page((tmp_path / "backward.html").read_text(encoding="utf-8")).walks()["backward"]) == 11


def test_page_command_iris_step_at_the_given_path(tmp_path):
    result = run_tinygrad_edu("page", "--model", "iris-step", "--out", "iris.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "iris.html"


def test_page_command_without_any_renderer_says_how_to_get_one_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    monkeypatch.setitem(sys.modules, "wasmtime", None)  # as on a platform wasmtime has no wheel for
    monkeypatch.chdir(tmp_path)
    assert cli.main(["page"]) == 2
    assert capsys.readouterr().err == f"tinygrad-edu page: error: the page draws the graph as SVG. {NO_SVG_RENDERER}\n"
    assert not (tmp_path / "backward.html").exists()
    with pytest.raises(GraphvizNotFound):
        tg.write_backward_page(slide_loss(), tmp_path / "page.html")
    assert not (tmp_path / "page.html").exists()


@pytest.mark.parametrize("out, message", [("", "--out must name a file, got ''"),
                                          ("no_folder/", "cannot write --out 'no_folder/': No such file or directory"),
                                          ("a_file/x.html", "cannot write --out 'a_file/x.html': Not a directory")])
def test_page_command_with_an_out_it_cannot_write_exits_2_with_one_line(tmp_path, out, message):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("keep me")
    result = run_tinygrad_edu("page", "--out", out, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"tinygrad-edu page: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"]
    assert list((tmp_path / "a_folder").iterdir()) == [] and (tmp_path / "a_file").read_text() == "keep me"
