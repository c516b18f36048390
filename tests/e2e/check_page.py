#!/usr/bin/env python3
"""End-to-end check of the built page (`trunk build --release` → dist/).

Serves dist/ on 127.0.0.1, drives headless Chromium through chromedriver's W3C
WebDriver HTTP API (standard library only, no extra package), and checks what a user
would: the page loads with its title, the Web Worker answers and the plot is drawn,
changing the depth redraws the plot, an invalid value shows its message and keeps the
plot, and the browser console has no errors. Optionally saves a screenshot.

Prints one line per check and a closing line "N passed, M failed"; exits non-zero on
any failure.
"""

import argparse
import base64
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def log_message(self, *args):
        pass


class WebDriver:
    def __init__(self, base):
        self.base = base
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        url = self.base + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def start(self, chromium, user_data):
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": CHROME_ARGS + [f"--user-data-dir={user_data}"],
                    },
                    "goog:loggingPrefs": {"browser": "ALL"},
                }
            }
        }
        value = self.call("POST", "/session", caps, timeout=120)
        self.session = value["sessionId"]

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        value = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(value.values()))

    def send_keys(self, element, text):
        self.s("POST", f"/element/{element}/value", {"text": text})

    def clear(self, element):
        self.s("POST", f"/element/{element}/clear", {})

    def logs(self):
        try:
            return self.s("POST", "/se/log", {"type": "browser"}) or []
        except RuntimeError:
            return []

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}")
            except Exception:
                pass


def wait_for(driver, script, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.js(script)
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


GENERATION = "return Number(document.querySelector('#circle-panel canvas').dataset.generation || 0)"
DATA_URL = "return document.querySelector('#circle-panel canvas').toDataURL()"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default="dist")
    ap.add_argument("--screenshot", help="save a 1400×900 screenshot of the loaded page here")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver",
                    default=os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
                    or "/usr/bin/chromedriver")
    args = ap.parse_args()

    if not os.path.isfile(os.path.join(args.dist, "index.html")):
        print(f"e2e: {args.dist}/index.html is missing: run `trunk build --release` first")
        return 2

    port = free_port()
    handler = functools.partial(QuietHandler, directory=args.dist)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = f"http://127.0.0.1:{port}/"

    driver_port = free_port()
    chromedriver = subprocess.Popen([args.chromedriver, f"--port={driver_port}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    user_data = tempfile.mkdtemp(prefix="ntk-e2e-")
    driver = WebDriver(f"http://127.0.0.1:{driver_port}")
    results = []
    figures = {}

    def check(name, fn):
        try:
            fn()
            results.append((name, None))
            print(f"e2e: ok   {name}")
        except Exception as e:  # noqa: BLE001 - report every failure the same way
            results.append((name, e))
            print(f"e2e: FAIL {name}: {e}")

    try:
        for _ in range(100):
            try:
                driver.call("GET", "/status", timeout=2)
                break
            except Exception:
                time.sleep(0.1)
        driver.start(args.chromium, user_data)
        driver.s("POST", "/window/rect", {"width": 1400, "height": 900})
        t0 = time.time()
        driver.s("POST", "/url", {"url": page})

        def loads_with_title():
            title = driver.s("GET", "/title")
            assert title == "NTK Lab", f"title is {title!r}"
            h1 = driver.js("return document.querySelector('h1')?.textContent")
            assert h1 == "NTK Lab", f"h1 is {h1!r}"

        def worker_answers_and_plot_is_drawn():
            wait_for(driver, GENERATION + " >= 1", what="the first plot")
            figures["load_to_plot_s"] = time.time() - t0
            backend = driver.js("return document.querySelector('#job-status').dataset.backend")
            assert backend == "Web Worker", f"jobs ran in {backend!r}, not the Web Worker"
            state = wait_for(driver, "const s = document.querySelector('#job-status').dataset.state;"
                             " return s === 'done' ? s : null", what="status 'done'")
            assert state == "done"
            text = driver.js("return document.querySelector('#job-status').textContent")
            assert "Web Worker" in text, text
            # The canvas holds a drawing, not a blank bitmap.
            blank = driver.js("const c = document.querySelector('#circle-panel canvas');"
                              "const b = document.createElement('canvas'); b.width = c.width;"
                              " b.height = c.height; return c.toDataURL() === b.toDataURL();")
            assert not blank, "the canvas is blank"

        def screenshot():
            time.sleep(0.3)
            png = base64.b64decode(driver.s("GET", "/screenshot"))
            os.makedirs(os.path.dirname(args.screenshot) or ".", exist_ok=True)
            with open(args.screenshot, "wb") as f:
                f.write(png)

        def depth_change_redraws():
            before_gen = driver.js(GENERATION)
            before = driver.js(DATA_URL)
            slider = driver.find("#depth")
            t1 = time.time()
            driver.send_keys(slider, "\ue014")  # ArrowRight: depth 3 → 4
            wait_for(driver, GENERATION + f" > {before_gen}", what="a redraw")
            figures["change_to_redraw_s"] = time.time() - t1
            depth = driver.js("return document.querySelector('#depth').value")
            assert depth == "4", f"depth is {depth!r}"
            assert driver.js(DATA_URL) != before, "the canvas did not change"

        def invalid_value_keeps_plot():
            before_gen = driver.js(GENERATION)
            before = driver.js(DATA_URL)
            box = driver.find("#w-std-number")
            driver.clear(box)
            driver.send_keys(box, "-1")
            msg = wait_for(driver, "return document.querySelector('#w-std-error').textContent",
                           what="the error message")
            assert "σ_w must be a number between 0 and 10" in msg, msg
            time.sleep(0.3)
            assert driver.js(GENERATION) == before_gen, "an invalid value started a job"
            assert driver.js(DATA_URL) == before, "the plot changed"
            state = driver.js("return document.querySelector('#job-status').dataset.state")
            assert state == "invalid", state

        def no_console_errors():
            severe = [e for e in driver.logs() if e.get("level") == "SEVERE"]
            assert not severe, "console errors: " + "; ".join(e.get("message", "") for e in severe)

        check("page loads with title NTK Lab", loads_with_title)
        check("Web Worker answers and the plot is drawn", worker_answers_and_plot_is_drawn)
        if args.screenshot:
            check(f"screenshot saved to {args.screenshot}", screenshot)
        check("changing the depth redraws the plot", depth_change_redraws)
        check("an invalid σ_w shows its message and the plot stays", invalid_value_keeps_plot)
        check("no console errors", no_console_errors)
    except Exception as e:  # noqa: BLE001
        results.append(("session", e))
        print(f"e2e: FAIL session: {e}")
    finally:
        driver.quit()
        chromedriver.terminate()
        server.shutdown()
        shutil.rmtree(user_data, ignore_errors=True)

    for k, v in figures.items():
        print(f"e2e: figure {k} = {v:.3f}")
    failed = sum(1 for _, e in results if e is not None)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
