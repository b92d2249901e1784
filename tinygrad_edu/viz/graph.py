"""Draw the computation graph: one box per Value, one oval per operation.

``draw_graph(loss)`` returns the picture micrograd's notebook draws, as part of
the package: every Value is a record ``{ name | data | grad }`` and every
operation (``mul``, ``matmul``, ``sigmoid``, …) an oval between its inputs and
its output, so the arrows run input → operation → output, the way the forward
pass computes. ``backward()`` walks the same arrows in reverse.

The result is a ``graphviz.Digraph``. Its DOT text (``.source``) needs nothing
more; its SVG (``.pipe(format='svg')``, ``.render('mlp', format='svg')``, the
picture a Jupyter notebook shows) comes from ``render.svg``, which needs nothing
but pip. Other formats (PNG) need graphviz's ``dot`` program, and where that is
missing the error says how to install it.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from pathlib import Path

import graphviz
import numpy as np

from ..autograd import node_ids
from ..ops import Transpose
from ..printing import format_array
from ..value import Value
from . import render
from .layout import FIELDS, FONT_POINTS, FULL, PROJECTOR, RANKDIRS  # noqa: F401  (FULL: beside PROJECTOR)
from .render import GraphvizNotFound  # noqa: F401  (importable from here, where it is raised)
from .trace import label, shown

# How each kind of Value looks. Parameters (leaves that require grad) are what training
# changes; inputs and constants (leaves that do not) are dashed; the root is outlined in red.
PARAMETER_STYLE = {"style": "filled", "fillcolor": "#dbeafe"}
INPUT_STYLE = {"style": "filled,dashed", "fillcolor": "#f3f4f6"}
INTERMEDIATE_STYLE = {"style": "filled", "fillcolor": "white"}
ROOT_STYLE = {"color": "#b91c1c", "penwidth": "2.5"}
OPERATION_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#fef3c7"}

# The legend's boxes: each kind of node as the graph draws it, with what it means.
LEGEND = (("legend_parameter", "parameter", PARAMETER_STYLE), ("legend_input", "input or constant", INPUT_STYLE),
          ("legend_intermediate", "intermediate", INTERMEDIATE_STYLE),
          ("legend_output", "output", {**INTERMEDIATE_STYLE, **ROOT_STYLE}),
          ("legend_operation", "operation", OPERATION_STYLE))



def plain_svg(format: str | None, engine: str | None, options: dict) -> bool:
    """Is this a request ``render.svg`` answers: SVG laid out by ``dot``, no renderer, formatter or no-op chosen?"""
    return (format == "svg" and engine in (None, "dot")
            and not any(options.get(key) for key in ("renderer", "formatter", "neato_no_op")))


class ComputationGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose SVG comes from ``render.svg`` (no system ``dot`` needed).

    ``pipe`` and ``render`` keep graphviz's signatures: SVG is drawn in-process,
    every other format by graphviz's ``dot`` as before, and a missing ``dot``
    raises GraphvizNotFound with how to install it. Jupyter's display goes
    through ``pipe(format='svg')``, so a notebook shows the picture without ``dot``.
    """

    def pipe(self, format: str | None = None, *, encoding: str | None = None, **options) -> bytes | str:
        format = format or self.format
        if plain_svg(format, options.get("engine") or self.engine, options):
            picture = render.svg(self.source)
            return picture if encoding is None else picture.decode(encoding)
        try:
            return super().pipe(format, encoding=encoding, **options)
        except graphviz.ExecutableNotFound as error:
            raise render.dot_missing(format) from error

    @property
    def _render(self):
        """graphviz's step that turns the saved DOT file into the picture (its seam for replacing
        that step): ``render.svg`` for SVG, graphviz's ``dot`` for anything else."""
        return self.render_file

    def render_file(self, engine: str, format: str, filepath: str | None = None, **options) -> str:
        """``graphviz.render``'s contract: draw the DOT file ``filepath`` to ``outfile`` (default
        ``filepath.svg``) and return that path."""
        if not plain_svg(format, engine, options):
            try:
                return graphviz.render(engine, format, filepath, **options)
            except graphviz.ExecutableNotFound as error:
                raise render.dot_missing(format) from error
        outfile = options.get("outfile") or f"{filepath}.svg"
        render.write_atomically(outfile, render.svg(Path(filepath).read_text(encoding=self.encoding)))
        return str(outfile)


def operation_id(value_id: str) -> str:
    """The node id of the operation that made a Value: v7 was made by op7."""
    return "op" + value_id[1:]


# Characters that are structure in a record label, and the backslash and quote: escaped with a
# backslash. Graphviz decodes entities (&amp;, &lt;) in every label: a literal & is written &amp;.
RECORD_ESCAPES = str.maketrans({**{character: "\\" + character for character in '\\{}|<>"'}, "&": "&amp;"})


def escape_record_text(text: str) -> str:
    r"""``text`` as one field of a DOT record label.

    In a record label ``{ } | < >`` are structure, so literal ones get a
    backslash (and so do backslashes and quotes); ``&`` becomes ``&amp;``, so
    that a name such as ``&lt;`` is drawn as typed, not decoded. Runs of spaces would collapse
    to one, so the extra spaces that line up array columns are escaped, and a
    line break becomes ``\l`` (end of a left-aligned line).
    """
    text = text.translate(RECORD_ESCAPES)
    if "  " in text:
        text = re.sub(r"(?<= ) ", r"\\ ", text)
    if "\n" in text:
        text = text.replace("\n", r"\l") + r"\l"
    return text


FIRST_NUMBERS = 4  # a big array shows its shape and this many of its first numbers


@functools.cache
def dtype_text(dtype: np.dtype) -> str:
    return str(dtype)  # cached: numpy builds this string anew each time, slowly


def describe_array(title: str, array: np.ndarray | None, max_elements: int, precision: int) -> str:
    """``title`` and the numbers as the repr prints them, or for a big array its shape and first row.

    A big array's first row (its first few numbers: the first sample's, for a batch)
    says what it holds, sizes and signs a learner can check by hand; a mean of
    noise (−6.2e−10) teaches nothing.
    """
    if array is None:
        return f"{title} None"
    if array.size <= max_elements or array.ndim == 0:  # one number is its own summary
        return f"{title} " + format_array(array, prefix=f"{title} ", precision=precision)
    index = (0,) * (array.ndim - 1)
    row = array[index]
    shown = format_array(row[:FIRST_NUMBERS], precision=precision).rstrip("]")
    shown += ", …]" if len(row) > FIRST_NUMBERS else "]"
    if not index:
        return f"{title} shape {array.shape}: {shown}"
    return f"{title} shape {array.shape}, [{', '.join(map(str, index))}] {shown}, …"


def value_label(value, node_id: str, show_data: bool, show_grad: bool, max_elements: int, precision: int,
                grad: np.ndarray | None, show_dtype: bool = True) -> str:
    """The record ``{ name | data | grad }``; the name field also gives the shape (and dtype)."""
    header = f"{label(value, node_id)}\n{value.shape}" + (f" {dtype_text(value.dtype)}" if show_dtype else "")
    fields = [header]
    if show_data:
        fields.append(describe_array("data", value.data, max_elements, precision))
    if show_grad:
        fields.append(describe_array("grad", grad, max_elements, precision))
    return "{ " + " | ".join(escape_record_text(field) for field in fields) + " }"


def dot_string(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def operation_label(name: str) -> str:
    """An operation's name as a quoted plain label: shown, with ``&`` kept from entity decoding."""
    return dot_string(shown(name).replace("&", "&amp;"))


def dot_attributes(attributes: dict) -> str:
    """``{"style": "filled", ...}`` as the DOT text ``style="filled" ...``."""
    return " ".join(f"{key}={dot_string(value)}" for key, value in attributes.items())


OPERATION_ATTRIBUTES = dot_attributes(OPERATION_STYLE)
MAIN_LINE = ' group="main"'  # Graphviz keeps the edges between nodes of one group straight


def value_attributes(value, is_root: bool) -> str:
    """The style of a Value's node: parameter, input or intermediate, and whether it is the root."""
    if value._op is not None:
        style = INTERMEDIATE_STYLE
    else:
        style = PARAMETER_STYLE if value.requires_grad else INPUT_STYLE
    return dot_attributes({**style, **ROOT_STYLE} if is_root else style)


def folded(value: Value, root: Value, fold_transpose: bool) -> bool:
    """Is ``value`` a transpose drawn as an arrow labelled ``transposed`` into the op that uses it?"""
    return fold_transpose and value is not root and type(value._op) is Transpose


def legend_lines(rankdir: str) -> list[str]:
    """The legend as DOT statements: a box of each kind, in a cluster of its own (plain labels only:
    the WebAssembly Graphviz draws no HTML-like labels), one column beside the graph."""
    lines = ['\tsubgraph cluster_legend {\n', '\t\tlabel="legend" style="rounded" color="#9ca3af"\n']
    for node_id, text, style in LEGEND:
        shape = {} if "shape" in style else {"shape": "box"}  # a plain label: a record cannot take flat edges
        lines.append(f"\t\t{node_id} [label={dot_string(text)} {dot_attributes({**shape, **style})}]\n")
    # Invisible arrows keep the boxes in the order above, one under the other: along the ranks top to
    # bottom, or inside one rank (a column) left to right. A column beside a tall graph costs no height.
    order = " -> ".join(node_id for node_id, _, _ in LEGEND) + ' [style="invis"]'
    lines.append(f"\t\t{order}\n" if rankdir in ("TB", "BT") else f"\t\t{{rank=same {order}}}\n")
    lines.append("\t}\n")
    return lines


def main_line(ids: dict, root: Value, fold_transpose: bool) -> set[str]:
    """The node ids (Values and their operations) of the longest path from an input to ``root``.

    Graphviz draws nodes of one ``group`` in a straight line, so the computation reads straight
    down the middle of the picture and inputs and parameters join it from the side, instead of
    the whole graph drifting sideways one rank at a time.
    """
    depth = {}  # operations on the longest path from an input; ``ids`` lists inputs first
    for value in ids:
        op = value._op
        if op is None:
            depth[value] = 0
        elif folded(value, root, fold_transpose):  # drawn as an arrow: no rank of its own
            depth[value] = depth[op.parents[0]]
        else:
            depth[value] = 1 + max(depth[parent] for parent in op.parents)
    line, value = set(), root
    while value._op is not None:
        line.update((ids[value], operation_id(ids[value])))
        value = max(value._op.parents, key=depth.__getitem__)  # the first of the deepest
        while folded(value, root, fold_transpose):
            value = value._op.parents[0]
    line.add(ids[value])
    return line


def record(label: str, fields: str | None, rankdir: str) -> str:
    """``value_label``'s record ``{ name | data | grad }`` laid out as ``fields`` asks.

    A record's fields run across the arrows (side by side when they point down); braces turn
    them. So the braces, which stack the fields top to bottom and lay them side by side left to
    right, come off when ``fields`` asks for the other way.
    """
    braced = "column" if rankdir in ("TB", "BT") else "row"
    return label if fields in (None, braced) else label.removeprefix("{ ").removesuffix(" }")


def check_count(name: str, value, meaning: str) -> None:
    """``value`` must be an int ≥ 0: TypeError for another type (a bool too), ValueError below 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"draw_graph: {name} must be a non-negative int ({meaning}), got {value!r:.80}")
    if value < 0:
        raise ValueError(f"draw_graph: {name} must be a non-negative int ({meaning}), got {value}")


def check_ranksep(ranksep) -> None:
    expected = "a positive, finite number of inches, or None for Graphviz's 0.5"
    if ranksep is None:
        return
    if isinstance(ranksep, bool) or not isinstance(ranksep, numbers.Real):
        raise TypeError(f"draw_graph: ranksep must be {expected}, got {ranksep!r:.80}")
    if not (math.isfinite(ranksep) and ranksep > 0):
        raise ValueError(f"draw_graph: ranksep must be {expected}, got {ranksep}")


def draw_graph(root, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
               max_elements: int = 6, precision: int = 4, grads: dict[str, np.ndarray] | None = None,
               fold_transpose: bool = False, show_dtype: bool = True, ranksep: float | None = None,
               legend: bool = False, fields: str | None = None) -> graphviz.Digraph:
    """The computation graph that produced ``root``, as a ``graphviz.Digraph``.

    One record node per Value (its name as typed, with what cannot be drawn, such as
    a NUL or a lone surrogate, as its Python escape ``\\x00``; or its id ``v3`` when it has none; shape,
    dtype; data and grad as the repr prints them, or the shape and first numbers
    when the Value has more than ``max_elements`` elements) and one oval per
    operation, with edges input → operation → output. A Value used twice is
    drawn once, with two arrows leaving it. Typical use, after ``loss.backward()``::

        draw_graph(loss).render("mlp", format="svg")   # writes mlp (the DOT text) and mlp.svg
        draw_graph(loss)                               # in a notebook: shows the picture
        draw_graph(loss, **PROJECTOR)                  # what the ``graph`` command draws

    ``rankdir`` ``"TB"`` draws top to bottom; ``fold_transpose`` draws ``W.T`` as an
    arrow labelled ``transposed`` from W into the operation using it; ``show_dtype``
    False drops the dtype; ``ranksep`` is the gap between ranks in inches (Graphviz's
    default 0.5); ``legend`` adds a column of boxes, one of each kind, with what it means;
    ``fields`` ``"row"`` puts a Value's name, data and grad side by side, ``"column"`` one
    under the other (None: a column top to bottom, a row left to right). The longest path
    into ``root`` is drawn in a straight line.

    ``grads`` (node id such as ``"v3"`` → array) prints those gradients instead
    of the ``.grad`` the Values hold: the backward page draws the gradients of a
    trace without running ``backward()`` on the learner's graph.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: root must be a tinygrad_edu Value (the output to draw the graph of), "
                        f"got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if fields not in (None, *FIELDS):
        raise ValueError(f"draw_graph: fields must be one of {', '.join(FIELDS)} or None, got {fields!r}")
    check_count("max_elements", max_elements, "arrays of up to this many elements are printed whole")
    check_count("precision", precision, "digits after the decimal point")
    check_ranksep(ranksep)
    ids = node_ids(root)  # every Value, inputs first, and its id
    line = main_line(ids, root, fold_transpose)
    graph_attr = {"rankdir": rankdir} if ranksep is None else {"rankdir": rankdir, "ranksep": f"{ranksep:g}"}
    font = {"fontname": "Courier", "fontsize": str(FONT_POINTS)}
    graph = ComputationGraph(graph_attr=graph_attr, node_attr={"shape": "record", **font}, edge_attr=font)
    if legend:
        graph.body.extend(legend_lines(rankdir))
    # DOT statements are written straight into graph.body: Digraph.node() would re-quote
    # every attribute, which triples the time for a 10,000-node graph.
    for value, node_id in ids.items():
        if folded(value, root, fold_transpose):
            continue
        grad = value.grad if grads is None else grads.get(node_id)
        label = record(value_label(value, node_id, show_data, show_grad, max_elements, precision, grad, show_dtype),
                       fields, rankdir)
        group = MAIN_LINE if node_id in line else ""
        graph.body.append(f'\t{node_id} [label="{label}" {value_attributes(value, value is root)}{group}]\n')
        if value._op is not None:
            op_id = operation_id(node_id)
            graph.body.append(f"\t{op_id} [label={operation_label(value._op.name)} {OPERATION_ATTRIBUTES}{group}]\n")
            for parent in value._op.parents:
                if folded(parent, root, fold_transpose):
                    graph.body.append(f'\t{ids[parent._op.parents[0]]} -> {op_id} [label="transposed"]\n')
                else:
                    graph.body.append(f"\t{ids[parent]} -> {op_id}\n")
            graph.body.append(f"\t{op_id} -> {node_id}\n")
    return graph
