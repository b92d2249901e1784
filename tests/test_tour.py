"""The tour (``python -m tinygrad_edu``): every number the deck prints, reproduced and counted."""

import re
import sys
from dataclasses import replace

import pytest
from support import ROOT, path_without_graphviz, run_tinygrad_edu

from tinygrad_edu import cli
from tinygrad_edu.lecture import descent, expected
from tinygrad_edu.lecture.computed import computed_values, true_derivative_values
from tinygrad_edu.lecture.tour import at_precision, compare
from tinygrad_edu.viz.render import NO_SVG_RENDERER

VALUES = sum(len(entry.printed) for entry in expected.EXPECTED)  # one printed number = one value
DECK = [entry for entry in expected.EXPECTED if entry.deck_derivative]
# A line of the comparison: the label, ours, the slide's, the mark, and for a line the deck computes
# with its wrong derivative, "deck f′" and what the true derivative gives.
LINE = re.compile(r"^    (?P<label>.+?)  +(?P<ours>\S.*?)  +slide (?P<slide>.+?) +(?P<mark>[✓✗])"
                  r"(?: deck f′  true f′: (?P<true>.+))?$")


def comparison_lines(stdout: str) -> dict[str, re.Match]:
    """The tour's comparison lines, by label within their group (the labels repeat across tables)."""
    found, group = {}, None
    for line in stdout.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            group = line.strip()
        elif match := LINE.match(line):
            found[f"{group} / {match['label']}"] = match
    return found


@pytest.fixture(scope="module")
def tour_stdout(tmp_path_factory):
    result = run_tinygrad_edu(cwd=tmp_path_factory.mktemp("tour"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tour_is_the_default_and_reproduces_every_value(tour_stdout):
    assert f"\n{VALUES}/{VALUES} slide values reproduced\n" in tour_stdout
    assert "✗" not in tour_stdout
    lines = comparison_lines(tour_stdout)
    assert len(lines) == len(expected.EXPECTED) and all(line["mark"] == "✓" for line in lines.values())


def test_lines_computed_with_the_decks_derivative_are_marked_and_only_they(tour_stdout):
    lines = list(comparison_lines(tour_stdout).values())
    marked = [line["true"] is not None for line in lines]
    assert marked == [entry.deck_derivative for entry in expected.EXPECTED]
    assert sum(line.endswith("✓") for line in tour_stdout.splitlines()) == len(expected.EXPECTED) - len(DECK)
    assert len(DECK) == 65  # GD's 22 lines, momentum's 23, Nesterov's 20: every quartic table
    deck_values = sum(len(entry.printed) for entry in DECK)
    assert f"\n{deck_values} of them (deck f′) only with the deck's wrong derivative" in tour_stdout


def test_the_marked_lines_are_exactly_those_the_decks_derivative_changes(monkeypatch):
    """Stepping with the true derivative where the deck steps with its own changes every marked line
    and no other: the mark says which numbers depend on the deck's mistake."""
    deck = computed_values()
    monkeypatch.setattr(descent, "slide_derivative", descent.autograd_derivative(descent.quartic))
    true = computed_values()
    assert {key for key in deck if true.get(key) != deck[key]} == {entry.key for entry in DECK}
    assert {key: value for key, value in true.items() if key in deck and value != deck[key]} == {
        key: value for key, value in true_derivative_values().items() if not isinstance(value, str)}


def true_gradient_descent(rule: str, gamma: float) -> list[float]:
    """The iterates of the deck's ``rule`` with the true derivative, written out here in plain floats."""
    def derivative(x):
        return 4 * x**3 + 3 * x**2 - 4 * x - 2

    x, v, xs = -2.0, 0.0, []
    for _ in range(20):
        if rule == "gd":
            x -= 0.1 * derivative(x)
        elif rule == "momentum":
            v = gamma * v + 0.1 * derivative(x)
            x -= v
        else:
            v = gamma * v - 0.1 * derivative(x + gamma * v)
            x += v
        xs.append(x)
        if abs(descent.quartic(x)) > 1e6:
            break
    return xs


@pytest.mark.parametrize("group, rule, gamma", [("gd_quartic", "gd", 0.0), ("momentum", "momentum", 0.8),
                                                ("nesterov", "nesterov", 0.9)])
def test_beside_each_marked_table_row_is_what_the_true_derivative_gives(tour_stdout, group, rule, gamma):
    xs = true_gradient_descent(rule, gamma)
    title = expected.GROUPS[group][1]
    lines = comparison_lines(tour_stdout)
    for epoch in range(20):
        true = lines[f"{title} / Epoch: {epoch:02d}"]["true"]
        if epoch < len(xs):
            x = xs[epoch]
            assert true == f"f({x:.3f}) = {descent.quartic(x):.5f}", (group, epoch)
        elif epoch == len(xs):  # the run diverged: the first row after says where, the rest that it did
            assert true.startswith(f"diverged at epoch {len(xs) - 1:02d}: x = {xs[-1]:.2f}, f(x) = "), true
        else:
            assert true == "(diverged)"
    assert (len(xs) < 20) == (group == "nesterov")  # only Nesterov's step is too large for the true gradient


def test_gradient_descent_with_the_true_derivative_stops_at_the_true_local_minimum(tour_stdout):
    title = expected.GROUPS["gd_quartic"][1]
    last = comparison_lines(tour_stdout)[f"{title} / Epoch: 19"]
    assert last["slide"] == "f(-1.443) = 2.05258" and last["true"] == "f(-1.232) = 1.86218"


def test_tour_writes_the_graph_and_the_trajectories_and_prints_their_paths(tmp_path):
    pytest.importorskip("matplotlib", reason="the trajectories need matplotlib: enable with pip install '.[plot]'")
    result = run_tinygrad_edu("tour", "--out-dir", "pictures", cwd=tmp_path, path=path_without_graphviz(tmp_path))
    assert result.returncode == 0, result.stderr
    svg, png = tmp_path / "pictures" / "slide_network.svg", tmp_path / "pictures" / "quartic_trajectories.png"
    assert svg.read_text().lstrip().startswith("<?xml") and "0.weight" in svg.read_text()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "pictures/slide_network.svg" in result.stdout and "pictures/quartic_trajectories.png" in result.stdout


def test_tour_draws_its_graph_as_svg_without_dot(tmp_path):
    result = run_tinygrad_edu("tour", cwd=tmp_path, path=path_without_graphviz(tmp_path))
    assert result.returncode == 0, result.stderr
    svg = tmp_path / "tinygrad_edu_out" / "slide_network.svg"
    assert "the slide network's graph after backward: tinygrad_edu_out/slide_network.svg\n" in result.stdout
    assert "0.weight" in svg.read_text(encoding="utf-8")
    assert not (tmp_path / "tinygrad_edu_out" / "slide_network.dot").exists()


def test_tour_without_any_renderer_writes_the_dot_file_says_how_to_get_a_picture_and_exits_0(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", path_without_graphviz(tmp_path))
    monkeypatch.setitem(sys.modules, "wasmtime", None)  # as on a platform wasmtime has no wheel for
    assert cli.main(["tour", "--out-dir", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "slide_network.dot").exists()
    assert not (tmp_path / "out" / "slide_network.svg").exists()
    assert f"out/slide_network.dot (only the DOT text: {NO_SVG_RENDERER})" in capsys.readouterr().out


@pytest.mark.parametrize("out_dir, message", [("a_file", "cannot write --out-dir 'a_file': File exists"),
                                              ("a_file/sub", "cannot write --out-dir 'a_file/sub': Not a directory"),
                                              ("", "--out-dir must name a directory, got ''")])
def test_an_out_dir_that_cannot_be_a_directory_exits_2_with_one_line_before_anything_runs(tmp_path, out_dir,
                                                                                           message):
    (tmp_path / "a_file").write_text("keep me")
    result = run_tinygrad_edu("tour", "--out-dir", out_dir, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"tinygrad-edu tour: error: {message}\n" and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"] and (tmp_path / "a_file").read_text() == "keep me"


def test_one_altered_slide_value_is_marked_and_the_tour_exits_1(tmp_path, monkeypatch, capsys):
    altered = tuple(replace(entry, printed=("0.7873",)) if entry.key == "loss.bce" else entry
                    for entry in expected.EXPECTED)
    monkeypatch.setattr(expected, "EXPECTED", altered)
    assert cli.main(["tour", "--out-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "BCELoss(y_pred, y = 0)" in line]
    assert re.search(r"0\.7872\s+slide 0\.7873\s+✗$", line)
    assert out.count("✗") == 1
    assert f"\n{VALUES - 1}/{VALUES} slide values reproduced\n" in out


def test_an_altered_value_on_a_marked_line_is_marked_wrong_and_keeps_its_deck_mark(tmp_path, monkeypatch, capsys):
    altered = tuple(replace(entry, printed=("0.693", "0.21724")) if entry.key == "nesterov.19" else entry
                    for entry in expected.EXPECTED)
    monkeypatch.setattr(expected, "EXPECTED", altered)
    assert cli.main(["tour", "--out-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "slide f(0.693) = 0.21724" in line]
    assert line.endswith("✗ deck f′  true f′: (diverged)")
    assert f"\n{VALUES - 1}/{VALUES} slide values reproduced\n" in out


def test_every_expected_value_is_computed_with_as_many_numbers_as_the_slide_prints():
    computed = computed_values()
    assert set(computed) == {entry.key for entry in expected.EXPECTED}
    for entry in expected.EXPECTED:
        assert len(computed[entry.key]) == len(entry.printed), entry.key
        assert all(compare(entry, computed[entry.key])), entry.key


def test_expected_values_follow_the_decks_order_of_groups():
    order = list(expected.GROUPS)
    positions = [order.index(entry.group) for entry in expected.EXPECTED]
    assert positions == sorted(positions)
    assert set(positions) == set(range(len(order)))


def test_expected_table_entries_print_back_as_the_slides_tables():
    for run, table in (("gd_parabola", expected.GD_PARABOLA_TABLE), ("gd_quartic", expected.GD_QUARTIC_TABLE),
                       ("momentum", expected.MOMENTUM_QUARTIC_TABLE), ("nesterov", expected.NESTEROV_QUARTIC_TABLE)):
        entries = [entry for entry in expected.EXPECTED if re.fullmatch(rf"{run}\.\d\d", entry.key)]
        assert [f"Epoch: {e.key[-2:]} -- f({e.printed[0]}) = {e.printed[1]}" for e in entries] == table.splitlines()


def test_the_deck_prints_221_numbers_we_reproduce():
    # 50 in part 1 (the summary's 20, 3 forward, 9 backward, 6 activations, 3 losses, 9 after the SGD
    # step), 171 in parts 2–3 (four tables of 20 rows × 2, plus 11 worked numbers).
    assert VALUES == 221


def test_the_readme_and_the_tutorial_state_the_count_the_tour_prints():
    assert f"`{VALUES}/{VALUES} slide values reproduced`" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"prints all {VALUES} numbers" in (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("value, printed, shown", [
    (0.5448789, "0.5449", "0.5449"), (-0.0, "0.0000", "0.0000"), (12, "12", "12"), (-1, "-1", "-1"),
    (-0.6528, "-0.65", "-0.65"), (7.6e-06, "0.00", "0.00"), (2.048, "2.05", "2.05"),
])
def test_a_number_is_shown_with_the_slides_number_of_decimals(value, printed, shown):
    assert at_precision(value, printed) == shown


def test_the_readme_says_where_gradient_descent_stops_with_the_numbers_computed():
    true_minimum = descent.minimisers(descent.quartic)[0]  # the left valley, where GD from x₀ = -2 stays
    deck_rest = descent.stationary_points(descent.slide_derivative)[0]
    assert descent.run("gd", descent.quartic).xs[-1] == pytest.approx(true_minimum, abs=5e-4)
    assert descent.run("gd", descent.quartic, descent.slide_derivative).xs[-1] == pytest.approx(deck_rest, abs=5e-4)
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    claim = f"stops at the true local minimum, x = {true_minimum:.3f}, not at {deck_rest:.3f}"
    assert claim.replace("-", "−") in readme
