"""The command line: ``python -m tinygrad_edu`` (or ``tinygrad-edu``) and its sub-commands.

    tinygrad-edu [tour [--out-dir DIR]]      every number of the deck, beside the slide's
    tinygrad-edu optimize --rule nesterov    one of the slides' 20-epoch tables
    tinygrad-edu train-iris                  the Iris MLP, with progress and a confusion matrix
    tinygrad-edu check-derivative            check_derivative on the slide's quartic
    tinygrad-edu curvature                   Part 4: second derivatives explain the runs; Newton's method
    tinygrad-edu graph                       the slide network's graph after backward
    tinygrad-edu page                        step through backward in a browser
    tinygrad-edu exercises start|check|reset graded exercises (tinygrad_edu/course/)

Each sub-command is an ``add_*_command`` (its arguments) and a ``run_*`` (its
work, through the public API). ``main`` returns the exit code, for every command:
0 done (a run that diverges is a result: it says so and exits 0); 1 the check ran
and found something wrong (a slide value not reproduced, a derivative that
disagrees with finite differences); 2 a usage or I/O error, in one line on stderr
(argparse prints the usage line first), never a traceback; 130 stopped by Ctrl-C,
in one line on stderr. On a terminal that cannot show the deck's symbols (x², η,
✓) they are spelled in ASCII (x^2, eta, ok): see ``terminal.py``.
"""

from __future__ import annotations

import _thread
import argparse
import functools
import math
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import tinygrad_edu as tg
from tinygrad_edu import interrupts, terminal
from tinygrad_edu.course.cli import add_exercises_command
from tinygrad_edu.lecture import descent, expected, iris
from tinygrad_edu.lecture.page_examples import EXAMPLES
from tinygrad_edu.lecture.progress import ProgressLine
from tinygrad_edu.lecture.tour import tour, write_slide_graph
from tinygrad_edu.viz.layout import FIELDS, FULL, PROJECTOR, RANKDIRS

DEFAULT_OUT_DIR = "tinygrad_edu_out"
DEFAULT_POINTS = (-2.0, -1.0, 0.0, 0.5, 1.0, 2.0)


def fail(command: str, message: str) -> int:
    """One line on stderr for an I/O error or a missing tool, and exit code 2."""
    print(f"tinygrad-edu {command}: error: {message}", file=sys.stderr)
    return 2


def cannot_write(command: str, argument: str, given: str, error: OSError) -> int:
    """``fail`` for an OSError while writing what ``argument`` names, e.g. ``--out 'FILE/x'``."""
    return fail(command, f"cannot write {argument} {given!r}: {error.strerror or error}")


# ---------------------------------------------------------------- argument types
# Each raises ArgumentTypeError, which argparse turns into its usage line and one error line.
# The bounds keep every run finite in time and memory (a 21-digit --epochs, a hidden layer
# of 2·10⁹ units) and every number finite (x⁴ of 1e308 overflows); each --help states them.

MAX_EPOCHS = 10**6
MAX_HIDDEN = 4096
MAX_COORDINATE = 1e6  # |--start| and |--points|
MAX_LEARNING_RATE = 10.0
MAX_SEED = 2**32 - 1
MOMENTUM_BOUNDS = "0 ≤ γ < 1"


def float_argument(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def int_argument(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def bounded(parse: Callable[[str], float], inside: Callable[[float], bool], bounds: str) -> Callable[[str], float]:
    """An argparse type: ``parse`` the text, then require ``inside(value)``, else say ``bounds``."""
    def argument(text: str) -> float:
        value = parse(text)
        if not inside(value):
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return argument


learning_rate = bounded(float_argument, lambda lr: 0 < lr <= MAX_LEARNING_RATE, f"in (0, {MAX_LEARNING_RATE:g}]")
momentum_float = bounded(float_argument, lambda gamma: 0 <= gamma < 1, "in [0, 1)")
coordinate = bounded(float_argument, lambda x: abs(x) <= MAX_COORDINATE,
                     f"between -{MAX_COORDINATE:,.0f} and {MAX_COORDINATE:,.0f}")
epochs_int = bounded(int_argument, lambda n: 1 <= n <= MAX_EPOCHS, f"from 1 to {MAX_EPOCHS:,}")
hidden_int = bounded(int_argument, lambda n: 1 <= n <= MAX_HIDDEN, f"from 1 to {MAX_HIDDEN:,}")
seed_int = bounded(int_argument, lambda n: 0 <= n <= MAX_SEED, f"from 0 to {MAX_SEED:,}")


def add_step_arguments(command: argparse.ArgumentParser, lr: float, momentum: float | None, momentum_help: str,
                       epochs: int) -> None:
    """``--lr``, ``--momentum`` and ``--epochs``, which optimize and train-iris both take."""
    command.add_argument("--lr", type=learning_rate, default=lr,
                         help=f"learning rate η, 0 < η ≤ {MAX_LEARNING_RATE:g} (default: {lr})")
    command.add_argument("--momentum", type=momentum_float, default=momentum, help=momentum_help)
    command.add_argument("--epochs", type=epochs_int, default=epochs,
                         help=f"number of epochs, one step each, 1 to {MAX_EPOCHS:,} (default: {epochs})")


# ---------------------------------------------------------------- tour

def add_tour_command(commands: argparse._SubParsersAction) -> None:
    """``tour [--out-dir DIR]``: also what runs when no command is given."""
    command = commands.add_parser(
        "tour", help="reproduce every number the deck prints, beside the slide's (the default)",
        description="Compute every number the slides print, show each beside the slide's value with ✓ or ✗, "
                    "then draw the slide network's graph and the optimizers' trajectories. "
                    "Exit code 1 if a value is not reproduced.")
    command.add_argument("--out-dir", default=DEFAULT_OUT_DIR,
                         help=f"where the pictures go (default: {DEFAULT_OUT_DIR}/)")
    command.set_defaults(run=run_tour)


def make_out_dir(command: str, out_dir: str) -> int | None:
    """Create ``--out-dir`` (and its parents); exit code 2, with one line, when it cannot be a directory."""
    if not out_dir:
        return fail(command, "--out-dir must name a directory, got ''")
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return cannot_write(command, "--out-dir", out_dir, error)
    return None


def run_tour(args: argparse.Namespace) -> int:
    """The tour; a ``--out-dir`` that is not (and cannot become) a directory is exit 2 before anything runs,
    so that exit 1 only ever means a slide value not reproduced."""
    refused = make_out_dir("tour", args.out_dir)
    if refused is not None:
        return refused
    try:
        # ``expected.EXPECTED`` is looked up now, not at import: the tests' seam for a wrong slide value.
        return tour(Path(args.out_dir), expected.EXPECTED)
    except OSError as error:
        return cannot_write("tour", "--out-dir", args.out_dir, error)


# ---------------------------------------------------------------- optimize

OBJECTIVES = {  # name → (f, its text, the derivative used (None: autograd's), the derivative's text)
    "parabola": (descent.parabola, "x²", descent.parabola_derivative, "the slide's derivative 2x"),
    "quartic": (descent.quartic, "x⁴ + x³ − 2x² − 2x + 2", None, "autograd's derivative 4x³ + 3x² − 4x − 2"),
    "quartic-slide": (descent.quartic, "x⁴ + x³ − 2x² − 2x + 2", descent.slide_derivative,
                      "the slide's derivative 4x³ + 3x² − 4x (it drops the −2)"),
}
DEFAULT_MOMENTUM = {"momentum": 0.8, "nesterov": 0.9}


def add_optimize_command(commands: argparse._SubParsersAction) -> None:
    """``optimize --rule {gd,momentum,nesterov} [--lr] [--momentum] [--epochs] [--start] [--objective]``."""
    command = commands.add_parser(
        "optimize", help="run one of the slides' update rules and print its table",
        description="Minimise a function of one variable as parts 2 and 3 of the slides do, printing "
                    "'Epoch: NN -- f(x) = value' after each step; stop with 'diverged at epoch NN' "
                    "when the run blows up.")
    command.add_argument("--rule", required=True, choices=tuple(descent.RULES),
                         help="gd: x ← x − ηg; momentum: v ← γv + ηg, x ← x − v; "
                              "nesterov: v ← γv − ηg(x + γv), x ← x + v")
    defaults = ", ".join(f"{value} for {rule}" for rule, value in DEFAULT_MOMENTUM.items())
    add_step_arguments(command, descent.LEARNING_RATE, None,
                       f"γ, {MOMENTUM_BOUNDS}, for momentum and nesterov only (default: {defaults})", descent.EPOCHS)
    command.add_argument("--start", type=coordinate, default=descent.START,
                         help=f"starting point x₀, |x₀| ≤ {MAX_COORDINATE:,.0f} (default: {descent.START})")
    command.add_argument("--objective", choices=tuple(OBJECTIVES), default="quartic-slide",
                         help="parabola: x²; quartic: x⁴ + x³ − 2x² − 2x + 2 with autograd's derivative; "
                              "quartic-slide: the same with the slide's derivative (default)")
    command.set_defaults(run=run_optimize, parser=command)


def run_optimize(args: argparse.Namespace) -> int:
    if args.rule == "gd" and args.momentum is not None:
        args.parser.error("--momentum does not apply to --rule gd: plain gradient descent keeps no velocity")
    momentum = DEFAULT_MOMENTUM.get(args.rule, 0.0) if args.momentum is None else args.momentum
    objective, objective_text, derivative, derivative_text = OBJECTIVES[args.objective]
    settings = f"x₀ = {args.start}, η = {args.lr}" + (f", γ = {momentum}" if args.rule != "gd" else "")
    rule = descent.RULES[args.rule]
    print(f"{rule[0].upper()}{rule[1:]} on f(x) = {objective_text} with {derivative_text}")
    print(f"{settings}, {args.epochs} epochs")
    result = descent.run(args.rule, objective, derivative, start=args.start, lr=args.lr, momentum=momentum,
                        epochs=args.epochs)
    print("\n".join(result.rows()))
    if result.diverged_at is not None:
        print(descent.divergence_note(result))
    return 0


# ---------------------------------------------------------------- train-iris

def add_train_iris_command(commands: argparse._SubParsersAction) -> None:
    """``train-iris [--lr] [--momentum] [--epochs] [--hidden] [--seed]``."""
    command = commands.add_parser(
        "train-iris", help="train the Iris MLP and print test accuracy and the confusion matrix",
        description="Train an MLP 4-hidden-3 (Tanh) on 120 Iris flowers with CrossEntropyLoss and SGD with "
                    "momentum, one full-batch step an epoch, then test it on the other 30; stop with "
                    "'diverged at epoch N' if the loss becomes inf or NaN.")
    add_step_arguments(command, iris.LEARNING_RATE, iris.MOMENTUM,
                       f"SGD momentum γ, {MOMENTUM_BOUNDS} (default: {iris.MOMENTUM})",
                       iris.EPOCHS)
    command.add_argument("--hidden", type=hidden_int, default=iris.HIDDEN,
                         help=f"hidden units, 1 to {MAX_HIDDEN:,} (default: {iris.HIDDEN})")
    command.add_argument("--seed", type=seed_int, default=0,
                         help=f"picks the train/test split and the initial weights, 0 to {MAX_SEED:,} (default: 0)")
    command.set_defaults(run=run_train_iris)


def run_train_iris(args: argparse.Namespace) -> int:
    print(f"Iris: MLP 4-{args.hidden}-3 (Tanh), CrossEntropyLoss, SGD lr {args.lr} momentum {args.momentum}, "
          f"{args.epochs} full-batch epochs on 120 flowers, seed {args.seed}")
    progress = ProgressLine(args.epochs)

    def show(report: iris.EpochReport) -> None:
        progress.update(report.epoch, f"epoch {report.epoch:>{len(str(report.epochs))}}/{report.epochs}  "
                                      f"loss {report.loss:.4f}  train accuracy {report.train_accuracy:.4f}")

    try:
        result = iris.train_iris(args.epochs, args.hidden, args.lr, args.momentum, args.seed, on_epoch=show)
    finally:
        progress.close()  # after Ctrl-C too: what follows starts on a line of its own
    if result.diverged_at is not None:  # a result, not an error: the learning rate is too large
        print(f"diverged at epoch {result.diverged_at}: loss = {result.losses[-1]}")
        return 0
    print(f"test accuracy: {result.correct}/{len(result.test_labels)} = {result.test_accuracy:.4f}")
    print("confusion matrix (rows: true species, columns: predicted):")
    print(iris.format_confusion(result))
    return 0


# ---------------------------------------------------------------- check-derivative

def add_check_derivative_command(commands: argparse._SubParsersAction) -> None:
    """``check-derivative [--points …]``."""
    command = commands.add_parser(
        "check-derivative", help="check the slide's derivative of the quartic against finite differences",
        description="Run check_derivative on f(x) = x⁴ + x³ − 2x² − 2x + 2 and the slide's f'(x) = 4x³ + 3x² − 4x, "
                    "printing each point where they disagree. Exit code 0 if they agree at every point, "
                    "1 if they disagree at one or more.")
    command.add_argument("--points", nargs="+", type=coordinate, default=list(DEFAULT_POINTS), metavar="X",
                         help=f"where to check, each |X| ≤ {MAX_COORDINATE:,.0f} (default: "
                              + " ".join(f"{x:g}" for x in DEFAULT_POINTS) + ")")
    command.set_defaults(run=run_check_derivative)


def run_check_derivative(args: argparse.Namespace) -> int:
    print("check_derivative(f, f', points): f(x) = x⁴ + x³ − 2x² − 2x + 2, the slide's f'(x) = 4x³ + 3x² − 4x")
    mismatches = tg.check_derivative(descent.quartic, descent.slide_derivative, args.points)
    for mismatch in mismatches:
        print(mismatch)
    if not mismatches:
        print(f"f' agrees with the central difference at all {len(args.points)} points.")
        return 0
    print(f"{len(mismatches)} of {len(args.points)} points disagree. d/dx(x⁴ + x³ − 2x² − 2x + 2) = "
          "4x³ + 3x² − 4x − 2: the slide's derivative drops the −2 of −2x.")
    return 1  # the check ran and found the derivative wrong


# ---------------------------------------------------------------- curvature

def add_curvature_command(commands: argparse._SubParsersAction) -> None:
    """``curvature [--out-dir DIR] [--no-pictures]``: Part 4 of the lecture, computed."""
    command = commands.add_parser(
        "curvature", help="Part 4: the Hessian explains momentum, the deck's runs and Newton's method",
        description="Compute with the engine's second derivatives the bowl's Hessian, its bounds and best "
                    "settings with their rates, the deck's quartic runs and the curvature along them, and "
                    "Newton's method; show each value beside the closed form it must equal with ✓ or ✗, then "
                    "draw the pictures. Exit code 1 if a value disagrees.")
    command.add_argument("--out-dir", default=DEFAULT_OUT_DIR,
                         help=f"where the pictures go (default: {DEFAULT_OUT_DIR}/)")
    command.add_argument("--no-pictures", action="store_true", help="print the values only, draw nothing")
    command.set_defaults(run=run_curvature)


def run_curvature(args: argparse.Namespace) -> int:
    """Part 4; a ``--out-dir`` that cannot be a directory is exit 2 before anything runs, as for the tour."""
    from tinygrad_edu.lecture import curvature_report

    refused = None if args.no_pictures else make_out_dir("curvature", args.out_dir)
    if refused is not None:
        return refused
    try:
        return curvature_report.report(None if args.no_pictures else Path(args.out_dir))
    except OSError as error:
        return cannot_write("curvature", "--out-dir", args.out_dir, error)


# ---------------------------------------------------------------- graph and page (their owners' sections)

PICTURE_FORMATS = ("svg", "png")


def add_graph_command(commands: argparse._SubParsersAction) -> None:
    """``graph [--out mlp.svg] [--format svg|png]``: the computation graph of the slide's network."""
    command = commands.add_parser(
        "graph", help="draw the slide's 2-2-1 network after backward",
        description="Draw the slide network's computation graph after backward. SVG needs nothing but pip "
                    "(Graphviz compiled to WebAssembly); PNG needs Graphviz's dot program.")
    command.add_argument("--out", default="mlp",
                         help="path of the picture; .svg or .png is added unless it ends in one; a folder "
                              "(one that exists, or a path ending in /) gets mlp.svg or mlp.png inside it "
                              "(default: mlp)")
    command.add_argument("--format", choices=PICTURE_FORMATS, default=None,
                         help="picture format (default: the suffix of --out, else svg)")
    layout = command.add_argument_group(
        "layout", "the default fits a 1920×1080 projector with text of 12 px or more; --full draws everything")
    layout.add_argument("--full", action="store_true",
                        help="the full graph: left to right, every transpose drawn, dtypes shown, "
                             "Graphviz's rank spacing, no legend (the options below still apply)")
    layout.add_argument("--rankdir", choices=RANKDIRS, default=None,
                        help="direction of the arrows: TB top to bottom (default), LR left to right")
    layout.add_argument("--fold-transpose", action=argparse.BooleanOptionalAction, default=None,
                        help="draw W.T as an arrow labelled 'transposed' into the matmul (default: on)")
    layout.add_argument("--dtype", action=argparse.BooleanOptionalAction, default=None,
                        help="print each Value's dtype under its shape (default: off)")
    layout.add_argument("--ranksep", type=float, default=None,
                        help="gap between ranks in inches, a positive finite number (default: 0.25; "
                             "Graphviz's own is 0.5)")
    layout.add_argument("--legend", action=argparse.BooleanOptionalAction, default=None,
                        help="a box of each kind with what it means (default: on)")
    layout.add_argument("--fields", choices=FIELDS, default=None,
                        help="a Value's name, data and grad side by side (row, the default) or one under "
                             "the other (column)")
    command.set_defaults(run=run_graph)


def graph_options(args: argparse.Namespace) -> dict:
    """``draw_graph``'s layout options from the command line: the projector's, or with ``--full``
    the full graph's, then each option given on top. ValueError for a ranksep that is not a
    positive finite number (inf, 1e999 and nan parse as floats)."""
    options = dict(FULL if args.full else PROJECTOR)
    given = {"rankdir": args.rankdir, "fold_transpose": args.fold_transpose, "show_dtype": args.dtype,
             "ranksep": args.ranksep, "legend": args.legend, "fields": args.fields}
    options.update((key, value) for key, value in given.items() if value is not None)
    if options["ranksep"] is not None and not (math.isfinite(options["ranksep"]) and options["ranksep"] > 0):
        raise ValueError(f"--ranksep must be a positive number of inches (finite), got {options['ranksep']}")
    return options


def names_a_folder(out: str) -> bool:
    """Does ``--out`` name a folder: one that exists, or a path ending in a separator? The file then
    goes inside it, as ``cp FILE FOLDER`` puts it."""
    return os.path.isdir(out) or out.endswith(tuple(filter(None, (os.sep, os.altsep))))


def picture_path(out: str, format: str | None) -> tuple[Path, str]:
    """``--out`` and ``--format`` as (the path to write, its format): ``mlp`` → ``mlp.svg``,
    ``mlp.svg`` stays ``mlp.svg``, ``mlp.png`` is a PNG, a folder gets ``mlp.svg`` inside it.
    ValueError when they disagree."""
    if names_a_folder(out):
        return Path(out) / f"mlp.{format or 'svg'}", format or "svg"
    path = Path(out)
    suffix = path.suffix[1:].lower()
    if suffix not in PICTURE_FORMATS:
        format = format or "svg"
        return path.with_name(f"{path.name}.{format}"), format
    if format is not None and format != suffix:
        raise ValueError(f"--out {out!r} ends in .{suffix} but --format is {format}")
    return path, suffix


def run_graph(args: argparse.Namespace) -> int:
    """Write the slide network's graph after backward and print the path. Without any SVG renderer
    only the DOT text can be written: print its path, and how to get a picture on stderr."""
    from tinygrad_edu.viz.render import GraphvizNotFound  # graphviz loads only when a picture is drawn

    if not args.out:
        return fail("graph", "--out must name a file, got ''")
    try:
        path, format = picture_path(args.out, args.format)
        options = graph_options(args)
    except ValueError as error:
        return fail("graph", str(error))
    try:
        written, hint = write_slide_graph(path, format, options)
    except GraphvizNotFound as missing:  # PNG without a system dot: nothing written
        return fail("graph", str(missing))
    except OSError as error:
        return cannot_write("graph", "--out", args.out, error)
    print(written)
    if hint is not None:
        print(f"Wrote only the DOT text. {hint}", file=sys.stderr)
    return 0


def add_page_command(commands: argparse._SubParsersAction) -> None:
    """``page [--out backward.html] [--model slide|iris-step]``: step through backward in a browser."""
    command = commands.add_parser("page", help="write an HTML page that walks backward through a graph step by step")
    command.add_argument("--out", default="backward.html",
                         help="path of the page; a folder (one that exists, or a path ending in /) gets "
                              "backward.html inside it (default: backward.html)")
    command.add_argument("--model", choices=tuple(EXAMPLES), default="slide",
                         help="slide: the deck's 2-2-1 network with BCE; iris-step: one Iris mini-batch "
                              "through a 4-16-3 MLP (default: slide)")
    command.set_defaults(run=run_page)


def run_page(args: argparse.Namespace) -> int:
    """Write the page and print its path; without any SVG renderer there is no picture to put in
    it, so say how to get one and exit 2."""
    from tinygrad_edu.viz.render import GraphvizNotFound

    if not args.out:
        return fail("page", "--out must name a file, got ''")
    path = Path(args.out) / "backward.html" if names_a_folder(args.out) else Path(args.out)
    try:
        print(tg.write_backward_page(EXAMPLES[args.model](), path))
    except GraphvizNotFound as missing:
        return fail("page", f"the page draws the graph as SVG. {missing}")
    except OSError as error:
        return cannot_write("page", "--out", args.out, error)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=interrupts.PROGRAM,
        description="tinygrad_edu: autodiff to read end to end, and the momentum lecture's numbers. "
                    "Without a command, runs the tour.")
    parser.add_argument("--version", action="version", version=f"tinygrad_edu {tg.__version__}")
    parser.set_defaults(run=run_tour, out_dir=DEFAULT_OUT_DIR)
    commands = parser.add_subparsers(dest="command", metavar="command")
    add_tour_command(commands)
    add_optimize_command(commands)
    add_train_iris_command(commands)
    add_check_derivative_command(commands)
    add_curvature_command(commands)
    add_graph_command(commands)
    add_page_command(commands)
    add_exercises_command(commands)
    return parser


def redeliver_lost_interrupts(unraisable, report_others: Callable = sys.__unraisablehook__) -> None:
    """A ``sys.unraisablehook``: a Ctrl-C that lands while Python runs a gc callback or a ``__del__``
    is printed there ("Exception ignored in …") and dropped, and the command would run on (the
    exercises' grader runs hypothesis, which keeps a gc callback). Deliver it again instead, from
    another thread a moment later: raised in this hook, it would be dropped again."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        again = threading.Timer(0.05, _thread.interrupt_main)
        again.daemon = True
        again.start()
    else:
        report_others(unraisable)


def main(argv: list[str] | None = None) -> int:
    terminal.spell_in_ascii(sys.stdout)  # before --help too: it prints η, γ and ≤
    terminal.spell_in_ascii(sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    command = f"{parser.prog} {args.command}" if args.command else parser.prog
    hook = sys.unraisablehook
    sys.unraisablehook = functools.partial(redeliver_lost_interrupts, report_others=hook)
    interrupts.command_line_started()  # until here, Ctrl-C exited at once: see interrupts.py
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:  # Ctrl-C: one line, and the code a shell gives a program stopped by SIGINT
        return interrupts.interrupted(command)
    except BrokenPipeError:
        # The reader stopped early (``tinygrad-edu | head``): not an error, and Python would
        # otherwise print one more traceback when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # a file that cannot be written or read: one line, as argparse's errors
        print(f"{command}: error: {error}", file=sys.stderr)
        return 2
    finally:
        sys.unraisablehook = hook
