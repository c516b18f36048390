#!/usr/bin/env python3
"""Screenshots of the built page in headless Chromium, for the README and for looking
at the page as a user would: the desktop tabs, a phone (390 × 844), and present mode on
a 1920 × 1080 projector at 150 % zoom (a 1280 × 720 CSS viewport).

    python3 tests/e2e/screens.py --dist dist --out /tmp/shots [--only NAME]

Each shot waits for the page's job to finish. Uses check_page.py's WebDriver client.
"""

import argparse
import base64
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_page import browser, emulate, serve, wait_for  # noqa: E402

# (name, URL hash, CSS width, CSS height, device scale factor)
SHOTS = [
    ("desktop-kernel", "", 1400, 1000, 1),
    ("desktop-kernel-n2000", "n=2000", 1400, 1700, 1),
    ("desktop-convergence", "view=convergence", 1400, 1000, 1),
    ("desktop-training", "view=training", 1400, 1100, 1),
    ("desktop-generalization", "view=generalization", 1400, 1100, 1),
    ("desktop-memorization", "view=memorization", 1400, 2700, 1),
    ("desktop-robustness-preset", "preset=robustness", 1400, 2700, 1),
    ("desktop-wide-enough-preset", "preset=wide-enough", 1400, 2400, 1),
    ("desktop-streaming-sgd-preset", "preset=streaming-sgd", 1400, 3200, 1),
    ("desktop-generalization-by-distribution", "view=generalization&bydist=1&dist=gaussian&d=4", 1400, 2600, 1),
    ("desktop-cnn-preset", "preset=cnn", 1400, 1100, 1),
    ("desktop-xor-kernel-preset", "preset=xor-kernel", 1400, 1500, 1),
    ("desktop-spiral-lazy-rich-preset", "preset=spiral-lazy-rich", 1400, 1900, 1),
    ("desktop-kernel-unsure-preset", "preset=kernel-unsure", 1400, 1300, 1),
    ("phone-spiral-lazy-rich", "preset=spiral-lazy-rich", 390, 2600, 1),
    ("desktop-attention-preset", "preset=attention", 1400, 1100, 1),
    ("desktop-kan-preset", "preset=kan", 1400, 1100, 1),
    ("desktop-attention-sqrt", "preset=attention&arch=attn&tokens=4&scaling=sqrt&dist=gaussian&d=8&n=32&depth=1&widths=32%2C128%2C512&seeds=8", 1400, 1100, 1),
    ("desktop-cnn-kernel", "arch=cnn1&dist=bumps&d=16&n=32&depth=2&widths=16%2C64%2C256", 1400, 1000, 1),
    ("desktop-cnn2-training", "view=training&arch=cnn2&height=4&dist=bumps&d=16&n=32&depth=1&widths=16%2C64&target=autocorr", 1400, 1100, 1),
    ("phone", "", 390, 844, 2),
    ("phone-first-visit", "", 390, 844, 2),
    ("phone-controls", "", 390, 844, 2),
    ("phone-training", "view=training", 390, 844, 2),
    ("phone-wide-enough", "preset=wide-enough", 390, 2600, 1),
    ("present", "present=1", 1280, 720, 1.5),
    ("present-training", "present=1&view=training", 1280, 720, 1.5),
    ("present-plane", "preset=xor-kernel&present=1", 1280, 720, 1.5),
    ("zoom-150-without-present", "", 1280, 720, 1.5),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default="dist")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only")
    ap.add_argument("--full", action="store_true", help="the whole page, not the viewport")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    page, server = serve(args.dist)
    driver, chromedriver = browser(shutil.which("chromium") or "/usr/bin/chromium",
                                   shutil.which("chromedriver") or "/usr/bin/chromedriver",
                                   tempfile.mkdtemp(prefix="ntk-shots-"))
    try:
        for name, query, w, h, dpr in SHOTS:
            if args.only and args.only not in name:
                continue
            emulate(driver, w, h, dpr)
            driver.s("POST", "/url", {"url": f"{page}#{query}"})
            # A returning visitor, who dismissed the introduction, except on a first visit.
            if "first-visit" in name:
                driver.js("localStorage.removeItem('ntk-lab-intro')")
            else:
                driver.js("localStorage.setItem('ntk-lab-intro', 'dismissed')")
            driver.js("location.reload()")
            time.sleep(0.5)
            wait_for(driver, "return document.querySelector('#job-status')?.dataset.state === 'done'",
                     timeout=120, what=name)
            # The plane's play-head moves on after the job: the last frame is shown.
            wait_for(driver, "const p = document.getElementById('plane-status');"
                     " return !p || p.dataset.playing === 'false'", timeout=60, what=name)
            time.sleep(0.8)
            if name.endswith("-controls"):
                driver.js("document.getElementById('toggle-controls').click()")
                time.sleep(0.8)
            if args.full:
                height = driver.js("return document.documentElement.scrollHeight")
                emulate(driver, w, min(height, 5000), dpr)
                time.sleep(0.8)
            png = base64.b64decode(driver.s("GET", "/screenshot"))
            path = os.path.join(args.out, name + ".png")
            with open(path, "wb") as f:
                f.write(png)
            print(path)
    finally:
        driver.quit()
        chromedriver.terminate()
        server.shutdown()


if __name__ == "__main__":
    main()
