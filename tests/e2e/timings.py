"""Times every teaching preset in headless Chromium with 1, 2, … Web Workers, and checks
that each preset's plotted numbers (every figure's CSV) are the same for every number of
workers.

    python3 tests/e2e/timings.py --dist dist [--workers 1,2] [--only jacot,spectral-bias]

For each preset and worker count: the page is opened at `#workers=N&preset=<id>` (a
preset's link), and the time from navigation to the job's end with every panel drawn is
printed (page load included; the plane's play-head may still be moving), with the
longest main-thread task from load on; a table in Markdown closes the run. Exits 1
when the CSVs of one preset differ between worker counts.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_page import (LONGTASKS, browser, serve, shutdown, wait_for)  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

PRESETS = ["jacot", "spectral-bias", "lazy", "tails", "wide-enough", "streaming-sgd", "labels",
           "parameterization", "cnn", "attention", "kan", "spurious", "robustness",
           "xor-kernel", "spiral-lazy-rich", "kernel-unsure"]

# Records every Blob the page turns into a download URL, and keeps the downloads from
# happening: the CSV buttons' text is read back from window.__blobs.
CSV_SPY = ("window.__blobs = []; const __o = URL.createObjectURL.bind(URL);"
           " URL.createObjectURL = b => { window.__blobs.push(b); return __o(b); };"
           " HTMLAnchorElement.prototype.click = function () {};")

DONE = ("const s = document.querySelector('#job-status'); const g = [...document.querySelectorAll("
        "'.panels canvas')].map(c => Number(c.dataset.generation || 0));"
        " return s && s.dataset.state === 'done' && g.length > 0 && g.every(x => x > 0)")

# The time (ms from navigation) each figure was last drawn, by its canvas id.
DRAWN = ("window.__drawn = {}; new MutationObserver(ms => ms.forEach(m => { if (m.target.id)"
         " window.__drawn[m.target.id] = performance.now(); })).observe(document,"
         " {subtree: true, attributes: true, attributeFilter: ['data-generation']});")

# The plane's play-head keeps moving after its job: its CSVs are read once it rests.
STILL = "return !document.querySelector('[data-playing=\"true\"]')"

CSVS = ("const done = arguments[arguments.length - 1]; window.__blobs = [];"
        " const buttons = [...document.querySelectorAll('.panels button[id$=\"-csv\"]')]"
        ".filter(b => b.offsetParent !== null);"
        " buttons.forEach(b => b.click());"
        " Promise.all(window.__blobs.map(b => b.text())).then(t => done(buttons.map((b, i) =>"
        " [b.id, t[i] || ''])));")


def run(driver, page, pid, workers):
    driver.s("POST", "/url", {"url": "about:blank"})
    t0 = time.time()
    # A preset's id, or (with "=") a link's own fields, e.g. "n=2000&eig=all".
    link = pid if "=" in pid else f"preset={pid}"
    driver.s("POST", "/url", {"url": f"{page}#workers={workers}&{link}"})
    wait_for(driver, DONE, timeout=300, what=f"preset {pid} with {workers} workers")
    seconds = time.time() - t0
    wait_for(driver, STILL, timeout=120, what="the plane's play-head at rest")
    tasks = [d for _, d in driver.js("return window.__longtasks || []") or []]
    drawn = driver.js("return window.__drawn || {}") or {}
    if drawn:
        print("    drawn at " + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in sorted(drawn.items(),
                                                                         key=lambda kv: kv[1])))
    status = driver.js("return document.querySelector('#job-status').textContent")
    csvs = driver.js_async(CSVS)
    digest = hashlib.sha256("\n".join(f"{i}\n{t}" for i, t in csvs).encode()).hexdigest()[:16]
    return seconds, max(tasks) if tasks else 0.0, status, digest, len(csvs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default="dist")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--only", help="comma-separated preset ids, or links' fields with '=' "
                    "separated by ';' (e.g. 'n=2000;n=2000&eig=all')")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER")
                    or shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    if args.only and "=" in args.only:
        presets = args.only.split(";")
    else:
        presets = args.only.split(",") if args.only else PRESETS
    page, server = serve(args.dist)
    user_data = tempfile.mkdtemp(prefix="ntk-timings-")
    driver, chromedriver = None, None
    rows, differ = [], []
    try:
        driver, chromedriver = browser(args.chromium, args.chromedriver, user_data)
        driver.s("POST", "/window/rect", {"width": 1400, "height": 1000})
        driver.s("POST", "/goog/cdp/execute",
                 {"cmd": "Page.addScriptToEvaluateOnNewDocument",
                  "params": {"source": LONGTASKS + "\n" + CSV_SPY + "\n" + DRAWN}})
        for pid in presets:
            row = [pid]
            digests = set()
            for w in counts:
                s, task, status, digest, n = run(driver, page, pid, w)
                print(f"{pid:18} {w} workers: {s:6.2f} s, longest task {task:5.0f} ms, "
                      f"{n} CSVs {digest} | {status}", flush=True)
                row += [s, task]
                digests.add(digest)
            if len(digests) > 1:
                differ.append(pid)
            rows.append(row)
    finally:
        shutdown(driver, chromedriver, server, user_data)
    print("\n| preset | " + " | ".join(f"{w} worker{'s' if w > 1 else ''} (s) | longest task (ms)"
                                       for w in counts) + " |")
    print("|---|" + "---|---|" * len(counts))
    for r in rows:
        cells = []
        for i in range(len(counts)):
            cells += [f"{r[1 + 2 * i]:.1f}", f"{r[2 + 2 * i]:.0f}"]
        print(f"| {r[0]} | " + " | ".join(cells) + " |")
    if differ:
        print(f"\ntimings: the plotted numbers differ between worker counts for: {', '.join(differ)}")
        return 1
    print("\ntimings: every preset's plotted numbers are identical for every worker count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
