#!/usr/bin/env python3
"""A long random session on the built page in headless Chromium (a seeded "monkey").

For --seconds it does what a visitor clicking fast does, chosen at random from a seed:
sets controls to random valid and invalid values, switches tabs and presets, uploads
good and bad files, goes back and forward in history, cancels jobs, resizes the window,
opens the glossary and present mode. After every action it checks that the browser
logged no error and the page is alive. Every few actions it lets the page settle and
checks:
  - the plots on screen belong to the newest job (each canvas's data-generation is the
    status line's data-job);
  - no "NaN" or infinity in the text on the page or in any plot's CSV download;
  - the URL restores what is on screen (opened afresh in a second tab);
  - the JS heap after a forced garbage collection, against the jobs run (no leak).

Prints the seed first, so that a failure can be replayed (--seed N), then one line per
finding and the figures (actions, jobs, heap). Exits non-zero on any failure.

  python3 tests/e2e/monkey.py --dist dist --seconds 120 --seed 1
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_page import browser, serve, shutdown, wait_for  # noqa: E402

SIZES = [(1400, 1000), (1280, 720), (800, 900), (390, 844), (360, 740)]
BAD_NUMBERS = ["-1", "0", "abc", "1e400", "", "NaN", "-0", "99999999", "1,5", " 3 ", "1e-320"]
BAD_TEXT = ["64, 0", "a, b", "", ",,,", "1e9", "-5, 10", "64;128", "8," * 40, "<b>x</b>"]

# Captures the text of every Blob the page turns into a download link (the CSVs).
CSV_SPY = """(() => { window.__csv = []; const make = URL.createObjectURL;
  URL.createObjectURL = function (b) { if (b instanceof Blob) b.text().then(t => window.__csv.push(t));
    return make.call(URL, b); };
  HTMLAnchorElement.prototype.click = function () {}; })();"""

VISIBLE_CONTROLS = """return [...document.querySelectorAll('.sidebar input, .sidebar select')]
  .filter(e => !e.disabled && e.type !== 'file' && e.getClientRects().length > 0)
  .map(e => [e.id, e.tagName.toLowerCase(), e.type, e.min || '', e.max || '', e.step || '',
             e.tagName === 'SELECT' ? [...e.options].map(o => o.value) : []])"""

# The controls' values, except those showing an error: a link never carries an invalid
# value (the page reads it as the default, with a notice), by design.
FIELD_VALUES = ("return Object.fromEntries([...document.querySelectorAll('.sidebar input, .sidebar select')]"
                ".filter(e => e.type !== 'file' && e.getAttribute('aria-invalid') !== 'true')"
                ".map(e => [e.id, e.type === 'checkbox' ? String(e.checked) : e.value]))")

STATE = "return document.querySelector('#job-status')?.dataset.state || ''"

# Canvases on screen whose plot is drawn, with their generation; the newest job's.
GENERATIONS = """const job = Number(document.querySelector('#job-status').dataset.job);
  const shown = [...document.querySelectorAll('canvas[data-generation]')]
    .filter(c => c.getClientRects().length > 0 && Number(c.dataset.generation) > 0
                 && !c.closest('.plot.busy'))
    .map(c => [c.id, Number(c.dataset.generation),
               c.closest('.plot').querySelector('.panel-error')?.textContent || '']);
  return [job, shown];"""

LONG_JOB_S = 10
STALL_S = 90

SETTLED = ("const s = document.querySelector('#job-status')?.dataset.state;"
           " return ['error', 'cancelled', 'invalid'].includes(s)"
           " || (s === 'done' && document.querySelectorAll('.plot.busy').length === 0)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default="dist")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--verbose", action="store_true", help="print every action")
    ap.add_argument("--check-every", type=int, default=20, help="actions between full checks")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver",
                    default=os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
                    or "/usr/bin/chromedriver")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"monkey: seed {seed} (replay with --seed {seed}), {args.seconds:.0f} s", flush=True)
    rng = random.Random(seed)
    if not os.path.isfile(os.path.join(args.dist, "index.html")):
        print(f"monkey: {args.dist}/index.html is missing: run `trunk build --release` first")
        return 2

    files = tempfile.mkdtemp(prefix="ntk-monkey-files-")
    uploads = {
        "good.csv": "x1,x2,y\n" + "\n".join(
            f"{rng.gauss(0, 1):.4f},{rng.gauss(0, 1):.4f},{rng.choice([-1, 1])}" for _ in range(40)),
        "one-column.csv": "\n".join(f"{rng.uniform(-2, 2):.3f}" for _ in range(30)),
        "bad.csv": "a,b\n1,2\n3\nx,y,z\n",
        "nan.csv": "1,2\nNaN,inf\n3,4\n",
        "empty.csv": "",
        "binary.csv": "\x00\x01\x02\xff" * 100,
    }
    for name, text in uploads.items():
        with open(os.path.join(files, name), "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)

    page, server = serve(args.dist)
    user_data = tempfile.mkdtemp(prefix="ntk-monkey-")
    driver, chromedriver = None, None
    failures = []
    figures = {"actions": 0, "action_errors": 0, "full_checks": 0, "url_checks": 0, "csvs": 0,
               "long_jobs_cancelled": 0}
    heap = []  # (jobs sent, used JS heap bytes after GC)
    counts = {}

    def fail(what):
        failures.append(what)
        print(f"monkey: FAIL {what}", flush=True)

    def js(script, *a):
        return driver.js(script, *a)

    def quick_check(after):
        severe = [e.get("message", "") for e in driver.logs() if e.get("level") == "SEVERE"]
        if severe:
            fail(f"console errors after {after}: " + "; ".join(m[:300] for m in severe))
        if js("return !!document.querySelector('#job-status')") is not True:
            fail(f"the page lost its status line after {after}")

    def settle(after):
        """Wait for the page to finish. A job still making progress after LONG_JOB_S is
        cancelled, as a visitor would (heavy settings take minutes: the Jacot preset
        with n = 600 trains 20 nets of width ≤ 1000); one whose status line does not
        change for STALL_S is a hang, and fails."""
        start, last_text, last_change = time.time(), None, time.time()
        while True:
            if js(SETTLED):
                return True
            text = js("return document.querySelector('#job-status').textContent")
            if text != last_text:
                last_text, last_change = text, time.time()
            if time.time() - last_change > STALL_S:
                fail(f"the page hung after {after}: its status line stayed {text!r} for "
                     f"{STALL_S} s ({js('return location.hash')})")
                return False
            if time.time() - start > LONG_JOB_S:
                figures["long_jobs_cancelled"] += 1
                js("document.getElementById('cancel-job')?.click()")
                start = time.time()
            time.sleep(0.1)

    # --- actions -------------------------------------------------------------------
    def set_control():
        controls = js(VISIBLE_CONTROLS) or []
        if not controls:
            return "no control visible"
        cid, tag, typ, lo, hi, step, options = rng.choice(controls)
        el = driver.find("#" + cid)
        if tag == "select":
            value = rng.choice(options)
            js("const s = document.getElementById(arguments[0]); s.value = arguments[1];"
               " s.dispatchEvent(new Event('change', {bubbles: true}));", cid, value)
            return f"{cid} := {value}"
        if typ == "checkbox":
            js("document.getElementById(arguments[0]).click()", cid)
            return f"toggle {cid}"
        if typ == "range":
            keys = rng.choice(["\ue014", "\ue012", "\ue014\ue014\ue014", "\ue011", "\ue010"])
            driver.send_keys(el, keys)
            return f"{cid} keys"
        if typ == "number" and lo and hi and rng.random() < 0.6:
            lo_f, hi_f = float(lo), float(hi)
            v = rng.uniform(lo_f, hi_f)
            text = str(int(round(v))) if float(step or 1) >= 1 else f"{v:.3g}"
        elif typ == "number":
            text = rng.choice(BAD_NUMBERS)
        else:
            text = rng.choice(BAD_TEXT + ["64, 256", "16", "32, 128, 512", "1, 2, 3"])
        driver.clear(el)
        driver.send_keys(el, text + "\ue007")
        return f"{cid} := {text!r}"

    def switch_tab():
        tabs = js("return [...document.querySelectorAll('[role=tab]')].map(t => t.id)") or []
        tab = rng.choice(tabs)
        js("document.getElementById(arguments[0]).click()", tab)
        return f"tab {tab}"

    def preset():
        options = js("return [...document.querySelectorAll('#preset option')].map(o => o.value)") or []
        value = rng.choice(options)
        js("const s = document.getElementById('preset'); s.value = arguments[0];"
           " s.dispatchEvent(new Event('change', {bubbles: true}));", value)
        return f"preset {value}"

    def upload():
        name = rng.choice(list(uploads))
        js("const d = document.getElementById('dist'); if (d && [...d.options].some(o => o.value"
           " === 'upload')) { d.value = 'upload'; d.dispatchEvent(new Event('change', {bubbles: true})); }")
        el = driver.find("#upload-file")
        driver.send_keys(el, os.path.join(files, name))
        return f"upload {name}"

    def history():
        way = rng.choice(["back", "forward"])
        driver.s("POST", f"/{way}", {})
        return way

    def cancel():
        js("document.getElementById('cancel-job')?.click()")
        return "cancel"

    def resize():
        w, h = rng.choice(SIZES)
        driver.s("POST", "/window/rect", {"width": w, "height": h})
        return f"resize {w}x{h}"

    def header_button():
        button = rng.choice(["open-glossary", "toggle-present", "toggle-controls"])
        js("document.getElementById(arguments[0])?.click()", button)
        return f"click {button}"

    def pause():
        time.sleep(rng.uniform(0.0, 1.5))
        return "pause"

    actions = [(set_control, 40), (switch_tab, 12), (preset, 4), (upload, 5), (history, 8),
               (cancel, 4), (resize, 5), (header_button, 5), (pause, 10)]
    weights = [w for _, w in actions]

    # --- full checks -----------------------------------------------------------------
    def full_check(after):
        figures["full_checks"] += 1
        if not settle(after):
            return
        state = js(STATE)
        if state == "done":
            job, shown = js(GENERATIONS)
            stale = [(c, g, e) for c, g, e in shown if g != job]
            if stale:
                fail(f"after {after}: plots of an older job on screen (job {job}): {stale}")
        # The panels and the status line (the sidebar may quote a bad value back).
        text = js("return (document.getElementById('panels')?.innerText || '') + ' '"
                  " + document.getElementById('job-status').innerText") or ""
        for bad in ["NaN", "Infinity"]:
            if bad in text:
                at = text.index(bad)
                fail(f"after {after}: {bad!r} on the page: …{text[max(0, at - 80):at + 40]!r}…")
        # Every visible plot's CSV download.
        js("window.__csv = []; document.querySelectorAll('.plot').forEach(p => {"
           " if (p.getClientRects().length > 0) p.querySelector('button[id$=\"-csv\"]')?.click(); })")
        time.sleep(0.2)
        for csv in js("return window.__csv") or []:
            figures["csvs"] += 1
            cells = [c.strip().lower() for line in csv.splitlines()[1:] for c in line.split(",")]
            bad = [c for c in cells if c in ("nan", "inf", "-inf", "infinity", "-infinity")]
            if bad:
                fail(f"after {after}: a CSV download holds {bad[:3]}: {csv[:200]!r}")
        # The URL restores the controls (not with an uploaded file: a link cannot carry it).
        if state == "done" and js("return document.getElementById('dist')?.value") != "upload":
            figures["url_checks"] += 1
            url, values = js("return location.href"), js(FIELD_VALUES)
            # Opened under another host name (another site, so another renderer process):
            # the heap measured below is then the session's own, not the second tab's.
            url = url.replace("//127.0.0.1:", "//localhost:", 1)
            main_window = driver.s("GET", "/window")
            new = driver.s("POST", "/window/new", {"type": "tab"})["handle"]
            driver.s("POST", "/window", {"handle": new})
            try:
                driver.s("POST", "/url", {"url": url})
                wait_for(driver, "return !!document.querySelector('.sidebar select')",
                         timeout=60, what="the page from its URL")
                again = js(FIELD_VALUES)
                diff = [(k, v, again.get(k)) for k, v in values.items() if again.get(k) != v]
                if diff:
                    fail(f"after {after}: the URL restores other controls: {diff[:5]}")
            finally:
                driver.s("DELETE", "/window")
                driver.s("POST", "/window", {"handle": main_window})
        driver.s("POST", "/goog/cdp/execute", {"cmd": "HeapProfiler.collectGarbage", "params": {}})
        used = driver.s("POST", "/goog/cdp/execute",
                        {"cmd": "Runtime.getHeapUsage", "params": {}})["usedSize"]
        sent = int(js("return document.querySelector('#job-status').dataset.sent") or 0)
        heap.append((sent, used))

    try:
        driver, chromedriver = browser(args.chromium, args.chromedriver, user_data)
        driver.s("POST", "/window/rect", {"width": 1400, "height": 1000})
        driver.s("POST", "/goog/cdp/execute",
                 {"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": CSV_SPY}})
        driver.s("POST", "/url", {"url": page})
        wait_for(driver, "return document.querySelector('#job-status')?.dataset.state === 'done'",
                 timeout=90, what="the first job")
        full_check("loading")
        end = time.time() + args.seconds
        while time.time() < end and len(failures) < 10:
            act = rng.choices(actions, weights)[0][0]
            try:
                what = act()
            except RuntimeError as e:  # a WebDriver refusal (hidden element…): not the page's
                figures["action_errors"] += 1
                what = f"{act.__name__} (refused: {str(e)[:80]})"
            figures["actions"] += 1
            if args.verbose:
                print(f"monkey: {figures['actions']:4d} {time.strftime('%H:%M:%S')} {what}", flush=True)
            counts[act.__name__] = counts.get(act.__name__, 0) + 1
            time.sleep(rng.choice([0.0, 0.05, 0.2, 0.5]))
            quick_check(what)
            if figures["actions"] % args.check_every == 0:
                full_check(what)
        full_check("the last action")
    except Exception as e:  # noqa: BLE001
        fail(f"session: {e}")
    finally:
        shutdown(driver, chromedriver, server, user_data, files)

    # The heap: after warm-up (the first third of the checks) it may not keep growing.
    if len(heap) >= 6:
        third = len(heap) // 3
        base = max(u for _, u in heap[:third])
        last = heap[-1][1]
        figures["heap_after_warmup_mb"] = base / 2**20
        figures["heap_at_end_mb"] = last / 2**20
        figures["heap_max_mb"] = max(u for _, u in heap) / 2**20
        if last > 1.5 * base + 16 * 2**20:
            fail(f"the JS heap grew from {base / 2**20:.1f} MB to {last / 2**20:.1f} MB "
                 f"over {heap[-1][0] - heap[third - 1][0]} jobs")
    figures["jobs_sent"] = heap[-1][0] if heap else 0
    print("monkey: heap after GC (jobs sent: MB) " + ", ".join(f"{j}: {u / 2**20:.1f}" for j, u in heap))
    print("monkey: actions " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for k, v in figures.items():
        print(f"monkey: figure {k} = {v:.1f}" if isinstance(v, float) else f"monkey: figure {k} = {v}")
    print(f"monkey: seed {seed}: {'FAILED, ' + str(len(failures)) + ' findings' if failures else 'passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
