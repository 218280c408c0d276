"""Search at scale: build seconds, index bytes, bytes fetched per query, time to first result.

For each size (default 1,000 and 10,000 synthetic ~1,000-word articles from
benchmarks/synthetic.py, deterministic), builds the search with
`generator.search.build_search`, writes it with a minimal search page into a
temporary directory, serves it over HTTP and drives Chromium: each sample
query is typed into a fresh page (cold: nothing cached but the page, lunr.js
and the manifest) and then the others follow in the same page (warm). Bytes
are the gzip sizes of the data files the page requested under search/index/
before the results showed (lunr.js and the page itself not counted, as the
issue says).

    python -m benchmarks.search            # 1000 and 10000
    python -m benchmarks.search 2000       # other sizes
"""

from __future__ import annotations

import argparse
import gc
import gzip
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.build_speed import with_edit
from benchmarks.synthetic import generate
from generator.config import Config
from generator.search import build_search
from generator.search.text import analyze_text

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>search bench</title></head><body>
<form id="search-form" data-root="../" data-index="index/" data-manifest="{manifest}">
<input id="search-input" name="q"><button>Search</button></form>
<div id="search-filters" hidden><select id="filter-author"><option value=""></option></select>
<select id="filter-tag"><option value=""></option></select><select id="filter-publication"><option value=""></option></select>
<select id="filter-year"><option value=""></option></select></div>
<p id="search-status"></p><ol id="search-results"></ol><button id="search-more" hidden></button>
{scripts}
</body></html>
"""


def sample_queries(entries: Sequence[Any]) -> list[str]:
    """A frequent word, a rarer word, and a two-word query, from the corpus itself."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for entry in entries[:200]:
        counts.update({w for w in entry.body.split() if analyze_text(w, "en")})
    ranked = [w for w, _ in counts.most_common() if w.isalpha() and len(w) > 4]
    frequent, rare = ranked[0], ranked[len(ranked) // 2]
    return [frequent, rare, f"{ranked[5]} {ranked[40]}"]


def write_site(output: Any, root: Path) -> None:
    for file in output.files:
        target = root / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
    order = ["lunr.js", "lunr.stemmer.support.js"]
    order += sorted(n for n in output.assets if n.startswith("lunr.") and n not in order)
    order += ["search-core.js", "search.js"]
    scripts = "\n".join(f'<script src="../{output.assets[n]}"></script>' for n in order if n in output.assets)
    (root / "search" / "index.html").write_text(
        PAGE.format(manifest=output.assets["manifest"], scripts=scripts), encoding="utf-8")


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6))


def measure(root: Path, queries: Sequence[str]) -> list[dict[str, Any]]:
    """Per query: cold and warm gzipped bytes fetched, and ms to first result (cold)."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, chromium_executable, serve_directory

    base, server = serve_directory(root)
    rows: list[dict[str, Any]] = []
    executable = chromium_executable()
    if executable is None:
        raise SystemExit("Chromium is needed for the benchmark")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)

        def run(page: Any, query: str) -> tuple[int, float]:
            # The data files requested between submitting and the results showing,
            # from the page's own resource timing (the facets, which load after, are not counted).
            elapsed, names = page.evaluate("""q => new Promise(resolve => {
                const status = document.getElementById('search-status')
                const input = document.getElementById('search-input')
                const t0 = performance.now()
                const done = () => /results? for|No results/.test(status.textContent)
                new MutationObserver((_, observer) => {
                  if (!done()) return
                  observer.disconnect()
                  const t1 = performance.now()
                  const names = performance.getEntriesByType('resource')
                    .filter(e => e.startTime >= t0 && e.startTime <= t1 && e.name.includes('/search/index/'))
                    .map(e => e.name.split('/').pop())
                  resolve([t1 - t0, names])
                }).observe(status, {childList: true, characterData: true, subtree: true})
                status.textContent = ''
                input.value = q
                document.getElementById('search-form').requestSubmit()
            })""", query)
            size = sum(gz(root / "search" / "index" / name) for name in names)
            return size, float(elapsed)

        for query in queries:
            context = browser.new_context()
            page = context.new_page()
            page.goto(base + "search/")
            page.wait_for_function("window.ArchiveSearchCore !== undefined")
            page.wait_for_function("""performance.getEntriesByType('resource')
                .some(e => e.name.includes('/search/index/manifest.'))""")
            manifest = sum(gz(root / "search" / "index" / e.rsplit("/", 1)[1]) for e in page.evaluate(
                "performance.getEntriesByType('resource').map(e => e.name)"
                ".filter(n => n.includes('/search/index/manifest.'))"))
            cold, ms = run(page, query)
            page.wait_for_timeout(300)  # let the facets arrive, as a reader's next query would
            warm = [run(page, q)[0] for q in queries if q != query]
            rows.append({"query": query, "manifest": manifest, "cold": cold, "ms": ms,
                         "warm_max": max(warm) if warm else 0})
            context.close()
        browser.close()
    server.shutdown()
    return rows


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the analysis workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _versions(entries: Sequence[Any]) -> dict[str, str]:
    """Stand-ins for the content files' text hashes (what the build passes): a hash of each entry."""
    import hashlib

    return {e.path: hashlib.sha256(repr(e).encode()).hexdigest()[:16] for e in entries}


def rebuilds(items: Sequence[Any], runs: int = 4) -> list[tuple[str, float, bool]]:
    """build_search with the build cache after benchmarks/build_speed.py's edit of one entry,
    run after run: (label, CPU seconds, whether the edit was applied in place)."""
    import dataclasses

    from generator.search import live

    entries = list(items)
    target = min(range(len(entries)), key=lambda n: entries[n].path)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        config = Config(root=Path(directory))
        build_search(entries, config, versions=_versions(entries))
        for run in range(runs):
            entries[target] = dataclasses.replace(entries[target], body=with_edit(entries[target].body, run))
            versions = _versions(entries)
            live.last_refusal = ""
            cpu = _cpu()
            output = build_search(entries, config, versions=versions)
            cpu = _cpu() - cpu
            rows.append((f"edit {run + 1}", cpu, not live.last_refusal))
            len(output.files)  # the files, as the writer reads them (not counted above)
    return rows


def bench(count: int) -> None:
    items = [item.entry for item in generate(count)]
    gc.collect()
    wall, cpu = time.perf_counter(), _cpu()
    output = build_search(items, Config(), cache=False)  # cold: no build cache
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "site"
        write_site(output, root)
        index_files = list((root / "search" / "index").iterdir())
        total = sum(f.stat().st_size for f in index_files)
        total_gz = sum(gz(f) for f in index_files)
        queries = sample_queries(items)
        rows = measure(root, queries)
    print(f"\n## {count:,} articles")
    print(f"build_search: {wall:.1f} s wall, {cpu:.1f} s CPU; {len(output.files):,} files")
    print(f"index data: {total / 1e6:.1f} MB ({total_gz / 1e6:.1f} MB gzipped) in {len(index_files):,} files")
    print("| query | manifest gz | first query gz (incl. manifest) | later query gz (max) | first result ms |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['query']} | {row['manifest'] / 1000:.1f} KB | {(row['manifest'] + row['cold']) / 1000:.1f} KB"
              f" | {row['warm_max'] / 1000:.1f} KB | {row['ms']:.0f} |")
    print("\nRebuilds after editing one entry (build cache; the first edit adds a line, the others change its number):")
    for label, seconds, in_place in rebuilds(items):
        print(f"- {label}: {seconds:.3f} s CPU ({'applied in place' if in_place else 'full index build'})")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    args = parser.parse_args(argv)
    for size in args.sizes:
        bench(size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
