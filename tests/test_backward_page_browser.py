"""The backward page in a real headless browser: Debian's chromium driven by selenium.

Skipped, with the reason shown, where selenium, chromium or chromedriver is missing
(``.ci/run`` installs them: apt-get install chromium chromium-driver; pip extra ``browser``). The page's
graph needs no system Graphviz.
"""

import re

import numpy as np
import pytest
from browser import chromium, reset_viewport, set_viewport, text_metrics
from page_parsing import parse_page

import tinygrad_edu as tg
from tinygrad_edu.autograd import node_ids
from tinygrad_edu.lecture.mlp import slide_network
from tinygrad_edu.lecture.page_examples import slide_loss

webdriver = pytest.importorskip("selenium.webdriver",
                                reason="selenium is not installed: enable with pip install '.[browser]'")
from selenium.webdriver.common.by import By  # noqa: E402  (only importable once selenium is known present)
from selenium.webdriver.common.keys import Keys  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    return tg.write_backward_page(slide_loss(), tmp_path_factory.mktemp("browser") / "backward.html")


@pytest.fixture
def page(browser, page_file):
    browser.get(page_file.as_uri())  # a fresh load for every test: position 0, backward mode
    return browser


def node_id(page_file, name):
    steps = parse_page(page_file.read_text(encoding="utf-8")).walks()["backward"]
    return next(step["node"] for step in steps if step["node_name"] == name)


def shown_grad(browser, page_file, name):
    """The numbers the page shows in the grad field of the node called ``name`` (none while hidden)."""
    texts = browser.find_element(By.ID, node_id(page_file, name)).find_elements(By.CSS_SELECTOR, "text.grad")
    shown = " ".join(text.text for text in texts)  # selenium reads only what is visible
    return np.array([float(number) for number in re.findall(r"-?\d+\.\d*(?:e-?\d+)?", shown)])


def press_next_to_the_end(browser):
    for _ in range(len(tg.trace_backward(slide_loss()))):
        browser.find_element(By.ID, "next").click()


def test_next_to_the_end_shows_the_engines_grads(page, page_file):
    press_next_to_the_end(page)
    network = slide_network()
    network.loss.backward()
    engine = dict(network.model.named_parameters())
    for name in ("0.weight", "1.bias"):
        np.testing.assert_allclose(shown_grad(page, page_file, name), engine[name].grad.reshape(-1), rtol=0,
                                   atol=5e-5, err_msg=name)  # the page prints 4 decimals
    assert page.find_element(By.ID, "position").text == "11 / 11"


def test_grads_are_hidden_until_their_step(page, page_file):
    assert shown_grad(page, page_file, "1.bias").size == 0
    for _ in range(3):  # the fourth step is add: from z back to 1.bias
        page.find_element(By.ID, "next").click()
    assert shown_grad(page, page_file, "1.bias").size == 0
    page.find_element(By.ID, "next").click()
    assert shown_grad(page, page_file, "1.bias").tolist() == [0.5449]
    assert page.find_element(By.CSS_SELECTOR, "g.current").get_attribute("id") == node_id(page_file, "1.bias")


def test_panel_shows_the_chain_rule_product_with_numbers(page):
    for _ in range(2):  # binary_cross_entropy, then sigmoid
        page.find_element(By.ID, "next").click()
    lines = [item.text for item in page.find_elements(By.CSS_SELECTOR, "#panel-lines li")]
    assert lines == ["sigmoid: from ŷ back to z", "upstream   dL/dŷ = [2.1972]",
                     "local      ∂ŷ/∂z = ŷ·(1 − ŷ) = [0.5449] · (1 − [0.5449]) = [0.2480]",
                     "product    dL/dz = dL/dŷ · ∂ŷ/∂z = [2.1972] · [0.2480] = [0.5449]"]


@pytest.fixture
def screen(browser, page_file):
    """Load the page on a screen of the given size and browser zoom; the window is put back afterwards."""
    def load(width: int, height: int, zoom: float = 1.0):
        set_viewport(browser, width, height, zoom)
        browser.get(page_file.as_uri())
        return browser
    yield load
    reset_viewport(browser)


def graph_text(browser) -> list[dict]:
    return text_metrics(browser, "#graph svg")


def test_at_1920_by_1080_the_graph_text_is_at_least_12_px(screen):
    texts = graph_text(screen(1920, 1080))
    assert len(texts) > 40  # every field of every box
    assert min(text["px"] for text in texts) >= 12
    assert min(text["height"] for text in texts) >= 12  # the laid-out line box, not only the attribute


@pytest.mark.parametrize("zoom", [1.25, 1.5, 2.0])
def test_browser_zoom_makes_the_graph_text_bigger_on_the_screen(screen, zoom):
    """Zoom makes a CSS px ``zoom`` device pixels and the viewport that much smaller in CSS px: a graph
    only fitted to the viewport would stay the same size on the screen (or shrink, as the panel grows)."""
    at_100 = min(text["px"] for text in graph_text(screen(1920, 1080)))
    zoomed = min(text["px"] for text in graph_text(screen(1920, 1080, zoom))) * zoom  # in device pixels
    assert zoomed >= 0.99 * zoom * at_100


IN_VIEW = """
const pane = document.getElementById("graph"), view = pane.getBoundingClientRect();
const inside = (g) => { const box = g.getBoundingClientRect();
  return box.width > 0 && box.left >= view.left - 0.5 && box.right <= view.right + 0.5
      && box.top >= view.top - 0.5 && box.bottom <= view.bottom + 0.5; };
return Array.from(document.querySelectorAll(arguments[0])).filter((g) => !inside(g)).map((g) => g.id);
"""


@pytest.mark.parametrize("mode, steps", [("backward", 11), ("forward", 14)])
def test_at_1024_by_768_each_step_scrolls_its_nodes_into_view(screen, mode, steps):
    page = screen(1024, 768)
    page.find_element(By.ID, f"mode-{mode}").click()
    assert page.execute_script(IN_VIEW, "#graph g.node")  # the graph is bigger than its pane: it scrolls
    for _ in range(steps):
        page.find_element(By.ID, "next").click()
        assert page.find_elements(By.CSS_SELECTOR, "g.current")
        assert page.execute_script(IN_VIEW, "g.current, g.source") == []
        panel = page.find_element(By.ID, "panel").rect
        assert panel["x"] + panel["width"] <= 1024 + 1  # the panel is on screen too (to a pixel's rounding)


def test_backward_starts_with_the_loss_in_view(screen, page_file):
    page = screen(1024, 768)
    root = parse_page(page_file.read_text(encoding="utf-8")).walks()["root"]
    assert page.execute_script(IN_VIEW, f"#{root}, #{node_id(page_file, 'ŷ')}") == []


def test_whole_graph_fits_every_node_into_the_pane_at_every_step_and_back(screen):
    page = screen(1024, 768)
    values = node_ids(slide_loss())
    drawn = len(values) + sum(value.grad_fn is not None for value in values)  # Values and operations
    assert len(page.find_elements(By.CSS_SELECTOR, "#graph g.node")) == drawn
    page.find_element(By.ID, "fit").click()
    assert page.find_element(By.ID, "fit").get_attribute("aria-pressed") == "true"
    for _ in range(len(tg.trace_backward(slide_loss())) + 1):
        assert page.execute_script(IN_VIEW, "#graph g.node") == []
        page.find_element(By.ID, "next").click()
    page.find_element(By.ID, "fit").click()  # and back to the natural size
    assert min(text["px"] for text in graph_text(page)) >= 12


def test_arrow_keys_walk_and_back_returns(page):
    body = page.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert page.find_element(By.ID, "position").text == "2 / 11"
    body.send_keys(Keys.ARROW_LEFT)
    page.find_element(By.ID, "back").click()
    page.find_element(By.ID, "back").click()  # stays at the start
    assert page.find_element(By.ID, "position").text == "0 / 11"


def test_forward_mode_reveals_values_in_order_and_reset_shows_the_bare_graph(page, page_file):
    page.find_element(By.ID, "mode-forward").click()
    data = page.find_elements(By.CSS_SELECTOR, "text.data")
    assert [text.text for text in data if text.text.strip()] == []  # no value computed yet
    page.find_element(By.ID, "next").click()
    assert page.find_element(By.CSS_SELECTOR, "#v0 text.data").text == "data [1., 2.]"
    assert page.find_element(By.ID, "position").text == "1 / 14"
    page.find_element(By.ID, "reset").click()
    assert page.find_element(By.CSS_SELECTOR, "#v0 text.data").text == ""
    assert page.find_elements(By.CSS_SELECTOR, "g.current") == []


def test_names_that_would_end_or_reopen_the_script_leave_the_page_working(browser, tmp_path):
    """Before the page escaped < > & in its JSON, '<!--<script>' swallowed the page's own script."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.name = "<!--<script>"
    y = x * 2
    y.name = "</script><script>document.title = 'replaced'</script>"
    loss = y.sum()
    loss.name = "&amp;"
    path = tg.write_backward_page(loss, tmp_path / "hostile.html", title="hostile names")
    browser.get(path.as_uri())
    steps = len(tg.trace_backward(loss))
    for _ in range(steps):
        browser.find_element(By.ID, "next").click()
    assert browser.find_element(By.ID, "position").text == f"{steps} / {steps}"
    assert browser.title == "hostile names"
    lines = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#panel-lines li")]
    assert lines[0] == f"mul: from {y.name} back to {x.name}"
    root = parse_page(path.read_text(encoding="utf-8")).walks()["root"]
    assert browser.find_element(By.CSS_SELECTOR, f"#{root} text").text == "&amp;"  # drawn as typed
