"""Backpropagation, one click at a time: an HTML page that walks the chain rule.

``write_backward_page(loss, "backward.html")`` writes one self-contained file
(no server, no network, nothing fetched) that a teacher opens in any browser:

- the computation graph as ``draw_graph`` draws it, rendered to SVG by
  ``render.svg`` (Graphviz compiled to WebAssembly: nothing to install but
  pip), every node's grad printed but hidden at first;
- the steps of ``trace_backward(loss)`` as JSON inside a ``<script>`` tag;
- a little plain JavaScript (``page.js``) with Next / Back buttons:
  each step highlights a node, reveals its grad and shows the chain-rule
  product with numbers beside the graph. "Forward" walks the forward values.

The gradients drawn come from the trace, not from ``.grad``: making the page
never runs ``backward()``, so the learner's Values are left exactly as they were.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from xml.dom import minidom

import numpy as np

from ..autograd import node_ids
from ..value import Value
from . import render
from .graph import describe_array, draw_graph, operation_id
from .trace import (
    ELEMENTWISE,
    TraceStep,
    gradient_symbol,
    label,
    local_formula,
    local_symbol,
    product_formula,
    shown,
    starts,
    symbol,
    trace_backward,
)

MAX_NODES = 200  # beyond this a page of boxes is no longer readable
PRECISION = 4
PANEL_ELEMENTS = 12  # arrays up to this size are printed whole in the side panel


def short(array: np.ndarray) -> str:
    """An array on one line, or its shape and first numbers when it is too big to read."""
    text = describe_array("", np.asarray(array), PANEL_ELEMENTS, PRECISION).strip()
    return " ".join(line.strip() for line in text.splitlines())


def node_grads(root: Value, steps: list[TraceStep]) -> dict[str, np.ndarray]:
    """dL/d(node) for every node the trace reaches: the sum backward made at the node's last edge
    (root's is the 1 that backward starts from)."""
    grads = {node_ids(root)[root]: np.ones(root.shape, dtype=root.dtype)}
    grads.update((step.node_id, step.sum_so_far) for step in steps)  # the last edge's sum is the whole
    return grads


def broadcast(step: TraceStep) -> bool:
    """Was ``step.node`` broadcast against the operation's other input, so that its gradient is a
    sum over the copies? Only then does the panel say so."""
    shapes = [parent.shape for parent in step.grad_fn.parents]
    return step.rule == ELEMENTWISE and len(shapes) == 2 and np.broadcast_shapes(*shapes) != step.node.shape


def local_line(step: TraceStep) -> str:
    """The local derivative: the operation's formula with its numbers and what they come to, the
    re-layout a transpose (reshape, index) is, or for an op without a formula its numbers only."""
    formula, local = local_formula(step), local_symbol(step)
    if formula is None:
        return f"local      {local} = {short(step.local_derivative)}"
    if formula.value is None:
        return f"re-layout  no arithmetic: dL/d{symbol(step.output, step.output_id)}'s numbers in " \
               f"{symbol(step.node, step.node_id)}'s layout {step.node.shape}"
    if step.op == "matmul":
        return f"local      the other operand {local} = {short(formula.value)}"
    worked = f" = {formula.numbers}" if formula.numbers else ""
    value = np.broadcast_to(formula.value, step.local_derivative.shape)  # a constant (neg's −1) for every element
    return f"local      {local} = {formula.formula}{worked} = {short(value)}"


def multiplied(step: TraceStep, start: bool) -> str:
    """``= [2.1972] · [0.2480] `` for an elementwise step whose numbers are short enough to multiply
    by eye; nothing at the root (1 · x) or for arrays that are summarised."""
    if start or step.rule != ELEMENTWISE or max(step.upstream.size, step.local_derivative.size) > PANEL_ELEMENTS:
        return ""
    return f"= {short(step.upstream)} · {short(step.local_derivative)} "


def chain_rule_lines(step: TraceStep, root_id: str) -> list[str]:
    """The side panel for one step: upstream gradient (dL/d…), local derivative (∂…/∂…), and
    their product, each with its numbers."""
    node, output = label(step.node, step.node_id), label(step.output, step.output_id)
    start = starts(step, root_id)
    upstream = (f"start      dL/d{symbol(step.output, step.output_id)} = 1 (where backward starts)" if start
                else f"upstream   {gradient_symbol(step.output, step.output_id)} = {short(step.upstream)}")
    return [
        f"{step.op}: from {output} back to {node}",
        upstream,
        local_line(step),
        f"product    {gradient_symbol(step.node, step.node_id)} = {product_formula(step, root_id)} "
        f"{multiplied(step, start)}= {short(step.product)}",
    ] + ([f"(summed over the axes {node} was broadcast along)"] if broadcast(step) else [])


def backward_walk(steps: list[TraceStep]) -> list[dict]:
    """The trace as JSON-ready dicts, in its order, with what the page shows at each step.

    A node reached along several edges gets its grad revealed only at the last
    of them, when the sum is complete; until then the panel shows the sum so far.
    """
    paths = {}
    for step in steps:
        paths[step.node_id] = paths.get(step.node_id, 0) + 1
    seen, walk = {}, []
    for step in steps:
        seen[step.node_id] = seen.get(step.node_id, 0) + 1
        lines = chain_rule_lines(step, steps[0].output_id)
        if paths[step.node_id] > 1:
            lines.append(f"sum of {seen[step.node_id]} of {paths[step.node_id]} paths: "
                         f"dL/d{label(step.node, step.node_id)} = {short(step.sum_so_far)}")
        walk.append({**step.to_dict(), "operation": operation_id(step.output_id), "lines": lines,
                     "complete": seen[step.node_id] == paths[step.node_id]})
    return walk


def forward_walk(root: Value) -> list[dict]:
    """Every Value in the order the forward pass computes it, with the line the panel shows."""
    ids, walk = node_ids(root), []
    for value, value_id in ids.items():
        if value._op is None:
            kind = "a parameter" if value.requires_grad else "an input (or constant)"
            lines = [f"{label(value, value_id)} is {kind}", f"{label(value, value_id)} = {short(value.data)}"]
            operation = None
        else:
            inputs = ", ".join(label(parent, ids[parent]) for parent in value._op.parents)
            lines = [f"{label(value, value_id)} = {value._op.name}({inputs})",
                     f"{label(value, value_id)} = {short(value.data)}"]
            operation = operation_id(value_id)
        walk.append({"node": value_id, "name": value.name, "operation": operation, "lines": lines,
                     "data": value.data.tolist()})
    return walk


def svg_text(element: minidom.Element) -> str:
    return "".join(child.data for child in element.childNodes if child.nodeType == child.TEXT_NODE)


def mark_svg(svg: str) -> str:
    """dot's SVG with handles for the script: each node's ``<g>`` gets its DOT name as ``id``
    (``v3``, ``op3``) and the text lines of each record field the class ``data`` or ``grad``.
    Every Value starts with its grad hidden (class ``grad-hidden``), as the page first appears."""
    document = minidom.parseString(svg)
    for group in document.getElementsByTagName("g"):
        if group.getAttribute("class") != "node":
            continue
        node_id = svg_text(group.getElementsByTagName("title")[0])
        group.setAttribute("id", node_id)
        if node_id.startswith("v"):
            group.setAttribute("class", "node grad-hidden")
        field = "name"
        # A record's fields are separated by polylines; a field's first line says which it is.
        for child in group.childNodes:
            if getattr(child, "tagName", None) == "polyline":
                field = None
            elif getattr(child, "tagName", None) == "text":
                if field is None:
                    field = "grad" if svg_text(child).startswith("grad") else "data"
                child.setAttribute("class", field)
    return document.documentElement.toxml()


def render_svg(root: Value, grads: dict[str, np.ndarray]) -> str:
    """The graph with every grad printed (the page hides them until their step), as marked SVG."""
    # Top to bottom, no dtype, close ranks: the page shows the graph at its natural size (or fitted,
    # "Whole graph"), so the smaller it is drawn, the less it scrolls. Transposes stay drawn: each is a step.
    graph = draw_graph(root, rankdir="TB", precision=PRECISION, grads=grads, show_dtype=False, ranksep=0.2)
    return mark_svg(render.svg(graph.source).decode("utf-8"))


def asset(name: str) -> str:
    """A file shipped beside this module: the page's style sheet and script."""
    return resources.files("tinygrad_edu.viz").joinpath(name).read_text(encoding="utf-8")


# Inside <script>, HTML's parser looks for "</script" and, after "<!--", for "<script": a name
# holding either would end the data early or swallow the rest of the page. With every < > &
# written as a \u escape no name can; U+2028/2029 end a line in old JavaScript, and a lone
# surrogate has no UTF-8. Each of these can only stand inside a JSON string, where \u is its spelling.
SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
# NaN and ±Infinity, which json.dumps writes and JSON.parse refuses, as strings; strings skipped whole.
JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def script_json(data: dict) -> str:
    """``data`` as JSON that JSON.parse reads and no string in it can end or reopen the ``<script>``."""
    text = json.dumps(data, ensure_ascii=False)
    text = JSON_TOKENS.sub(lambda token: token[0] if token[0].startswith('"') else f'"{token[0]}"', text)
    return SCRIPT_UNSAFE.sub(lambda character: f"\\u{ord(character[0]):04x}", text)


def page_html(title: str, svg: str, walks: dict) -> str:
    """The whole page: style, controls, the graph, the panel, the data and the script, inline."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(shown(title))}</title>
<style>
{asset("page.css")}</style>
</head>
<body>
<header>
  <h1>{html.escape(shown(title))}</h1>
  <nav>
    <button id="mode-backward" type="button">Backward</button>
    <button id="mode-forward" type="button">Forward</button>
    <button id="back" type="button">&#9664; Back</button>
    <button id="next" type="button">Next &#9654;</button>
    <button id="reset" type="button">Reset</button>
    <button id="fit" type="button" title="fit the whole graph into its pane">Whole graph</button>
    <span id="position"></span>
  </nav>
</header>
<main>
  <div id="graph">
{svg}
  </div>
  <aside id="panel"><h2 id="panel-title"></h2><ol id="panel-lines"></ol>
    <p class="hint">Next / Back or the arrow keys &#8594; &#8592; walk one step.</p>
    <p class="legend"><span class="parameter">parameter</span> <span class="input">input or constant</span>
      <span class="intermediate">intermediate</span> <span class="output">output</span>
      <span class="operation">operation</span></p></aside>
</main>
<script type="application/json" id="walks">{script_json(walks)}</script>
<script>
{asset("page.js")}</script>
</body>
</html>
"""


def write_backward_page(loss: Value, path: str | Path, title: str = "Backpropagation, step by step") -> Path:
    """Write the step-by-step backward page of ``loss``'s graph to ``path`` and return the path.

    Raises ValueError for a graph of more than ``MAX_NODES`` nodes (Values plus
    operations), ``render.GraphvizNotFound`` when no SVG renderer can be found
    (neither wasmtime nor graphviz's ``dot``), and the OSError of a path that cannot
    be written; in each case no file is written.
    """
    ids = node_ids(loss)
    nodes = len(ids) + sum(value._op is not None for value in ids)
    if nodes > MAX_NODES:
        raise ValueError(f"write_backward_page: the graph has {nodes} nodes, more than the {MAX_NODES} a page "
                         f"can show readably; draw it with tinygrad_edu.draw_graph(loss).render('graph', "
                         f"format='svg') instead, or step through a smaller model")
    steps = trace_backward(loss)
    svg = render_svg(loss, node_grads(loss, steps))
    walks = {"root": ids[loss], "backward": backward_walk(steps), "forward": forward_walk(loss)}
    return render.write_atomically(path, page_html(title, svg, walks).encode("utf-8"))
