"""A small parser for the DOT text draw_graph writes, so tests assert structure, not substrings.

Every statement line must be a node, an edge or a default-attribute line; anything
else fails the parse, so a malformed line cannot slip past a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NODE = re.compile(r"^\t(\w+) \[(.*)\]$")
EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")
LEGEND_START, LEGEND_END = "\tsubgraph cluster_legend {", "\t}"
LEGEND_NODE = re.compile(r"^\t\t(legend_\w+) \[(.*)\]$")
# The legend boxes in a column: chained in one rank (left to right) or along the ranks (top to bottom).
LEGEND_ORDER = re.compile(r"^\t\t(\{rank=same )?(legend_\w+(?: -> legend_\w+)*) \[style=\"invis\"\](?(1)\})$")
DEFAULTS = re.compile(r"^\t(graph|node|edge) \[.*\]$")
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)')


@dataclass
class Dot:
    nodes: dict = field(default_factory=dict)  # id -> {attribute: value}
    edges: list = field(default_factory=list)  # (tail, head)
    edge_labels: dict = field(default_factory=dict)  # (tail, head) -> label, for the edges that have one
    legend: dict = field(default_factory=dict)  # legend box id -> {attribute: value}


def unquote(text: str) -> str:
    """A DOT string's value. DOT itself turns only \\" into a quote; every other backslash
    pair is kept for the label's own escapes (records read \\\\ as one backslash)."""
    if text.startswith('"'):
        return re.sub(r"\\(.)", lambda m: '"' if m.group(1) == '"' else m.group(0), text[1:-1])
    return text


def parse_attributes(text: str) -> dict:
    attributes = {}
    position = 0
    for match in ATTRIBUTE.finditer(text):
        assert text[position:match.start()].strip() == "", f"unparsed attribute text in {text!r}"
        attributes[match.group(1)] = unquote(match.group(2))
        position = match.end()
    assert text[position:].strip() == "", f"unparsed attribute text in {text!r}"
    return attributes


def parse_dot(source: str) -> Dot:
    lines = source.splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}", "not one digraph"
    dot = Dot()
    in_legend = False
    for line in lines[1:-1]:
        if line == LEGEND_START:
            in_legend = True
        elif in_legend:
            in_legend = parse_legend_line(dot, line)
        elif node := NODE.match(line):
            if not DEFAULTS.match(line):
                assert node.group(1) not in dot.nodes, f"node {node.group(1)} declared twice"
                dot.nodes[node.group(1)] = parse_attributes(node.group(2))
        elif edge := EDGE.match(line):
            dot.edges.append(edge.groups()[:2])
            if edge.group(3) is not None:
                dot.edge_labels[edge.groups()[:2]] = parse_attributes(edge.group(3))["label"]
        else:
            raise AssertionError(f"not a DOT statement draw_graph writes: {line!r}")
    return dot


def parse_legend_line(dot: Dot, line: str) -> bool:
    """One line inside the legend's cluster: its label, a box, the boxes' order or the end.
    Returns whether the cluster goes on."""
    if line == LEGEND_END:
        return False
    if box := LEGEND_NODE.match(line):
        dot.legend[box.group(1)] = parse_attributes(box.group(2))
    elif not (LEGEND_ORDER.match(line) or line.startswith("\t\tlabel=")):
        raise AssertionError(f"not a statement of the legend draw_graph writes: {line!r}")
    return True


def record_fields(label: str) -> list[str]:
    r"""The fields of a record label ``{ a | b | c }`` or ``a | b | c``, unescaped (``\l`` becomes a line break)."""
    if label.startswith("{ "):
        assert label.endswith(" }"), label
        label = label[2:-2]
    fields = re.split(r"(?<!\\) \| ", label)
    unescaped = []
    for text in fields:
        text = re.sub(r"\\l$", "", text)
        text = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "l" else m.group(1), text)
        unescaped.append(text)
    return unescaped
