"""Names a learner (or a reviewer) may give a Value: each is drawn and printed as typed, or, for
what cannot be drawn or printed (NUL and other controls, lone surrogates, U+FFFE), as its Python
escape; never an error. The backward page's JSON cannot end or reopen its ``<script>``, whatever
the names hold, and it parses even when the numbers are NaN or infinite.

The same page in a real browser: tests/test_backward_page_browser.py.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from page_parsing import parse_page
from support import needs_dot, path_without_graphviz

import tinygrad_edu as tg
from tinygrad_edu.viz import render

SVG = "{http://www.w3.org/2000/svg}"

# name given → how the picture, the page's panel and print_trace show it
NAMES = {
    "a\x00b": "a\\x00b",
    "\ud800 lone": "\\ud800 lone",
    "x\udfffy": "x\\udfffy",
    "not\ufffexml": "not\\ufffexml",
    "two\nlines": "two\\nlines",
    "bell\x07": "bell\\x07",
    "&amp;": "&amp;",
    "&lt;b&gt;": "&lt;b&gt;",
    "&#65;": "&#65;",
    "<!--<script>": "<!--<script>",
    "</script>": "</script>",
    "</SCRIPT >": "</SCRIPT >",
    "{a|b} <p>": "{a|b} <p>",
    'quote " back\\slash': 'quote " back\\slash',
    "line\u2028paragraph\u2029": "line\\u2028paragraph\\u2029",
    "ŷ·σ🙂": "ŷ·σ🙂",
}


def named_graph(names):
    """A small graph whose Values carry ``names``: x (a leaf) → one product per name → their sum."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.name = names[0]
    terms = []
    for index, name in enumerate(names[1:]):
        term = x * float(index + 2)
        term.name = name
        terms.append(term)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    loss = total.sum()
    loss.name = "loss"
    return loss


def drawn_names(svg: bytes) -> list[str]:
    """The first text line of each record node: the name as Graphviz drew it (entities decoded once
    by the XML parser, as a browser does)."""
    names = []
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "node":
            texts = [text.text or "" for text in group.iter(f"{SVG}text")]
            if len(texts) > 1:  # records: name, shape, data, grad
                names.append(texts[0])
    return names


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))


def test_the_webassembly_graphviz_draws_every_name_as_typed_or_escaped(no_dot):
    names = list(NAMES)
    drawn = drawn_names(tg.draw_graph(named_graph(names)).pipe(format="svg"))
    for name in names:
        assert NAMES[name].strip() in drawn, (name, drawn)


@needs_dot
def test_the_system_dot_draws_them_the_same_way():
    names = list(NAMES)
    svg = render.system_dot(tg.draw_graph(named_graph(names)).source, "svg")
    drawn = drawn_names(svg)
    for name in names:
        assert NAMES[name].strip() in drawn, (name, drawn)


def test_an_operation_name_with_an_ampersand_or_a_nul_is_drawn_literally():
    x = tg.tensor(2.0, requires_grad=True)
    y = x * 3

    class Renamed(type(y.grad_fn)):  # a learner's own op could be called anything
        __slots__ = ()
        name = "mul&amp;\x00"

    y.grad_fn.__class__ = Renamed
    svg = tg.draw_graph(y).pipe(format="svg")
    ellipses = [text.text for group in ET.fromstring(svg).iter(f"{SVG}g") if group.get("class") == "node"
                for text in group.iter(f"{SVG}text") if group.find(f"{SVG}ellipse") is not None]
    assert ellipses == ["mul&amp;\\x00"]


def test_print_trace_prints_every_name_on_a_utf8_terminal(capsys):
    names = list(NAMES)
    tg.print_trace(tg.trace_backward(named_graph(names)))
    printed = capsys.readouterr().out
    printed.encode("utf-8")  # no lone surrogate left to fail the terminal
    for name in names:
        assert f"dL/d{NAMES[name]}" in printed or f"dL/d({NAMES[name]})" in printed, name


def test_the_page_keeps_its_scripts_whatever_the_names(tmp_path):
    names = list(NAMES)
    path = tg.write_backward_page(named_graph(names), tmp_path / "page.html")
    text = path.read_text(encoding="utf-8")
    page = parse_page(text)
    assert [attributes.get("id") for attributes, _ in page.scripts] == ["walks", None]
    (data,) = [script for attributes, script in page.scripts if attributes.get("id") == "walks"]
    assert "<" not in data and ">" not in data and "&" not in data  # nothing HTML's parser could act on
    assert "\u2028" not in data and "\u2029" not in data
    walks = page.walks()
    lines = "\n".join(line for step in walks["backward"] for line in step["lines"])
    for name in names:
        assert NAMES[name] in lines, name
    assert sorted({step["name"] for step in walks["forward"] if step["name"]}) == sorted(names + ["loss"])
    shown = {page.field_text(node, "name").split("\n")[0] for node in page.nodes if node.startswith("v")}
    for name in names:
        assert NAMES[name].strip() in shown, name


def test_the_title_is_shown_escaped_too(tmp_path):
    path = tg.write_backward_page(named_graph(["x", "y"]), tmp_path / "page.html", title="</title>\ud800")
    assert "<title>&lt;/title&gt;\\ud800</title>" in path.read_text(encoding="utf-8")


def test_nan_and_infinite_numbers_still_give_json_that_parses(tmp_path):
    x = tg.tensor([1.0, np.nan, np.inf], requires_grad=True)
    loss = (x * -np.inf).sum()
    path = tg.write_backward_page(loss, tmp_path / "page.html")
    (data,) = [script for attributes, script in parse_page(path.read_text(encoding="utf-8")).scripts
               if attributes.get("id") == "walks"]

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON: JSON.parse would refuse the page's data")

    walks = json.loads(data, parse_constant=refuse)  # what a browser's JSON.parse accepts
    assert walks["forward"][0]["data"] == [1.0, "NaN", "Infinity"]


def test_a_name_that_is_not_a_string_is_drawn_as_its_text():
    x = tg.tensor(1.0, requires_grad=True)
    x.name = 5  # the engine accepts any name
    assert drawn_names(tg.draw_graph(x * 2).pipe(format="svg"))[0] == "5"
    assert tg.trace_backward(x * 2)[0].to_dict()["node_name"] == 5

