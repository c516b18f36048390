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

    def js_async(self, script, *args):
        return self.s("POST", "/execute/async", {"script": script, "args": list(args)})

    def drag(self, element, x0, steps, pause_ms):
        """Press the mouse at x0 px from the element's centre, move by each of `steps`
        px (pausing `pause_ms` after each), and release."""
        ref = {"element-6066-11e4-a52e-4f735466cecf": element}
        moves = [{"type": "pointerMove", "duration": 0, "origin": ref, "x": int(x0), "y": 0},
                 {"type": "pointerDown", "button": 0}]
        for dx in steps:
            moves += [{"type": "pointerMove", "duration": 50, "origin": "pointer",
                       "x": int(dx), "y": 0},
                      {"type": "pause", "duration": pause_ms}]
        moves.append({"type": "pointerUp", "button": 0})
        self.s("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": moves}]})
        self.s("DELETE", "/actions")

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
        try:
            value = driver.js(script)
        except RuntimeError:
            # The page is still loading (no app yet): ask again.
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


PLOTS = ["circle-plot", "heatmap-plot", "spectrum-plot", "eigenvector-plot"]
GENERATIONS = ("return " + '["circle-plot","heatmap-plot","spectrum-plot","eigenvector-plot"]' + ".map(id => Number(document.getElementById(id)"
               "?.dataset.generation || 0))")
ALL_DRAWN = GENERATIONS.replace("return ", "const g = ") + "; return g.every(x => x >= {min})"
DATA_URLS = "return " + '["circle-plot","heatmap-plot","spectrum-plot","eigenvector-plot"]' + ".map(id => document.getElementById(id).toDataURL())"
LONGTASKS = ("window.__longtasks = []; try { new PerformanceObserver(l => l.getEntries()"
             ".forEach(e => window.__longtasks.push([e.startTime, e.duration]))).observe({type: 'longtask', "
             "buffered: true}); } catch (e) {}")

# Keeps every Web Worker the page creates in window.__workers, and lets a test prefix the
# page's next job with a message that kills the worker: window.__crash = [message, count]
# sends `message` before each of the next `count` jobs (the worker dies on it, with the
# job queued behind it: from the page's side, mid-job).
WORKER_SPY = """(() => { const W = window.Worker; if (!W) return; window.__workers = [];
  window.__crash = null;
  window.Worker = function (url, options) {
    const w = new W(url, options); window.__workers.push(w);
    const post = w.postMessage.bind(w);
    w.postMessage = (m, ...rest) => {
      const c = window.__crash;
      if (c && c[1] > 0 && typeof m === 'string' && m.startsWith('{')) { c[1] -= 1; post(c[0]); }
      post(m, ...rest);
    };
    return w;
  };
  window.Worker.prototype = W.prototype; })();"""

# Records every Content-Security-Policy violation in window.__csp.
CSP_SPY = ("window.__csp = []; document.addEventListener('securitypolicyviolation', e => "
           "window.__csp.push([e.effectiveDirective, e.blockedURI, (e.target.tagName || '') + '#' + (e.target.id || '')"
           " + '.' + (e.target.className || ''), e.sample]));")


def serve(dist):
    """Serve `dist` on 127.0.0.1; the page's URL and the server."""
    port = free_port()
    handler = functools.partial(QuietHandler, directory=dist)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/", server


def browser(chromium, chromedriver, user_data):
    """Start chromedriver and a headless Chromium session: the driver and the
    chromedriver process."""
    driver_port = free_port()
    process = subprocess.Popen([chromedriver, f"--port={driver_port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = WebDriver(f"http://127.0.0.1:{driver_port}")
    for _ in range(100):
        try:
            driver.call("GET", "/status", timeout=2)
            break
        except Exception:
            time.sleep(0.1)
    driver.start(chromium, user_data)
    return driver, process


def shutdown(driver, chromedriver, server, *folders):
    """End the browser session, chromedriver and the server; remove the folders."""
    if driver:
        driver.quit()
    if chromedriver:
        chromedriver.terminate()
    server.shutdown()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def emulate(driver, width, height, scale):
    """Emulate a screen of width × height CSS pixels at `scale` device pixels each
    (a phone below 600 px)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": scale,
               "mobile": width < 600}
    driver.s("POST", "/goog/cdp/execute",
             {"cmd": "Emulation.setDeviceMetricsOverride", "params": metrics})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default="dist")
    ap.add_argument("--screenshot", help="a folder: save screenshot.png of the page and one PNG per panel")
    ap.add_argument("--only", help="run only the checks whose name contains this text "
                    "(after the two that load the page)")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver",
                    default=os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
                    or "/usr/bin/chromedriver")
    args = ap.parse_args()

    if not os.path.isfile(os.path.join(args.dist, "index.html")):
        print(f"e2e: {args.dist}/index.html is missing: run `trunk build --release` first")
        return 2

    page, server = serve(args.dist)
    user_data = tempfile.mkdtemp(prefix="ntk-e2e-")
    driver, chromedriver = None, None
    results = []
    figures = {}

    def check(name, fn):
        if args.only and args.only not in name and len(results) >= 2:
            return
        try:
            fn()
            results.append((name, None))
            print(f"e2e: ok   {name}")
        except Exception as e:  # noqa: BLE001 - report every failure the same way
            results.append((name, e))
            print(f"e2e: FAIL {name}: {e}")

    try:
        driver, chromedriver = browser(args.chromium, args.chromedriver, user_data)
        driver.s("POST", "/window/rect", {"width": 1400, "height": 1000})
        try:
            driver.s("POST", "/goog/cdp/execute",
                     {"cmd": "Page.addScriptToEvaluateOnNewDocument",
                      "params": {"source": LONGTASKS + "\n" + WORKER_SPY + "\n" + CSP_SPY}})
        except RuntimeError as e:
            print(f"e2e: note: no long-task observer ({e})")
        t0 = time.time()
        driver.s("POST", "/url", {"url": page})

        def loads_with_title():
            title = driver.s("GET", "/title")
            assert title == "NTK Lab", f"title is {title!r}"
            h1 = driver.js("return document.querySelector('h1')?.textContent")
            assert h1 == "NTK Lab", f"h1 is {h1!r}"

        def state():
            return driver.js("return document.querySelector('#job-status').dataset.state")

        def wait_done(what):
            wait_for(driver, "return document.querySelector('#job-status')?.dataset.state === 'done'",
                     timeout=90, what=what)

        def worker_answers_and_plots_are_drawn():
            wait_for(driver, ALL_DRAWN.format(min=1), timeout=90, what="all four plots")
            wait_done("the first job")
            figures["load_to_all_plots_s"] = time.time() - t0
            backend = driver.js("return document.querySelector('#job-status').dataset.backend")
            assert backend == "Web Worker", f"jobs ran in {backend!r}, not the Web Worker"
            text = driver.js("return document.querySelector('#job-status').textContent")
            assert "Web Worker" in text, text
            blank = driver.js("const c = document.getElementById('circle-plot');"
                              "const b = document.createElement('canvas'); b.width = c.width;"
                              " b.height = c.height; return c.toDataURL() === b.toDataURL();")
            assert not blank, "the canvas is blank"

        def screenshots():
            time.sleep(0.3)
            os.makedirs(args.screenshot, exist_ok=True)
            png = base64.b64decode(driver.s("GET", "/screenshot"))
            with open(os.path.join(args.screenshot, "screenshot.png"), "wb") as f:
                f.write(png)
            # A window as tall as the page, so that no panel is cut off.
            height = driver.js("return document.documentElement.scrollHeight")
            driver.s("POST", "/window/rect", {"width": 1400, "height": min(height, 4000)})
            time.sleep(0.5)
            for panel in ["kernel-panel", "spectrum-panel", "formulas-panel"]:
                el = driver.find("#" + panel)
                shot = base64.b64decode(driver.s("GET", f"/element/{el}/screenshot"))
                with open(os.path.join(args.screenshot, panel + ".png"), "wb") as f:
                    f.write(shot)
            driver.s("POST", "/window/rect", {"width": 1400, "height": 1000})

        def depth_change_redraws():
            before = driver.js(GENERATIONS)
            urls = driver.js(DATA_URLS)
            slider = driver.find("#depth")
            t1 = time.time()
            driver.send_keys(slider, "\ue014")  # ArrowRight: depth 3 → 4
            wait_for(driver, GENERATIONS.replace("return ", "const g = ")
                     + f"; const b = {json.dumps(before)}; return g.every((x, i) => x > b[i])",
                     timeout=90, what="a redraw of all plots")
            figures["change_to_redraw_s"] = time.time() - t1
            assert driver.js("return document.querySelector('#depth').value") == "4"
            assert driver.js(DATA_URLS)[0] != urls[0], "the circle plot did not change"
            wait_done("the depth job")
            assert "depth=4" in driver.js("return location.hash"), "the URL did not follow"

        def reload_from_url_restores_state():
            url = driver.js("return location.href")
            values = driver.js("return ['depth-number', 'w-number', 'act', 'widths']"
                               ".map(id => document.getElementById(id).value)")
            urls = driver.js(DATA_URLS)
            driver.s("POST", "/url", {"url": "about:blank"})
            driver.s("POST", "/url", {"url": url})
            wait_for(driver, ALL_DRAWN.format(min=1), timeout=90, what="plots after reload")
            wait_done("the reloaded job")
            again = driver.js("return ['depth-number', 'w-number', 'act', 'widths']"
                              ".map(id => document.getElementById(id).value)")
            assert again == values, f"{again} != {values}"
            assert driver.js(DATA_URLS) == urls, "the reloaded plots differ"

        def invalid_value_keeps_plot():
            before = driver.js(GENERATIONS)
            urls = driver.js(DATA_URLS)
            box = driver.find("#w-number")
            driver.clear(box)
            driver.send_keys(box, "-1\ue007")  # Enter commits the box
            msg = wait_for(driver, "return document.querySelector('#w-error').textContent",
                           what="the error message")
            assert "σ_w must be a number between 0 and 10" in msg, msg
            time.sleep(0.4)
            assert driver.js(GENERATIONS) == before, "an invalid value started a job"
            assert driver.js(DATA_URLS) == urls, "the plots changed"
            assert state() == "invalid", state()

        def slider_to_redraw_at_n_200():
            driver.s("POST", "/url", {"url": page + "#n=200&dist=sphere&d=3"})
            wait_for(driver, ALL_DRAWN.format(min=1), timeout=90, what="plots at n = 200")
            wait_done("the n = 200 job")
            before = driver.js(GENERATIONS)
            slider = driver.find("#depth")
            t1 = time.time()
            driver.send_keys(slider, "\ue014")
            wait_for(driver, GENERATIONS.replace("return ", "const g = ")
                     + f"; const b = {json.dumps(before)}; return g.every((x, i) => x > b[i])",
                     timeout=90, what="a redraw at n = 200")
            figures["change_to_redraw_n200_s"] = time.time() - t1
            wait_done("the n = 200 depth job")
            tasks = [d for _, d in driver.js("return window.__longtasks || []") or []]
            figures["longest_main_thread_task_ms"] = max(tasks) if tasks else 0.0

        PANEL_GENERATIONS = ("return [...document.querySelectorAll('.panels canvas')]"
                             ".map(c => Number(c.dataset.generation || 0))")
        PANEL_URLS = ("return [...document.querySelectorAll('.panels canvas')]"
                      ".map(c => c.toDataURL())")
        FIELD_VALUES = ("return [...document.querySelectorAll('.sidebar input, .sidebar select')]"
                        ".map(e => e.type === 'checkbox' ? String(e.checked) : e.value)")
        PANEL_SHOTS = {
            "jacot": ["kernel-panel"],
            "spectral-bias": ["training-panel", "bias-panel"],
            "tails": ["convergence-panel"],
            "labels": ["generalization-panel"],
            "cnn": ["generalization-panel"],
            "attention": ["kernel-panel"],
            "kan": ["kernel-panel", "spectrum-panel"],
            "spurious": ["memorization-panel"],
            "robustness": ["robustness-panel"],
        }

        def preset_loads(pid):
            def run():
                driver.s("POST", "/url", {"url": "about:blank"})
                driver.s("POST", "/url", {"url": page})
                wait_done("the default job before the preset")
                before = max(driver.js(PANEL_GENERATIONS) or [0])
                t1 = time.time()
                chosen_at = driver.js("return performance.now()")
                driver.js("const s = document.getElementById('preset'); s.value = arguments[0];"
                          " s.dispatchEvent(new Event('change'));", pid)
                wait_for(driver, PANEL_GENERATIONS.replace("return ", "const g = ")
                         + f"; return g.length > 0 && g.every(x => x > {before})"
                         " && document.querySelector('#job-status')?.dataset.state === 'done'",
                         timeout=240, what=f"every plot of preset {pid}")
                figures[f"preset_{pid}_load_to_all_plots_s"] = time.time() - t1
                # The plane's play-head moves on after the job: wait until it rests.
                wait_for(driver, PLANE_STILL, timeout=60, what="the plane's play-head at rest")
                # Main-thread tasks while the preset's jobs ran and drew (page load
                # excluded: it is measured above).
                tasks = [d for st, d in driver.js("return window.__longtasks || []") or []
                         if st >= chosen_at]
                figures[f"preset_{pid}_longest_task_ms"] = max(tasks) if tasks else 0.0
                errors = driver.js("return [...document.querySelectorAll('.panel-error')]"
                                   ".filter(e => e.textContent)"
                                   ".map(e => (e.parentElement.querySelector('canvas') || {}).id"
                                   " + ': ' + e.textContent)")
                assert not errors, f"panel errors: {errors}"
                text = driver.js("return document.getElementById('preset-box').textContent")
                assert "Preset:" in text and "20" in text, text
                url = driver.js("return location.href")
                assert f"preset={pid}" in url, url
                if args.screenshot and pid in PANEL_SHOTS:
                    # A window as tall as the page, so that no panel is cut off.
                    height = driver.js("return document.documentElement.scrollHeight")
                    driver.s("POST", "/window/rect", {"width": 1400, "height": min(height, 4000)})
                    time.sleep(0.5)
                    for panel in PANEL_SHOTS[pid]:
                        el = driver.find("#" + panel)
                        shot = base64.b64decode(driver.s("GET", f"/element/{el}/screenshot"))
                        # The README's panel shots keep their names; the other presets'
                        # are prefixed, so that none overwrites another.
                        classic = ("spectral-bias", "tails", "labels", "cnn")
                        name = panel if pid in classic else f"{pid}-{panel}"
                        with open(os.path.join(args.screenshot, name + ".png"), "wb") as f:
                            f.write(shot)
                    driver.s("POST", "/window/rect", {"width": 1400, "height": 1000})
                # The preset's URL reproduces it: same controls, same plots.
                values = driver.js(FIELD_VALUES)
                urls = driver.js(PANEL_URLS)
                driver.s("POST", "/url", {"url": "about:blank"})
                driver.s("POST", "/url", {"url": url})
                wait_for(driver, PANEL_GENERATIONS.replace("return ", "const g = ")
                         + "; return g.length > 0 && g.every(x => x >= 1)"
                         " && document.querySelector('#job-status')?.dataset.state === 'done'",
                         timeout=240, what=f"every plot of preset {pid} from its URL")
                wait_for(driver, PLANE_STILL, timeout=60, what="the plane's play-head at rest")
                assert driver.js(FIELD_VALUES) == values, "the URL restored other controls"
                assert driver.js(PANEL_URLS) == urls, "the URL drew other plots"
                severe = [e for e in driver.logs() if e.get("level") == "SEVERE"]
                assert not severe, "console errors: " + "; ".join(e.get("message", "") for e in severe)
                tasks = [d for _, d in driver.js("return window.__longtasks || []") or []]
                key = "longest_main_thread_task_at_preset_url_load_ms"
                figures[key] = max([figures.get(key, 0.0)] + tasks)
            return run


        SENT = "return Number(document.querySelector('#job-status').dataset.sent)"

        def choose_preset(pid):
            driver.js("const s = document.getElementById('preset'); s.value = arguments[0];"
                      " s.dispatchEvent(new Event('change'));", pid)

        def a_preset_supersedes_the_running_jacot_preset():
            driver.s("POST", "/url", {"url": "about:blank"})
            driver.s("POST", "/url", {"url": page})
            wait_done("the default job")
            choose_preset("jacot")
            wait_for(driver, "return document.querySelector('#job-status').textContent"
                     ".includes('Computing: width')", timeout=60, what="the Jacot job computing")
            time.sleep(1.0)
            assert state() == "computing", "the Jacot job should still be running"
            before = max(driver.js(PANEL_GENERATIONS) or [0])
            t1 = time.time()
            choose_preset("labels")
            wait_for(driver, PANEL_GENERATIONS.replace("return ", "const g = ")
                     + f"; return g.length > 0 && g.every(x => x > {before})"
                     " && document.querySelector('#job-status')?.dataset.state === 'done'",
                     timeout=60, what="the labels preset's plots")
            took = time.time() - t1
            figures["preset_while_jacot_runs_to_all_plots_s"] = took
            # Not a timing assertion (CI machines differ): the Jacot job alone takes
            # 20–50 s, so a new preset queued behind it could not draw within 10 s.
            # The figure (about 1 s here; the issue asks ≤ 2 s) is printed above.
            assert took <= 10.0, f"the new preset waited for the Jacot job ({took:.2f} s)"

        def one_two_and_four_workers_give_identical_numbers():
            # Every figure's CSV (the plotted numbers, shortest round-trip decimals) of
            # a preset whose kernel experiment is split into units (3 widths × 3
            # seeds) beside the spectrum and the data: the same bytes whether 1, 2 or
            # 4 Web Workers computed it.
            spy = ("window.__blobs = []; const o = URL.createObjectURL.bind(URL);"
                   " URL.createObjectURL = b => { window.__blobs.push(b); return o(b); };"
                   " HTMLAnchorElement.prototype.click = function () {};")
            read = ("const done = arguments[arguments.length - 1]; window.__blobs = [];"
                    " const b = [...document.querySelectorAll('.panels button[id$=\"-csv\"]')]"
                    ".filter(e => e.offsetParent !== null); b.forEach(e => e.click());"
                    " Promise.all(window.__blobs.map(x => x.text())).then(t => done(b.map((e, i) =>"
                    " [e.id, t[i] || ''])));")
            seen = {}
            for workers in [1, 2, 4]:
                driver.s("POST", "/url", {"url": "about:blank"})
                t1 = time.time()
                driver.s("POST", "/url", {"url": f"{page}#workers={workers}&preset=parameterization"})
                wait_for(driver, PANEL_GENERATIONS.replace("return ", "const g = ")
                         + "; return g.length > 0 && g.every(x => x > 0)"
                         " && document.querySelector('#job-status')?.dataset.state === 'done'",
                         timeout=120, what=f"the preset with {workers} workers")
                figures[f"parameterization_preset_{workers}_workers_s"] = time.time() - t1
                text = driver.js("return document.querySelector('#job-status').textContent")
                if workers > 1:
                    assert f"{workers} Web Workers" in text, text
                else:
                    assert "(Web Worker)" in text, text
                driver.js(spy)
                csvs = driver.js_async(read)
                assert len(csvs) >= 3 and all(len(t) > 100 for _, t in csvs), \
                    [(i, len(t)) for i, t in csvs]
                seen[workers] = csvs
            for workers in [2, 4]:
                for (i, a), (j, b) in zip(seen[1], seen[workers]):
                    assert i == j and a == b, f"{i}: 1 and {workers} workers differ"

        def dragging_depth_through_four_values_starts_at_most_two_jobs():
            driver.s("POST", "/url", {"url": "about:blank"})
            driver.s("POST", "/url", {"url": page + "#depth=2"})
            wait_done("the depth-2 job")
            sent = driver.js(SENT)
            slider = driver.find("#depth")
            width = driver.js("return document.getElementById('depth').getBoundingClientRect().width")
            lo = float(driver.js("return document.getElementById('depth').min"))
            hi = float(driver.js("return document.getElementById('depth').max"))
            # Four moves of at least 3 px and about 3 depths each (the slider spans
            # 1-100: a depth is about a pixel), a quick hand's pace apart (≈ 100 ms each, a third of the slider's
            # 300 ms rest, so a slow machine keeps the margin).
            step = max(3, round(3 * width / (hi - lo)))
            x0 = (2 - lo) * width / (hi - lo) - width / 2
            driver.drag(slider, x0, [step] * 4, 50)
            wait_for(driver, "return Number(document.querySelector('#depth').value) >= 6",
                     timeout=5, what="the slider past depth 6")
            # The job follows the release after the page's 120 ms debounce.
            wait_for(driver, SENT.replace("return ", "return ") + f" > {sent}", timeout=5,
                     what="a job for the new depth")
            time.sleep(0.5)
            wait_done("the dragged depth's job")
            started = driver.js(SENT) - sent
            figures["jobs_started_by_a_four_value_drag"] = started
            depth = driver.js("return document.querySelector('#depth').value")
            assert f"depth={depth}" in driver.js("return location.hash"), (depth, driver.js("return location.hash"))
            assert 1 <= started <= 2, f"{started} jobs started"

        def a_tab_visited_before_redraws_from_the_cache():
            driver.s("POST", "/url", {"url": "about:blank"})
            driver.s("POST", "/url", {"url": page})
            wait_done("the kernel job")
            driver.js("document.getElementById('tab-convergence').click()")
            # Drawn by its own job (not merely "done" from the kernel job before it).
            wait_for(driver, "const c = document.getElementById('convergence-plot');"
                     " return c && Number(c.dataset.generation || 0) > 1"
                     " && document.querySelector('#job-status').dataset.state === 'done'",
                     timeout=90, what="the convergence tab drawn by its job")
            sent = driver.js(SENT)
            ms = driver.js_async(
                "const done = arguments[arguments.length - 1];"
                "const before = Math.max(...[...document.querySelectorAll('.panels canvas')]"
                ".map(c => Number(c.dataset.generation || 0)));"
                "const t0 = performance.now();"
                "document.getElementById('tab-kernel').click();"
                "const poll = () => {"
                " const g = [...document.querySelectorAll('.panels canvas')]"
                ".map(c => Number(c.dataset.generation || 0));"
                " if (document.getElementById('circle-plot') && g.length >= 4"
                " && g.every(x => x > before)) done(performance.now() - t0);"
                " else if (performance.now() - t0 > 10000) done(-1);"
                " else setTimeout(poll, 2); };"
                "poll();")
            figures["cached_tab_redraw_ms"] = ms
            assert ms >= 0, "the kernel tab did not redraw"
            assert driver.js(SENT) == sent, "going back to a tab sent a job"
            text = driver.js("return document.querySelector('#job-status').textContent")
            assert "cache" in text, text
            # The time (about 85 ms here; the issue asks ≤ 200 ms) is a printed figure,
            # not an assertion: CI machines differ. What is asserted is that no job
            # ran (above) and the status says the cache.

        OVERFLOW = ("const vw = document.documentElement.clientWidth;"
                    "return [...document.querySelectorAll('body *')].filter(e => {"
                    " const r = e.getBoundingClientRect();"
                    " return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5); })"
                    ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)")

        # Every plot of the panels drawn at least once, and no job running.
        ALL_PANELS_DONE = (PANEL_GENERATIONS.replace("return ", "const g = ")
                           + "; return g.length > 0 && g.every(x => x >= 1)"
                           " && document.querySelector('#job-status')?.dataset.state === 'done'")

        def click(element_id, what):
            # After a navigation the app mounts when its wasm has loaded, which can be
            # after the page's load event: wait for the element, then click it.
            wait_for(driver, f"return !!document.getElementById('{element_id}')",
                     timeout=30, what=what)
            driver.js(f"document.getElementById('{element_id}').click()")

        def show_tab(tab, what):
            click(f"tab-{tab}", f"the {tab} tab's button")
            wait_for(driver, ALL_PANELS_DONE, timeout=120, what=what)

        def a_phone_screen_shows_every_tab_without_overflow():
            emulate(driver, 390, 844, 1)
            try:
                driver.s("POST", "/url", {"url": "about:blank"})
                driver.s("POST", "/url", {"url": page})
                for tab in ["kernel", "convergence", "training", "generalization", "memorization"]:
                    show_tab(tab, f"the {tab} tab on a phone")
                    wide = driver.js(OVERFLOW)
                    assert not wide, f"{tab}: wider than the screen: {wide}"
                    heights = driver.js("return [...document.querySelectorAll('.panels canvas')]"
                                        ".map(c => [c.id, c.getBoundingClientRect().height])")
                    low = [h for h in heights if h[1] < 240]
                    assert not low, f"{tab}: plots under 240 px: {low}"
                    if args.screenshot and tab == "kernel":
                        os.makedirs(args.screenshot, exist_ok=True)
                        png = base64.b64decode(driver.s("GET", "/screenshot"))
                        with open(os.path.join(args.screenshot, "phone.png"), "wb") as f:
                            f.write(png)
                click("toggle-controls", "the controls button")
                wait_for(driver, "return document.getElementById('sidebar').getBoundingClientRect().width > 0",
                         timeout=5, what="the controls drawer")
                wide = driver.js(OVERFLOW)
                assert not wide, f"the open drawer: wider than the screen: {wide}"
                if args.screenshot:
                    png = base64.b64decode(driver.s("GET", "/screenshot"))
                    with open(os.path.join(args.screenshot, "phone-controls.png"), "wb") as f:
                        f.write(png)
                click("close-controls", "the drawer's close button")
                # The narrowest screen the page promises: 360 px, every tab (from the
                # cache) and the drawer.
                emulate(driver, 360, 740, 1)
                for tab in ["kernel", "convergence", "training", "generalization", "memorization"]:
                    show_tab(tab, f"the {tab} tab at 360 px")
                    time.sleep(0.3)
                    wide = driver.js(OVERFLOW)
                    assert not wide, f"{tab} at 360 px: wider than the screen: {wide}"
                click("toggle-controls", "the controls button")
                time.sleep(0.3)
                wide = driver.js(OVERFLOW)
                assert not wide, f"the drawer at 360 px: wider than the screen: {wide}"
                click("close-controls", "the drawer's close button")
            finally:
                driver.s("POST", "/goog/cdp/execute",
                         {"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})

        def axe_finds_no_serious_violations_on_any_tab():
            axe = os.environ.get("AXE_JS") or os.path.expanduser(
                "~/.cache/ntk-lab/axe/node_modules/axe-core/axe.min.js")
            assert os.path.isfile(axe), f"axe-core is missing ({axe}): run scripts/setup.sh"
            with open(axe) as f:
                source = f.read()
            driver.s("POST", "/timeouts", {"script": 180000})
            driver.s("POST", "/url", {"url": "about:blank"})
            driver.s("POST", "/url", {"url": page})
            found = []
            states = [(tab, False) for tab in ["kernel", "convergence", "training", "generalization", "memorization"]]
            states.append(("kernel", True))
            for tab, glossary in states:
                show_tab(tab, f"the {tab} tab")
                wait_for(driver, "return document.querySelectorAll('.plot.busy').length === 0"
                         " && document.querySelector('#job-status').dataset.state === 'done'",
                         timeout=120, what=f"the {tab} tab's plots, up to date")
                if glossary:
                    driver.js("document.getElementById('open-glossary').click()")
                if not driver.js("return typeof axe !== 'undefined'"):
                    driver.js(source + "; return true;")
                violations = driver.js_async(
                    "const done = arguments[arguments.length - 1];"
                    "axe.run(document, {resultTypes: ['violations']}).then(r => done("
                    " r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
                    " .map(v => v.impact + ' ' + v.id + ' (' + v.nodes.length + ' nodes, e.g. '"
                    " + v.nodes[0].target.join(' ') + '): ' + v.help)))"
                    ".catch(e => done(['axe failed: ' + e]));")
                where = tab + (" with the glossary open" if glossary else "")
                found += [f"{where}: {v}" for v in violations]
                print(f"e2e: axe on {where}: {len(violations)} serious or critical")
            driver.js("document.getElementById('close-glossary').click()")
            assert not found, "; ".join(found)

        def tabs_are_an_aria_tablist_with_arrow_keys():
            driver.js("document.getElementById('tab-kernel').click()")
            tab = driver.find("#tab-kernel")
            driver.s("POST", f"/element/{tab}/click", {})
            driver.send_keys(tab, "\ue014")  # ArrowRight
            wait_for(driver, "return document.getElementById('tab-convergence')"
                     ".getAttribute('aria-selected') === 'true'", timeout=5, what="ArrowRight")
            focused = driver.js("return document.activeElement.id")
            assert focused == "tab-convergence", f"focus is on {focused!r}"
            roving = driver.js("return [...document.querySelectorAll('[role=tab]')]"
                               ".map(t => t.tabIndex)")
            assert roving == [-1, 0, -1, -1, -1, -1], roving
            driver.send_keys(driver.find("#tab-convergence"), "\ue011")  # Home
            wait_for(driver, "return location.hash.indexOf('view=') < 0"
                     " || location.hash.indexOf('view=kernel') >= 0", timeout=5, what="Home")
            skip = driver.js("const a = document.querySelector('.skip-link');"
                             " return a && a.getAttribute('href')")
            assert skip == "#panels", skip
            wait_done("the kernel tab again")

        def settings_a_tab_does_not_use_are_collapsed():
            driver.js("document.getElementById('tab-convergence').click()")
            shown = driver.js("return document.getElementById('lr').offsetParent !== null")
            assert not shown, "the learning rate shows on the convergence tab"
            driver.js("document.getElementById('show-all-settings').click()")
            note = driver.js("return document.getElementById('lr').closest('.field')"
                             ".querySelector('.used-on').textContent")
            assert "Training" in note, note
            driver.js("document.getElementById('show-all-settings').click()")
            # Help by touch or keyboard: the info button shows the help line.
            driver.js("document.getElementById('depth-info').click()")
            time.sleep(0.4)  # its 0.15 s fade
            visible = driver.js("return getComputedStyle(document.getElementById('depth-help'))"
                                ".opacity")
            assert float(visible) > 0.99, visible
            driver.js("document.getElementById('depth-info').click()")
            driver.js("document.getElementById('tab-kernel').click()")
            wait_done("back on the kernel tab")

        def plots_dim_as_soon_as_the_controls_change():
            wait_done("the page")
            busy = driver.js("return [...document.querySelectorAll('.panels .plot.busy canvas')].map(c => c.id)")
            assert not busy, f"dimmed before any change: {busy}"
            # The plots dim on the change (here ~16 ms, before the 120 ms debounce sends
            # the job): the time is a printed figure, since CI machines differ; that they
            # dim is what is asserted.
            dimmed = driver.js_async(
                "const done = arguments[arguments.length - 1];"
                "const sent = document.querySelector('#job-status').dataset.sent;"
                "const t0 = performance.now();"
                "const s = document.getElementById('depth'); s.value = String(Number(s.value) % 10 + 1);"
                "s.dispatchEvent(new Event('input', {bubbles: true}));"
                "s.dispatchEvent(new Event('change', {bubbles: true}));"
                "const poll = () => { const n = document.querySelectorAll('.panels .plot.busy').length;"
                " if (n > 0) { done([n, performance.now() - t0, sent,"
                " document.querySelector('#job-status').dataset.sent]); }"
                " else if (performance.now() - t0 > 5000) { done([0, 5000, sent, sent]); }"
                " else { setTimeout(poll, 5); } }; poll();")
            assert dimmed[0] > 0, f"no plot dimmed after the change: {dimmed}"
            figures["change_to_dimmed_ms"] = dimmed[1]
            wait_for(driver, "return document.querySelectorAll('.panels .plot.busy').length === 0"
                     " && document.querySelector('#job-status').dataset.state === 'done'",
                     timeout=60, what="the plots of the new depth, not dimmed")

        def the_data_is_drawn_for_every_distribution():
            for dist in ["sphere", "gaussian", "uniform", "rademacher", "laplace",
                         "exponential", "student_t", "circle"]:
                before = driver.js("return Number(document.getElementById('data-plot').dataset.generation)")
                driver.js("const s = document.getElementById('dist');"
                          f" s.value = '{dist}'; s.dispatchEvent(new Event('change', {{bubbles: true}}));")
                wait_for(driver, "return Number(document.getElementById('data-plot').dataset.generation)"
                         f" > {before}", timeout=60, what=f"the data picture of {dist}")
                blank = driver.js("const c = document.getElementById('data-plot');"
                                  "const b = document.createElement('canvas'); b.width = c.width;"
                                  " b.height = c.height; return c.toDataURL() === b.toDataURL();")
                assert not blank, f"{dist}: the data picture is blank"
                err = driver.js("return document.getElementById('data-plot').closest('figure')"
                                ".querySelector('.panel-error').textContent")
                assert not err, f"{dist}: {err}"
            wait_done("back to the circle")

        def present_mode_has_large_text_and_plots_on_the_first_screen():
            # A 1920 × 1080 projector at 150 % zoom: a 1280 × 720 CSS viewport.
            emulate(driver, 1280, 720, 1.5)
            try:
                driver.s("POST", "/url", {"url": "about:blank"})
                driver.s("POST", "/url", {"url": page + "#present=1"})
                for tab in ["kernel", "convergence", "training", "plane", "generalization", "memorization"]:
                    show_tab(tab, f"the {tab} tab in present mode")
                    driver.js("window.scrollTo(0, 0)")
                    time.sleep(0.3)
                    scales = driver.js("return [...document.querySelectorAll('.panels canvas')]"
                                       ".map(c => Number(c.dataset.textScale || 0))")
                    # The smallest plot text is 10 px × the scale.
                    assert scales and min(scales) * 10 >= 16, f"{tab}: plot text scales {scales}"
                    first = driver.js("const r = document.querySelector('.panels canvas')"
                                      ".getBoundingClientRect(); return [r.top, r.height, innerHeight]")
                    top, height, vh = first
                    assert top < vh / 2, f"{tab}: the first plot starts at {top:.0f} px of {vh}"
                    assert height <= vh, f"{tab}: the first plot is {height:.0f} px, taller than the screen"
                    body = driver.js("return parseFloat(getComputedStyle(document.querySelector('.app')).fontSize)")
                    assert body >= 18, f"page text {body} px"
                    wide = driver.js(OVERFLOW)
                    assert not wide, f"{tab}: wider than the screen: {wide}"
            finally:
                driver.s("POST", "/goog/cdp/execute",
                         {"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})
                driver.s("POST", "/url", {"url": page + "#"})
                wait_done("the page after present mode")

        def a_dead_worker_is_replaced_and_the_job_sent_again():
            driver.s("POST", "/url", {"url": page + "#"})
            wait_done("the default page")
            status = "return document.querySelector('#job-status').textContent"
            for kind in ["panic", "oom"]:
                workers = driver.js("return window.__workers.length")
                before = driver.js(GENERATIONS)
                depth = int(driver.js("return document.querySelector('#depth').value"))
                driver.js(f"window.__crash = ['ntk-lab:test-crash:{kind}', 1]")
                t1 = time.time()
                driver.send_keys(driver.find("#depth"), "\ue014")  # ArrowRight: a new job
                wait_for(driver, GENERATIONS.replace("return ", "const g = ")
                         + f"; const b = {json.dumps(before)}; return g.every((x, i) => x > b[i])"
                         " && document.querySelector('#job-status').dataset.state === 'done'",
                         timeout=120, what=f"the job after the worker's {kind}")
                figures[f"worker_{kind}_to_redraw_s"] = time.time() - t1
                text = driver.js(status)
                assert "The Web Worker stopped" in text and "sent to it again" in text, text
                assert driver.js("return window.__workers.length") >= workers + 1, "no new worker"
                want = depth + 1
                assert driver.js("return document.querySelector('#depth').value") == str(want)
                assert f"depth={want}" in driver.js("return location.hash"), "the URL lost the change"
            # A job that kills the worker twice is not sent a third time; the next one runs.
            driver.js("window.__crash = ['ntk-lab:test-crash:panic', 2]")
            driver.send_keys(driver.find("#depth"), "\ue014")
            wait_for(driver, "return document.querySelector('#job-status').dataset.state === 'error'",
                     timeout=60, what="the job that killed two workers to fail")
            text = driver.js(status)
            assert "stopped the Web Worker twice" in text, text
            driver.send_keys(driver.find("#depth"), "\ue014")
            wait_done("the job after the failed one")
            assert "Web Worker stopped" not in driver.js(status), "the notice outlived its job"
            # The panic asked for logs its message (as any panic would); nothing else may.
            severe = [e for e in driver.logs() if e.get("level") == "SEVERE"
                      and "test of its recovery" not in e.get("message", "")]
            assert not severe, "console errors: " + "; ".join(e.get("message", "") for e in severe)

        def a_content_security_policy_allows_only_the_pages_own_code():
            csp = driver.js("return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')"
                            "?.content || ''")
            rules = {d.split()[0]: d.split()[1:] for d in csp.split("; ") if d.strip()}
            script = rules.get("script-src", [])
            assert script[:2] == ["'self'", "'wasm-unsafe-eval'"], csp
            assert script[2:] and all(h.startswith("'sha256-") for h in script[2:]), csp
            assert rules.get("default-src") == ["'self'"] and rules.get("connect-src") == ["'self'"], csp
            assert rules.get("style-src") == ["'self'"], csp
            # The page ran under it (every tab was drawn by now) without one violation.
            seen = driver.js("return window.__csp")
            assert seen == [], f"violations while the page ran: {seen}"
            # An injected inline script does not run, a request to another origin is
            # refused, and a style attribute is not applied.
            driver.js_async("const done = arguments[arguments.length - 1];"
                            "const s = document.createElement('script');"
                            "s.textContent = 'window.__injected = 1'; document.head.append(s);"
                            "fetch('http://example.invalid/x').catch(() => {}).finally(() =>"
                            " setTimeout(done, 200));")
            assert driver.js("return window.__injected") is None, "an inline script ran"
            directives = sorted({v[0] for v in driver.js("return window.__csp")} - {v[0] for v in seen})
            assert directives == ["connect-src", "script-src-elem"], directives
            # The browser logs the two refusals provoked here; nothing else may be logged.
            severe = [e.get("message", "") for e in driver.logs() if e.get("level") == "SEVERE"]
            other = [m for m in severe if "Content Security Policy" not in m
                     and "example.invalid" not in m]
            assert not other, "console errors: " + "; ".join(other)
            # Every resource the page loaded came from its own origin.
            foreign = driver.js("return performance.getEntriesByType('resource').map(e => e.name)"
                                ".filter(u => !u.startsWith(location.origin))")
            assert not foreign, f"requests to other origins: {foreign}"
            figures["resources_loaded"] = driver.js(
                "return performance.getEntriesByType('resource').length")

        def export_as_python_writes_the_panels_experiments():
            # Capture the script's Blob where the page turns it into a download URL.
            driver.js("window.__exported = null; const orig = URL.createObjectURL;"
                      "URL.createObjectURL = (b) => { if (b.type === 'text/x-python') {"
                      " b.text().then(t => { window.__exported = t; }); }"
                      " return orig.call(URL, b); };")
            depth = driver.js("return document.getElementById('depth-number').value")
            driver.js("document.getElementById('export-python').click()")
            wait_for(driver, "return window.__exported !== null", timeout=60,
                     what="the exported script")
            text = driver.js("return window.__exported")
            url = driver.js("return location.href")
            assert url in text, "the script does not name the page's state"
            for name in ["kernel", "spectrum", "data"]:
                assert f'ntk_lab.experiment("{name}", **json.loads(' in text, name
            assert f'"depth":{depth},' in text, f"depth {depth} is not in the script"
            assert "from neural_tangents import stax" in text

        PLANE_STILL = ("const p = document.getElementById('plane-status');"
                       " return !p || p.dataset.playing === 'false'")

        def the_plane_plays_for_ten_seconds():
            # 80 frames of the XOR preset: the play-head moves at 8 frames a second.
            driver.s("POST", "/url", {"url": "about:blank"})
            driver.s("POST", "/url", {"url": page + "#preset=xor-kernel&view=plane&pdata=xor&n=160"
                                      "&ptest=0.3&pwidth=1024&pdepth=1&lr=1&steps=400&alphas=1&frames=80"})
            t1 = time.time()
            wait_for(driver, "return Number(document.getElementById('plane-status')?.dataset.frames || 0) > 0",
                     timeout=120, what="the first frame on the plane")
            figures["plane_first_frame_s"] = time.time() - t1
            wait_done("the plane's run")
            figures["plane_run_s"] = time.time() - t1
            wait_for(driver, PLANE_STILL, timeout=60, what="the play-head at the end")
            frames = int(driver.js("return document.getElementById('plane-status').dataset.frames"))
            assert frames >= 50, f"only {frames} frames"
            driver.logs()  # only this test's console messages from here on
            start = driver.js(
                "window.__frames = 0; window.__draws = []; window.__times = [];"
                " const c = document.getElementById('plane-maps');"
                " new MutationObserver(() => { window.__frames += 1;"
                " window.__times.push(performance.now());"
                " window.__draws.push(Number(c.dataset.drawMs || 0)); })"
                ".observe(document.getElementById('plane-status'), {attributes: true,"
                " attributeFilter: ['data-frame']});"
                " return performance.now()")
            driver.js("document.getElementById('plane-play').click()")
            time.sleep(10)
            driver.js("document.getElementById('plane-play').click()")
            shown = driver.js("return window.__frames")
            draws = driver.js("return window.__draws") or []
            times = driver.js("return window.__times") or []
            figures["plane_frames_in_10_s"] = float(shown)
            figures["plane_recorded_frames"] = float(frames)
            if len(times) > 1:
                # The rate while the play-head moved (it rests at the last frame).
                figures["plane_frames_per_s"] = (len(times) - 1) / (times[-1] - times[0]) * 1000.0
            if draws:
                figures["plane_maps_draw_ms_max"] = max(draws)
            tasks = [d for st, d in driver.js("return window.__longtasks || []") or [] if st >= start]
            figures["plane_playing_longest_task_ms"] = max(tasks) if tasks else 0.0
            assert shown >= 40, f"{shown} frames in 10 s"
            assert not tasks or max(tasks) <= 50, f"main-thread tasks while playing: {tasks}"
            severe = [e for e in driver.logs() if e.get("level") == "SEVERE"]
            assert not severe, "console errors: " + "; ".join(e.get("message", "") for e in severe)
            # Step and scrub: the step counter follows.
            driver.js("document.getElementById('plane-step').click()")
            driver.js("const r = document.getElementById('plane-scrub'); r.value = '3';"
                      " r.dispatchEvent(new Event('input', {bubbles: true}))")
            time.sleep(0.3)
            assert driver.js("return document.getElementById('plane-status').dataset.frame") == "3"
            assert "frame 4 of" in driver.js("return document.getElementById('plane-status').textContent")
            # Record video: the play from the first frame, downloaded as a WebM blob.
            if driver.js("return !!document.getElementById('plane-record')"):
                driver.js("window.__video = null; const orig = URL.createObjectURL;"
                          " URL.createObjectURL = b => { if (b.type && b.type.startsWith('video/'))"
                          " window.__video = [b.type, b.size]; return orig.call(URL, b); };")
                driver.js("document.getElementById('plane-record').click()")
                wait_for(driver, "return window.__video !== null", timeout=60, what="the recorded video")
                kind, size = driver.js("return window.__video")
                figures["plane_video_kb"] = size / 1000.0
                assert kind.startswith("video/webm") and size > 10_000, (kind, size)

        def no_console_errors():
            severe = [e for e in driver.logs() if e.get("level") == "SEVERE"]
            assert not severe, "console errors: " + "; ".join(e.get("message", "") for e in severe)

        check("page loads with title NTK Lab", loads_with_title)
        check("the Web Worker answers and all four plots are drawn", worker_answers_and_plots_are_drawn)
        if args.screenshot:
            check(f"screenshots saved in {args.screenshot}", screenshots)
        check("changing the depth redraws every plot and updates the URL", depth_change_redraws)
        check("reloading from the URL restores the controls and the plots", reload_from_url_restores_state)
        check("Export as Python downloads a script with the panel's experiments and settings",
              export_as_python_writes_the_panels_experiments)
        check("an invalid σ_w shows its message and the plots stay", invalid_value_keeps_plot)
        check("a slider change at n = 200 redraws", slider_to_redraw_at_n_200)
        check("a preset chosen while the Jacot preset runs is not queued behind it",
              a_preset_supersedes_the_running_jacot_preset)
        check("1, 2 and 4 Web Workers give identical numbers (every figure's CSV)",
              one_two_and_four_workers_give_identical_numbers)
        check("dragging the depth through four values starts at most two jobs",
              dragging_depth_through_four_values_starts_at_most_two_jobs)
        check("a tab visited before redraws from the cache, with no job",
              a_tab_visited_before_redraws_from_the_cache)
        check("at 390 × 844 no element is wider than the screen and every plot is ≥ 240 px tall; nor at 360 px",
              a_phone_screen_shows_every_tab_without_overflow)
        check("the tabs are an ARIA tablist: arrow keys and Home move between them; a skip link",
              tabs_are_an_aria_tablist_with_arrow_keys)
        check("settings a tab does not use are collapsed, with where they apply; info buttons show help",
              settings_a_tab_does_not_use_are_collapsed)
        check("plots dim as soon as the controls change", plots_dim_as_soon_as_the_controls_change)
        check("the data picture is drawn for every distribution", the_data_is_drawn_for_every_distribution)
        check("present mode at 1280 × 720 (150 % of 1920 × 1080): plot text ≥ 16 px, the first plot on the first screen",
              present_mode_has_large_text_and_plots_on_the_first_screen)
        check("axe-core finds no serious or critical violation on any tab",
              axe_finds_no_serious_violations_on_any_tab)
        check("a worker killed mid-job (panic, out of memory) is replaced and the job sent again",
              a_dead_worker_is_replaced_and_the_job_sent_again)
        check("a Content-Security-Policy allows only the page's own scripts and wasm; no request leaves its origin",
              a_content_security_policy_allows_only_the_pages_own_code)
        check("the plane plays for 10 s: frames counted, no main-thread task over 50 ms, no console error",
              the_plane_plays_for_ten_seconds)
        check("no console errors", no_console_errors)
        presets = driver.js("return [...document.querySelectorAll('#preset option')]"
                            ".map(o => o.value).filter(v => v !== 'none')") or []
        if len(presets) != 16:
            results.append(("sixteen presets in the menu", AssertionError(f"found {presets}")))
            print(f"e2e: FAIL sixteen presets in the menu: found {presets}")
        for pid in presets:
            check(f"preset {pid} loads, draws every plot, and its URL reproduces it",
                  preset_loads(pid))
    except Exception as e:  # noqa: BLE001
        results.append(("session", e))
        print(f"e2e: FAIL session: {e}")
    finally:
        shutdown(driver, chromedriver, server, user_data)

    for k, v in figures.items():
        print(f"e2e: figure {k} = {v:.3f}")
    failed = sum(1 for _, e in results if e is not None)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
