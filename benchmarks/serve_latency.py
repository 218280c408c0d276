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
                mark = server.mark()
                t0 = time.perf_counter()
                edit(path, marker)
                page.wait_for_function(f"() => document.body.innerText.includes({marker!r})",
                                       polling="raf", timeout=600_000)
                latencies.append(time.perf_counter() - t0)
                built = server.wait_for(BUILT, timeout=60, after=mark)
                builds.append(float(built.group(1)))
                print(f"[{size}] edit {number + 1}: {latencies[-1] * 1000:.0f} ms on screen "
                      f"(server build {builds[-1]:.2f} s)", flush=True)
                time.sleep(0.3)  # let the page settle before the next save
            browser.close()
    finally:
        code = server.stop()
        if code != 0:
            print(f"[{size}] archive serve exited with {code}:\n{server.output}", flush=True)
    return {
        "size": size, "first_build": first, "median": statistics.median(latencies),
        "min": min(latencies), "max": max(latencies), "build": statistics.median(builds),
        "overhead": statistics.median(t - b for t, b in zip(latencies, builds, strict=True)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure save-to-screen latency of archive serve.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
