"""Issue 16, item 1 and issue 21, item 7: the slide network's graph as the ``graph`` command and the
tour draw it shows whole on a 1920×1080 screen at its natural size with text of 12 px or more, and
scaled to fit a 1024×768 screen keeps text of 9 px or more, measured in a real browser; it has a
legend and calls every Value by the name the lecture says; each layout choice is an option of
``draw_graph`` and of the command, the full graph one option away."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from browser import chromium, reset_viewport, set_viewport, text_metrics
from dot_parsing import parse_dot, record_fields
from support import ROOT

import tinygrad_edu as tg
from tinygrad_edu import cli
from tinygrad_edu.lecture.mlp import slide_network
from tinygrad_edu.lecture.page_examples import iris_step_loss, slide_loss
from tinygrad_edu.lecture.tour import write_graph
from tinygrad_edu.viz.graph import LEGEND, PROJECTOR, describe_array
from tinygrad_edu.viz.layout import FONT_POINTS, PROJECTOR_POINTS, PROJECTOR_SCREEN, PX_PER_POINT, SMALL_SCREEN
from tinygrad_edu.viz.page import backward_walk, forward_walk

SVG = "{http://www.w3.org/2000/svg}"
# What the lecture calls each Value of the slide network (the transposes folded into their matmuls).
SLIDE_NAMES = {"x", "0.weight", "x·0.weightᵀ", "0.bias", "h", "1.weight", "h·1.weightᵀ", "1.bias", "z", "ŷ", "y",
               "L"}
NODE_ID = re.compile(r"\bv\d+\b")  # the fallback name of an unnamed Value


def drawn(tmp_path, *options: str) -> ET.Element:
    """The SVG the graph command writes with ``options``, parsed."""
    out = tmp_path / "mlp.svg"
    assert cli.main(["graph", "--out", str(out), *options]) == 0
    return ET.parse(out).getroot()


def size_in_points(svg: ET.Element) -> tuple[float, float]:
    return tuple(float(svg.get(side).removesuffix("pt")) for side in ("width", "height"))


def nodes(svg: ET.Element) -> dict[str, list[str]]:
    """Each drawn node's DOT name and its text lines, in order."""
    return {group.find(f"{SVG}title").text: [text.text for text in group.iter(f"{SVG}text")]
            for group in svg.iter(f"{SVG}g") if group.get("class") == "node"}


def value_names(svg: ET.Element) -> set[str]:
    """The first line of every Value's box: its name."""
    return {texts[0] for node_id, texts in nodes(svg).items() if NODE_ID.fullmatch(node_id)}


def test_the_graph_command_fits_a_projector_by_default(tmp_path):
    width, height = size_in_points(drawn(tmp_path))
    assert width <= PROJECTOR_POINTS[0] and height <= PROJECTOR_POINTS[1], (width, height)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module", params=["graph command", "tour"])
def default_svg(request, tmp_path_factory):
    """The default picture of the slide network, as the ``graph`` command and as the tour write it."""
    folder = tmp_path_factory.mktemp("projector")
    if request.param == "tour":
        return Path(write_graph(folder))
    assert cli.main(["graph", "--out", str(folder / "mlp.svg")]) == 0
    return folder / "mlp.svg"


# The picture opened on its own: the root <svg>'s box, how far the document scrolls, the viewport.
PICTURE_BOX = """
const box = document.documentElement.getBoundingClientRect(), page = document.scrollingElement;
return {width: box.width, height: box.height, scrollWidth: page.scrollWidth, scrollHeight: page.scrollHeight,
        innerWidth: innerWidth, innerHeight: innerHeight};
"""
# Scaled to fit: the <svg> fills the viewport, its viewBox kept in proportion (preserveAspectRatio's default).
FIT = "const svg = document.documentElement; svg.setAttribute('width', '100%'); svg.setAttribute('height', '100%');"


def opened(browser, path, screen, fit=False) -> tuple[dict, list[dict]]:
    """The picture at ``path`` opened in a browser on ``screen`` (width, height, …): its box and its texts."""
    set_viewport(browser, *screen[:2])
    try:
        browser.get(path.as_uri())
        if fit:
            browser.execute_script(FIT)
        return browser.execute_script(PICTURE_BOX), text_metrics(browser)
    finally:
        reset_viewport(browser)


def inside(text: dict, width: float, height: float) -> bool:
    return text["left"] >= 0 and text["top"] >= 0 and text["right"] <= width + 0.5 and text["bottom"] <= height + 0.5


def test_on_a_1920_by_1080_screen_the_default_graph_shows_whole_at_natural_size_with_12_px_text(browser,
                                                                                                default_svg):
    width, height, smallest = PROJECTOR_SCREEN
    box, texts = opened(browser, default_svg, PROJECTOR_SCREEN)
    assert (box["innerWidth"], box["innerHeight"]) == (width, height)
    points = size_in_points(ET.parse(default_svg).getroot())
    natural = (points[0] * PX_PER_POINT, points[1] * PX_PER_POINT)
    assert (box["width"], box["height"]) == pytest.approx(natural, abs=0.5)  # to the browser's 1/64 px
    assert box["scrollWidth"] <= width and box["scrollHeight"] <= height  # nothing to scroll to
    assert len(texts) > 50 and all(inside(text, width, height) for text in texts)
    assert min(text["px"] for text in texts) >= smallest
    assert min(text["height"] for text in texts) >= smallest  # as laid out, not only as written


def test_scaled_to_fit_a_1024_by_768_screen_the_default_graph_keeps_9_px_text(browser, default_svg):
    width, height, smallest = SMALL_SCREEN
    _, texts = opened(browser, default_svg, SMALL_SCREEN, fit=True)
    assert all(inside(text, width, height) for text in texts)
    assert min(text["px"] for text in texts) >= smallest


def test_the_measurement_rejects_the_full_graph(browser, tmp_path):
    assert cli.main(["graph", "--full", "--out", str(tmp_path / "full.svg")]) == 0
    box, texts = opened(browser, tmp_path / "full.svg", PROJECTOR_SCREEN)
    assert box["scrollWidth"] > PROJECTOR_SCREEN[0] or box["scrollHeight"] > PROJECTOR_SCREEN[1]
    _, texts = opened(browser, tmp_path / "full.svg", SMALL_SCREEN, fit=True)
    assert min(text["px"] for text in texts) < SMALL_SCREEN[2]


def test_the_bound_is_one_the_full_graph_breaks(tmp_path):
    width, height = size_in_points(drawn(tmp_path, "--full"))
    assert width > PROJECTOR_POINTS[0] or height > PROJECTOR_POINTS[1]
    width, height = size_in_points(drawn(tmp_path, "--full", "--rankdir", "TB"))
    assert height > PROJECTOR_POINTS[1]


def test_the_default_graph_has_a_legend_of_every_kind(tmp_path):
    drawn_nodes = nodes(drawn(tmp_path))
    assert {node_id: texts for node_id, texts in drawn_nodes.items() if node_id.startswith("legend_")} == {
        node_id: [text] for node_id, text, _ in LEGEND}
    assert [text for _, text, _ in LEGEND] == ["parameter", "input or constant", "intermediate", "output",
                                               "operation"]
    assert not any(node_id.startswith("legend_") for node_id in nodes(drawn(tmp_path, "--no-legend")))


def test_every_value_has_the_name_the_lecture_says(tmp_path):
    assert value_names(drawn(tmp_path)) == SLIDE_NAMES
    assert value_names(drawn(tmp_path, "--full")) == SLIDE_NAMES | {"0.weightᵀ", "1.weightᵀ"}


def test_the_same_names_in_the_trace_and_on_the_page(capsys):
    steps = tg.trace_backward(slide_network().loss)
    tg.print_trace(steps)
    printed = capsys.readouterr().out
    assert not NODE_ID.search(printed)
    assert {"dL/dŷ", "dL/dz", "dL/d(x·0.weightᵀ)", "dL/d0.weight"} <= set(re.findall(r"dL/d\S+", printed))
    loss = slide_loss()
    lines = [line for step in backward_walk(tg.trace_backward(loss)) + forward_walk(loss) for line in step["lines"]]
    assert lines and not any(NODE_ID.search(line) for line in lines)


def test_draw_graph_folds_a_transpose_into_the_matmul_that_uses_it():
    network = slide_network()
    full = parse_dot(tg.draw_graph(network.loss).source)
    folded = parse_dot(tg.draw_graph(network.loss, fold_transpose=True).source)
    names = {record_fields(node["label"])[0].split("\n")[0]: node_id for node_id, node in full.nodes.items()
             if node["label"].startswith("{")}
    transposed, weight = names["0.weightᵀ"], names["0.weight"]
    assert transposed in full.nodes and transposed not in folded.nodes
    assert f"op{transposed[1:]}" not in folded.nodes  # its transpose oval is gone too
    matmul = next(head for tail, head in full.edges if tail == transposed)
    second = next(head for tail, head in full.edges if tail == names["1.weightᵀ"])
    assert folded.edge_labels == {(weight, matmul): "transposed", (names["1.weight"], second): "transposed"}


def test_draw_graph_layout_options_one_by_one():
    loss = slide_network().loss
    assert "float32" in tg.draw_graph(loss).source
    assert "float32" not in tg.draw_graph(loss, show_dtype=False).source
    assert tg.draw_graph(loss, ranksep=0.25).source.splitlines()[1] == "\tgraph [rankdir=LR ranksep=0.25]"
    assert parse_dot(tg.draw_graph(loss).source).legend == {}
    assert set(parse_dot(tg.draw_graph(loss, legend=True).source).legend) == {node_id for node_id, _, _ in LEGEND}
    assert tg.draw_graph(loss, **PROJECTOR).source.splitlines()[1] == "\tgraph [rankdir=TB ranksep=0.25]"
    with pytest.raises(ValueError, match="rankdir must be one of TB, LR, BT, RL, got 'sideways'"):
        tg.draw_graph(loss, rankdir="sideways")
    with pytest.raises(ValueError, match="fields must be one of row, column or None, got 'diagonal'"):
        tg.draw_graph(loss, fields="diagonal")


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_fields_row_or_column_in_either_direction(rankdir):
    """A record's fields run across the arrows; braces turn them. Row: name | data | grad side by side."""
    loss = slide_network().loss
    labels = {fields: parse_dot(tg.draw_graph(loss, rankdir=rankdir, fields=fields).source).nodes["v0"]["label"]
              for fields in (None, "row", "column")}
    braced = "column" if rankdir == "TB" else "row"
    assert labels[None] == labels[braced] and labels[braced].startswith("{ ") and labels[braced].endswith(" }")
    other = labels["row" if braced == "column" else "column"]
    assert not other.startswith("{") and record_fields(other) == record_fields(labels[braced])


def centres(svg: ET.Element) -> dict[str, tuple[float, float]]:
    """Each drawn node's DOT name and the centre of its outline (polygon or ellipse), in pt."""
    found = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        shape = next(child for child in group if child.tag in (f"{SVG}polygon", f"{SVG}ellipse"))
        if shape.tag == f"{SVG}ellipse":
            found[group.find(f"{SVG}title").text] = (float(shape.get("cx")), float(shape.get("cy")))
        else:
            xs, ys = zip(*(map(float, point.split(",")) for point in shape.get("points").split()), strict=True)
            found[group.find(f"{SVG}title").text] = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    return found


def test_the_longest_path_into_the_loss_is_drawn_straight_down(tmp_path):
    svg = drawn(tmp_path)
    names = {texts[0]: node_id for node_id, texts in nodes(svg).items() if NODE_ID.fullmatch(node_id)}
    path = ["x", "x·0.weightᵀ", "h", "h·1.weightᵀ", "z", "ŷ", "L"]  # x's first parent wins the tie with 0.weight
    line = [names[name] for name in path] + [f"op{names[name][1:]}" for name in path[1:]]
    dot = parse_dot(tg.draw_graph(network_after_backward().loss, **PROJECTOR).source)
    assert {node_id for node_id, node in dot.nodes.items() if node.get("group") == "main"} == set(line)
    where = centres(svg)
    assert max(where[node_id][0] for node_id in line) - min(where[node_id][0] for node_id in line) < 1


def network_after_backward():
    network = slide_network()
    network.loss.backward()
    return network


@pytest.mark.parametrize("options, check", [
    (["--rankdir", "LR"], lambda svg, texts: size_in_points(svg)[0] > 3 * size_in_points(svg)[1]),
    (["--dtype"], lambda svg, texts: any("float32" in text for text in texts)),
    (["--no-fold-transpose"], lambda svg, texts: "transpose" in texts),
    (["--fields", "column"], lambda svg, texts: size_in_points(svg)[1] > PROJECTOR_POINTS[1]),
])
def test_each_choice_is_an_option_of_the_command(tmp_path, options, check):
    def holds(svg):
        return check(svg, [text for node_texts in nodes(svg).values() for text in node_texts])

    assert holds(drawn(tmp_path, *options))
    assert not holds(drawn(tmp_path))  # and the default is the other way


def test_options_given_with_full_apply_on_top_of_it(tmp_path):
    texts = [text for node_texts in nodes(drawn(tmp_path, "--full", "--fold-transpose", "--no-dtype")).values()
             for text in node_texts]
    assert "transpose" not in texts and not any("float32" in text for text in texts)


@pytest.mark.parametrize("ranksep", ["0", "-1", "nan"])
def test_a_bad_ranksep_is_a_usage_error_and_writes_nothing(tmp_path, capsys, ranksep):
    assert cli.main(["graph", "--out", str(tmp_path / "mlp.svg"), "--ranksep", ranksep]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--ranksep must be a positive number of inches" in error
    assert list(tmp_path.iterdir()) == []


def test_a_big_array_shows_its_shape_and_first_numbers_not_a_mean():
    vector = np.arange(20.0) / 7
    assert describe_array("grad", vector, 6, 4) == "grad shape (20,): [0.0000, 0.1429, 0.2857, 0.4286, …]"
    batch = np.arange(24.0).reshape(8, 3) - 10
    assert describe_array("data", batch, 6, 4) == "data shape (8, 3), [0] [-10.,  -9.,  -8.], …"
    loss = iris_step_loss()
    lines = [line for step in backward_walk(tg.trace_backward(loss)) for line in step["lines"]]
    assert not any("mean" in line for line in lines)
    assert any(line.startswith("upstream   dL/dlogits = shape (8, 3), [0] [") for line in lines)


def test_the_readme_states_the_promises_the_browser_tests_measure():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    font_px = FONT_POINTS * PX_PER_POINT
    assert (f"on a {PROJECTOR_SCREEN[0]}×{PROJECTOR_SCREEN[1]} screen it shows whole at its natural size with text "
            f"of {PROJECTOR_SCREEN[2]} px or more (its {FONT_POINTS} pt text is {font_px:.1f} px)") in readme
    width, height, smallest = SMALL_SCREEN
    assert f"scaled to fit a {width}×{height} screen, its text is still {smallest} px" in readme
    assert f"the same {font_px:.1f} px text, which grows with the browser's zoom" in readme
