"""A real headless browser for the tests that measure what a reader sees: Debian's chromium driven
by selenium, with the viewport set exactly and browser zoom emulated.

``browser()`` is a pytest fixture body: it skips, saying how to enable it, where selenium, chromium
or chromedriver is missing (``.ci/run`` installs them: apt-get install chromium chromium-driver;
pip extra ``browser``).
"""

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator

import pytest

CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "", shutil.which("chromedriver") or ""
# Headless as root in a container: no sandbox, no GPU, no /dev/shm, and nothing phoning home.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1400,900")


def chromium() -> Iterator:
    """A selenium driver of headless chromium, quit afterwards; skips when any part is missing."""
    if importlib.util.find_spec("selenium") is None:
        pytest.skip("selenium is not installed: enable with pip install '.[browser]'")
    for program, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not program:
            pytest.skip(f"{package} is not installed: enable with apt-get install {package}")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def set_viewport(driver, width: int, height: int, zoom: float = 1.0) -> None:
    """A ``width`` × ``height`` screen (device pixels) with the browser zoomed to ``zoom``.

    Browser zoom (Ctrl +) makes one CSS px ``zoom`` device pixels, so the page lays out in a
    viewport of width/zoom × height/zoom CSS px: Chrome's device-metrics override does exactly that.
    """
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": round(width / zoom), "height": round(height / zoom), "deviceScaleFactor": zoom, "mobile": False})
    assert driver.execute_script("return [innerWidth, innerHeight, devicePixelRatio]") == [
        round(width / zoom), round(height / zoom), zoom]


def reset_viewport(driver) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# Every SVG <text> under ``root`` (a CSS selector): its font size and its box, in CSS px as laid out.
# The font size is the computed size in the SVG's user units times the scale from user units to the
# screen (the SVG's own pt-to-px scale and any fitting), the size a reader sees.
TEXT_METRICS = """
const root = document.querySelector(arguments[0]);
return Array.from(root.querySelectorAll("text")).filter((text) => text.textContent.trim()).map((text) => {
  const ctm = text.getScreenCTM(), box = text.getBoundingClientRect();
  return {text: text.textContent, px: parseFloat(getComputedStyle(text).fontSize) * Math.hypot(ctm.a, ctm.b),
          height: box.height, left: box.left, top: box.top, right: box.right, bottom: box.bottom};
});
"""


def text_metrics(driver, root: str = "svg") -> list[dict]:
    """The font size and box of every text under ``root``, in CSS px."""
    return driver.execute_script(TEXT_METRICS, root)
