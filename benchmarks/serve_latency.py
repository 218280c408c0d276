"""Save-to-screen latency of `archive serve` at 100 and 10,000 entries.

For each size N it writes a synthetic archive of N entries as front-mattered
Markdown straight into content/ (`benchmarks.synthetic`, no sources), starts
the real `archive serve --port 0` process on it, opens an entry page in
Chromium (Playwright, Debian's /usr/bin/chromium), then, edit after edit,
writes a new paragraph into that entry's content file and measures the time
from the write to the new text being on screen. It prints, per N, the first
build's time, the median / min / max latency, and the median rebuild time the
server itself reported (the rest is change detection, debounce and reload).

Targets (issue 6): <= 300 ms at 100 entries, <= 1 s at 10,000.

    python -m benchmarks.serve_latency                 # 100 and 10,000 entries, 5 edits each
    python -m benchmarks.serve_latency --sizes 100 --edits 3
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.synthetic import generate, make_project

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "browser")]

from conftest import CHROMIUM_ARGS, chromium_executable  # type: ignore[import-not-found]
from serve_process import ServeProcess

BUILT = re.compile(r"built in (\d+\.\d+) s")
TARGETS = {100: 0.3, 10_000: 1.0}
TRACE = re.compile(r"trace: version=(\d+) first_event=(\S+) build_start=(\S+) build_end=(\S+) published=(\S+)")
SEGMENTS = ("detect", "debounce", "build", "publish", "deliver", "fetch", "update", "paint", "seen")
"""Where the time goes, in order (each from the end of the previous one):
detect: the save to the server's first watchdog event; debounce: to the build's start;
build: the builder; publish: build end to the event written to the page's stream;
deliver: to the open page asking for its new HTML (an in-place refresh's fetch, or a reload);
fetch: to that HTML received; update: to the page patched in place (or, after a reload, to
DOMContentLoaded); paint: to the next frame (or the reloaded page's first contentful paint);
seen: to the new text found on screen by the benchmark's next check (Playwright)."""
# Stamps, in the open page, the steps the server's script takes: the start of a reload, or
# the end of an in-place refresh and the frame after it.
PROBE = """() => {
  performance.clearResourceTimings();
  window.__benchProbe = true;
  addEventListener('beforeunload', () => sessionStorage.setItem('bench:unload', String(Date.now())), {once: true});
  document.addEventListener('archive-serve:refreshed', () => {
    window.__benchUpdated = Date.now();
    requestAnimationFrame(() => { window.__benchFrame = Date.now(); });
  }, {once: true});
}"""
STEPS = """() => {
  const origin = performance.timeOrigin;
  if (window.__benchProbe) {
    const fetched = performance.getEntriesByType('resource').filter(e => e.initiatorType === 'fetch');
    const f = fetched[fetched.length - 1];
    return {mode: 'refresh', start: f ? origin + f.startTime : 0, response: f ? origin + f.responseEnd : 0,
            updated: window.__benchUpdated || 0, painted: window.__benchFrame || 0};
  }
  const n = performance.getEntriesByType('navigation')[0];
  const p = performance.getEntriesByName('first-contentful-paint')[0];
  return {mode: 'reload', start: Number(sessionStorage.getItem('bench:unload') || 0),
          response: n ? origin + n.responseEnd : 0, updated: n ? origin + n.domContentLoadedEventEnd : 0,
          painted: p ? origin + p.startTime : 0};
}"""


def edit(path: Path, marker: str) -> None:
    """Put a new first paragraph into the body and save atomically, as editors do."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    temp = path.with_name(f".{path.name}.swp-bench")
    temp.write_text(f"{head}{sep}\n{marker}\n\n{body.lstrip()}", encoding="utf-8")
    temp.replace(path)


def run_size(size: int, edits: int, work: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    root = work / f"n{size}"
    started = time.perf_counter()
    items = generate(size)
    make_project(root, items, dumps=False, content=True)
    print(f"[{size}] generated {size} entries in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    server = ServeProcess(root, startup_timeout=3600)
    first = time.perf_counter() - started
    print(f"[{size}] serving after {first:.1f} s (first build) at {server.url}", flush=True)
    latencies: list[float] = []
    builds: list[float] = []
    split: dict[str, list[float]] = {}
    modes: list[str] = []
    try:
        executable = chromium_executable()
        assert executable, "no Chromium (apt-get install chromium)"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            target = items[len(items) // 2].entry
            path = root / "content" / target.path
            page.goto(server.url + target.path[:-3] + "/")
            page.wait_for_function("() => !!document.querySelector('script[data-archive-serve]')")
            for number in range(edits):
                marker = f"Benchmark edit {size}-{number}-{time.time_ns()}"
                page.evaluate(PROBE)
                mark = server.mark()
                t0 = time.time()
                edit(path, marker)
                page.wait_for_function(f"() => document.body.innerText.includes({marker!r})",
                                       polling="raf", timeout=600_000)
                t_screen = time.time()
                latencies.append(t_screen - t0)
                built = server.wait_for(BUILT, timeout=60, after=mark)
                builds.append(float(built.group(1)))
                steps = page.evaluate(STEPS)
                modes.append(steps.pop("mode"))
                segments = _segments(server, mark, t0, t_screen, steps)
                for name, value in segments.items():
                    split.setdefault(name, []).append(value)
                shown = " ".join(f"{name} {segments[name] * 1000:.0f}" for name in SEGMENTS)
                print(f"[{size}] edit {number + 1}: {latencies[-1] * 1000:.0f} ms on screen "
                      f"(server build {builds[-1]:.2f} s; {modes[-1]}; ms: {shown})", flush=True)
                time.sleep(0.3)  # let the page settle before the next save
            browser.close()
    finally:
        code = server.stop()
        if code != 0:
            print(f"[{size}] archive serve exited with {code}:\n{server.output}", flush=True)
    return {
        **{name: statistics.median(values) for name, values in split.items()},
        "size": size, "first_build": first, "median": statistics.median(latencies),
        "min": min(latencies), "max": max(latencies), "build": statistics.median(builds),
        "overhead": statistics.median(t - b for t, b in zip(latencies, builds, strict=True)),
    }


def _segments(server: ServeProcess, mark: int, t0: float, t_screen: float,
              page_stamps: dict[str, float]) -> dict[str, float]:
    """The save-to-screen time split at the server's trace stamps and the page's own stamps (ms)."""
    trace = server.wait_for(TRACE, timeout=60, after=mark)
    version = trace.group(1)
    first, start, end = (float(trace.group(i)) for i in range(2, 5))
    sent_line = server.wait_for(rf"trace: version={version} sent=(\S+)", timeout=10, after=mark)
    sent = float(sent_line.group(1))
    stamps = [t0, first, start, end, sent]
    for key in ("start", "response", "updated", "painted"):
        # A step the page could not stamp takes no time of its own (its share goes to the next).
        stamps.append(max(stamps[-1], page_stamps[key] / 1000) if page_stamps[key] else stamps[-1])
    stamps.append(t_screen)
    split = {name: stamps[i + 1] - stamps[i] for i, name in enumerate(SEGMENTS)}
    return {**split, "event_to_screen": t_screen - sent}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure save-to-screen latency of archive serve.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ["ARCHIVE_SERVE_TRACE"] = "1"  # the server stamps its steps (see SEGMENTS)
    results = []
    with tempfile.TemporaryDirectory(prefix="serve-latency-") as work:
        for size in args.sizes:
            results.append(run_size(size, args.edits, Path(work)))
    print()
    print("| entries | first build | save -> screen (median) | min | max | server rebuild (median) "
          "| detect + reload (median) | target |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        size = int(r["size"])
        target = TARGETS.get(size)
        verdict = "" if target is None else (f"<= {target * 1000:.0f} ms: "
                                             + ("met" if r["median"] <= target else "NOT met"))
        print(f"| {size:,} | {r['first_build']:.1f} s | {r['median'] * 1000:.0f} ms | {r['min'] * 1000:.0f} ms "
              f"| {r['max'] * 1000:.0f} ms | {r['build'] * 1000:.0f} ms | {r['overhead'] * 1000:.0f} ms | {verdict} |")
    print()
    print("Median of each step, ms (each from the end of the previous one; see SEGMENTS): detect -> build "
          "start is 'debounce', build end -> event sent is 'publish', event -> screen is the sum of the rest.")
    print("| entries | " + " | ".join(SEGMENTS) + " | event -> screen |")
    print("|---:|" + "---:|" * (len(SEGMENTS) + 1))
    for r in results:
        cells = [f"{r[name] * 1000:.1f}" for name in (*SEGMENTS, "event_to_screen")]
        print(f"| {int(r['size']):,} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
