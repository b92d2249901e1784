"""Make docs/backward_page.png: the slide network's backward page, three steps into the walk.

Needs selenium and Debian's chromium and chromium-driver. Run from the repository root:
``python docs/backward_page_screenshot.py``.
"""

import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

import tinygrad_edu as tg
from tinygrad_edu.lecture.page_examples import slide_loss

DOCS = Path(__file__).resolve().parent
STEPS = 2  # step 2, the sigmoid: dL/dz = dL/dŷ · ∂ŷ/∂z, with its rule ŷ·(1 − ŷ) worked out
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1024,768")


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        page = tg.write_backward_page(slide_loss(), Path(work) / "backward.html")
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in FLAGS + (f"--user-data-dir={work}/profile",):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options)
        try:
            inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
            driver.set_window_size(2 * 1024 - inner[0], 2 * 768 - inner[1])  # a 1024×768 viewport, frame aside
            driver.get(page.as_uri())
            for _ in range(STEPS):
                driver.find_element(By.ID, "next").click()
            driver.save_screenshot(str(DOCS / "backward_page.png"))
        finally:
            driver.quit()
    print(DOCS / "backward_page.png")


if __name__ == "__main__":
    main()
