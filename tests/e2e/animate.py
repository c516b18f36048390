#!/usr/bin/env python3
"""An animated image of the "Learning on the plane" maps for the README: the page's
release build in headless Chromium, a preset's run, one element screenshot of the maps
per frame (moved with the page's own scrubber), written as an animated WebP.

    python3 tests/e2e/animate.py --dist dist --preset spiral-lazy-rich --out docs/plane-spiral.webp

Needs Pillow (`/work/.venv-nt/bin/python` has it). Uses check_page.py's WebDriver client.
"""

import argparse
import base64
import io
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_page import browser, emulate, serve, wait_for  # noqa: E402


def main():
    from PIL import Image

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default="dist")
    ap.add_argument("--preset", default="spiral-lazy-rich")
    ap.add_argument("--out", required=True)
    ap.add_argument("--width", type=int, default=720, help="width of the image in pixels")
    ap.add_argument("--ms", type=int, default=150, help="milliseconds per frame")
    args = ap.parse_args()
    page, server = serve(args.dist)
    driver, chromedriver = browser(shutil.which("chromium") or "/usr/bin/chromium",
                                   shutil.which("chromedriver") or "/usr/bin/chromedriver",
                                   tempfile.mkdtemp(prefix="ntk-animate-"))
    try:
        emulate(driver, 1400, 1400, 1)
        driver.s("POST", "/url", {"url": f"{page}#preset={args.preset}"})
        driver.js("localStorage.setItem('ntk-lab-intro', 'dismissed')")
        driver.js("location.reload()")
        time.sleep(0.5)
        wait_for(driver, "return document.querySelector('#job-status')?.dataset.state === 'done'",
                 timeout=240, what="the preset's run")
        wait_for(driver, "return document.getElementById('plane-status')?.dataset.playing === 'false'",
                 timeout=60, what="the play-head at rest")
        frames = int(driver.js("return document.getElementById('plane-status').dataset.frames"))
        driver.js("document.getElementById('plane-maps').scrollIntoView()")
        images = []
        for k in range(frames):
            driver.js("const r = document.getElementById('plane-scrub'); r.value = String(arguments[0]);"
                      " r.dispatchEvent(new Event('input', {bubbles: true}))", k)
            wait_for(driver, f"return document.getElementById('plane-status').dataset.frame === '{k}'",
                     timeout=10, what=f"frame {k}")
            time.sleep(0.15)
            # The viewport's screenshot, cut to the canvas's box.
            x, y, w, h = driver.js("const r = document.getElementById('plane-maps')"
                                   ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height]")
            png = base64.b64decode(driver.s("GET", "/screenshot"))
            shot = Image.open(io.BytesIO(png))
            im = shot.convert("RGB").crop(
                (round(x) - 4, round(y), min(round(x + w) + 12, shot.width), round(y + h)))
            h = round(im.height * args.width / im.width)
            images.append(im.resize((args.width, h), Image.LANCZOS))
        # The last frame held longer.
        durations = [args.ms] * (len(images) - 1) + [2000]
        images[0].save(args.out, save_all=True, append_images=images[1:], duration=durations,
                       loop=0, quality=80, method=6)
        print(f"{args.out}: {len(images)} frames, {os.path.getsize(args.out) / 1e3:.0f} kB")
    finally:
        driver.quit()
        chromedriver.terminate()
        server.shutdown()


if __name__ == "__main__":
    main()
