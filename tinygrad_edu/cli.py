"""The command line: ``python -m tinygrad_edu`` (or ``tinygrad-edu``) and its sub-commands.

Each sub-command is one function that uses only the public API. ``main``
returns the exit code: 0 ok, 2 a usage error (argparse prints the usage line
and one error line).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.graph import HOW_TO_INSTALL_GRAPHVIZ, GraphvizNotFound
from tinygrad_edu.page_examples import EXAMPLES
from tinygrad_edu.printing import format_array
from tinygrad_edu.slides.mlp import slide_network


def worked_example() -> None:
    """The slide's forward pass z = 0.18 and its gradients, with Value operations."""
    x = tg.tensor([1.0, 2.0])
    w_h = tg.Value(np.full((2, 2), 0.1), dtype=np.float32, requires_grad=True, name="W_h")
    b_h = tg.Value(np.full(2, 0.1), dtype=np.float32, requires_grad=True, name="b_h")
    w_z = tg.Value(np.full((1, 2), 0.1), dtype=np.float32, requires_grad=True, name="W_z")
    b_z = tg.Value(np.full(1, 0.1), dtype=np.float32, requires_grad=True, name="b_z")
    h = x @ w_h.T + b_h
    z = h @ w_z.T + b_z
    y_hat = z.sigmoid()
    loss = -(1 - y_hat).log().sum()  # binary cross-entropy with target y = 0
    loss.backward()
    print(f"tinygrad_edu {tg.__version__}")
    print("The slide's network: x = [1, 2], every weight and bias 0.1, target y = 0")
    print(f"  h = x @ W_hᵀ + b_h  = {h}")
    print(f"  z = h @ W_zᵀ + b_z  = {z}")
    print(f"  ŷ = σ(z)           = {y_hat}")
    print(f"  L = -log(1 - ŷ)    = {loss}")
    for p in (w_h, b_h, w_z, b_z):
        label = f"  dL/d{p.name:<4} = "
        print(label + format_array(p.grad, prefix=label))


def add_graph_command(commands: argparse._SubParsersAction) -> None:
    """``graph [--out mlp] [--format svg|png]``: the computation graph of the slide's network."""
    command = commands.add_parser("graph", help="draw the slide's 2-2-1 network after backward, with graphviz")
    command.add_argument("--out", default="mlp", help="path of the picture, without extension (default: mlp)")
    command.add_argument("--format", choices=("svg", "png"), default="svg", help="picture format (default: svg)")
    command.set_defaults(run=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    """Write the slide network's graph after backward and print the path. Without graphviz's
    ``dot`` only the DOT text can be written: print its path and how to install graphviz."""
    network = slide_network()
    network.loss.backward()
    graph = tg.draw_graph(network.loss)
    dot_path = graph.save(f"{args.out}.dot")
    try:
        print(graph.render(filename=dot_path, outfile=f"{args.out}.{args.format}"))
    except GraphvizNotFound:
        print(dot_path)
        print(f"Wrote only the DOT text. {HOW_TO_INSTALL_GRAPHVIZ}", file=sys.stderr)
    return 0


def add_page_command(commands: argparse._SubParsersAction) -> None:
    """``page [--out backward.html] [--model slide|iris-step]``: step through backward in a browser."""
    command = commands.add_parser("page", help="write an HTML page that walks backward through a graph step by step")
    command.add_argument("--out", default="backward.html", help="path of the page (default: backward.html)")
    command.add_argument("--model", choices=tuple(EXAMPLES), default="slide",
                         help="slide: the deck's 2-2-1 network with BCE; iris-step: one Iris mini-batch "
                              "through a 4-16-3 MLP (default: slide)")
    command.set_defaults(run=run_page)


def run_page(args: argparse.Namespace) -> int:
    """Write the page and print its path; without graphviz's ``dot`` there is no picture to
    put in it, so say how to install graphviz and exit 2."""
    try:
        print(tg.write_backward_page(EXAMPLES[args.model](), args.out))
    except GraphvizNotFound:
        print(f"The page draws the graph with graphviz. {HOW_TO_INSTALL_GRAPHVIZ}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu",
        description="tinygrad_edu: autodiff to read end to end, and the momentum lecture's numbers.")
    parser.add_argument("--version", action="version", version=f"tinygrad_edu {tg.__version__}")
    parser.set_defaults(run=lambda args: worked_example())
    commands = parser.add_subparsers(dest="command", metavar="command")
    add_graph_command(commands)
    add_page_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args) or 0
