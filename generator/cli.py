"""The command line: parse argv, call the pipeline, print, return an exit code.

Exit codes: 0 success, 1 the run found errors (named in the output),
2 bad usage or an invalid configuration.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__
from .build import BUILD_STAGES, BuildReport, NormalizeReport, build, count_kinds, normalize
from .config import Config, ConfigError, load_config, output_overlaps
from .content import load_entries
from .libc import keep_freed_memory
from .models import Problem, Severity

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
LOW_CONFIDENCE = 0.6
MAX_LISTED = 30  # problems listed before "... and N more"


class Reporter:
    """Prints problems and summaries, as loud as the user asked for."""

    def __init__(self, verbosity: int, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.verbosity = verbosity  # 0 quiet, 1 normal, 2 verbose
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.started = time.monotonic()
        self.total_stages = BUILD_STAGES
        self.stages_done = 0
        self.bar: Any = None
        self.task: Any = None
        self.stage = ""

    def progress(self, message: str) -> None:
        """One stage started: a progress bar on a terminal (once the run has taken
        a second), plain timestamped lines otherwise, nothing when quiet."""
        if self.verbosity == 0:
            return
        elapsed = time.monotonic() - self.started
        self.stages_done += 1
        if not self.err.isatty():
            print(f"[{elapsed:6.2f}s] {message}", file=self.err, flush=True)
            return
        # No threads here (no timer, no auto-refresh): the render and search stages fork
        # worker processes, which is only safe while the build is single-threaded.
        self.stage = message
        if self.bar is None and elapsed >= 1.0:
            self._show_bar()
        elif self.bar is not None:
            self.bar.update(self.task, description=message, completed=self.stages_done - 1)
            self.bar.refresh()

    def _show_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(file=self.err), transient=True,
                            auto_refresh=False)
        self.bar.start()
        self.task = self.bar.add_task(self.stage, total=self.total_stages, completed=self.stages_done - 1)
        self.bar.refresh()

    def finish(self) -> None:
        """Remove the progress bar before the summary is printed."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def problems(self, problems: Sequence[Problem]) -> None:
        """Errors always, warnings unless quiet, notices when verbose; long lists cut
        short unless verbose, so the summary stays on screen."""
        shown = [p for p in problems if p.severity is Severity.ERROR
                 or (p.severity is Severity.WARNING and self.verbosity >= 1) or self.verbosity >= 2]
        limit = len(shown) if self.verbosity >= 2 else MAX_LISTED
        for problem in shown[:limit]:
            print(problem, file=self.err)
        if len(shown) > limit:
            print(f"... and {len(shown) - limit} more (--verbose lists them all)", file=self.err)
        notices = sum(1 for p in problems if p.severity is Severity.NOTICE)
        if notices and self.verbosity == 1:
            print(f"({notices} notice(s) hidden; --verbose shows them)", file=self.err)

    def say(self, text: str) -> None:
        if self.verbosity >= 1:
            print(text, file=self.out)


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("common options")
    group.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                       help="path to archive.toml (default: ./archive.toml; optional)")
    loud = group.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                      help="print errors only")
    loud.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                      help="print stages, notices and every problem")


def _paths(parser: argparse.ArgumentParser, output: bool) -> None:
    parser.add_argument("--source", type=Path, help="sources directory (overrides paths.sources)")
    parser.add_argument("--content", type=Path, help="content directory (overrides paths.content)")
    if output:
        parser.add_argument("--output", type=Path, help="output directory (overrides paths.output)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archive",
        description="Turn a collection of saved articles (seeds/) into a searchable static archive site.",
        epilog="Exit codes: 0 success, 1 errors found, 2 bad usage or configuration.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build_parser = commands.add_parser(
        "build", help="normalize sources into content/, then render the site into site/",
        description="Normalize every source into content/ (keeping hand edits), then render content/ "
                    "into the output directory. The previous site stays in place until the new one is complete.")
    _paths(build_parser, output=True)
    _common(build_parser)

    normalize_parser = commands.add_parser(
        "normalize", help="turn sources into front-mattered Markdown in content/",
        description="Normalize every source into content/. Unchanged sources rewrite nothing; "
                    "files edited by hand are never overwritten.")
    _paths(normalize_parser, output=False)
    _common(normalize_parser)

    serve_parser = commands.add_parser(
        "serve", help="build, serve on localhost and rebuild + reload on every save",
        description="Build the archive, serve it at http://HOST:PORT/, watch sources, content, themes "
                    "and archive.toml, rebuild on every save and reload open pages.")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve_parser.add_argument("--poll", action="store_true",
                              help="poll for changes (network and container file systems)")
    _paths(serve_parser, output=True)
    _common(serve_parser)

    check_parser = commands.add_parser(
        "check", help="validate configuration and sources; list what needs a human look",
        description="Validate archive.toml, every source and every content file, and list low-confidence "
                    "fields and hand-edited entries whose source changed. Writes nothing.")
    _paths(check_parser, output=False)
    _common(check_parser)
    return parser


def _configure(args: argparse.Namespace) -> Config:
    config_path: Path | None = getattr(args, "config", None)
    config = load_config(config_path)
    paths = config.paths
    cwd = Path.cwd()
    for name in ("source", "content", "output"):
        value = getattr(args, name, None)
        if value is not None:
            key = "sources" if name == "source" else name
            paths = replace(paths, **{key: str((cwd / value).resolve())})
    overlaps = output_overlaps(config.root, paths)
    if overlaps:
        raise ConfigError(config_path or config.root / "archive.toml", [f"paths.output: {m}" for m in overlaps])
    return replace(config, paths=paths)


def run() -> NoReturn:
    """The `archive` command: main(), then exit at once.

    A build makes millions of small objects (entries, pages, index terms) that
    live until the end, so the cycle collector is told to look rarely (it
    would walk them all again and again, for the odd cycle), and the
    interpreter's teardown, which frees them one by one, is skipped: every
    file is closed by then, and the output streams are flushed here.

    numpy's OpenBLAS is told to start no threads of its own (unless the user says
    otherwise): the search index uses no parallel linear algebra, and each process
    that imports numpy would otherwise start one thread per core, which spins for
    work while the build's own processes need the cores (a fifth of a CPU second
    in a cold build of 10,000 page dumps).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    gc.set_threshold(100_000, 50, 100)
    keep_freed_memory()
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage tool writes its report at exit: let it
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this directly)."""
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and EXIT_USAGE
    verbosity = 0 if getattr(args, "quiet", False) else 2 if getattr(args, "verbose", False) else 1
    reporter = Reporter(verbosity)
    try:
        config = _configure(args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    if args.command == "build":
        return _build(config, reporter)
    if args.command == "normalize":
        return _normalize(config, reporter)
    if args.command == "check":
        return _check(config, reporter)
    if args.command == "serve":
        from .serve import serve

        return serve(config, host=args.host, port=args.port, poll=args.poll, verbosity=verbosity)
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse enforces choices
    return EXIT_USAGE


def _content_line(report: NormalizeReport, config: Config) -> str:
    plan = report.plan
    return (f"content: {len(plan.writes)} written, {plan.unchanged} unchanged, "
            f"{len(plan.kept_edits)} kept hand edits, {len(plan.deletes)} removed ({config.paths.content}/)")


def _normalize(config: Config, reporter: Reporter) -> int:
    reporter.total_stages = 3
    report = normalize(config, progress=reporter.progress)
    reporter.finish()
    reporter.problems(report.problems)
    articles, teasers = count_kinds(report.drafts)
    reporter.say(f"sources: {len(report.sources)} read; entries: {len(report.drafts)} "
                 f"({articles} articles, {teasers} teasers)")
    reporter.say(_content_line(report, config))
    errors = sum(1 for p in report.problems if p.severity is Severity.ERROR)
    reporter.say(f"{errors} error(s), {_count(report.problems, Severity.WARNING)} warning(s) "
                 f"in {report.seconds:.2f} s")
    return EXIT_ERRORS if errors else EXIT_OK


def _count(problems: Sequence[Problem], severity: Severity) -> int:
    return sum(1 for p in problems if p.severity is severity)


def summary(report: BuildReport, config: Config) -> str:
    """The one-screen summary printed at the end of a build."""
    articles, teasers = report.kinds if len(report.kinds) == 2 else count_kinds(report.entries)
    lines = [
        f"sources:  {len(report.normalized.sources)} read",
        f"entries:  {len(report.entries)} ({articles} articles, {teasers} teasers)",
        _content_line(report.normalized, config),
    ]
    if report.written is None:
        lines.append(f"site:     NOT written; {config.paths.output}/ left as it was")
    else:
        lines.append(f"site:     {report.pages} pages, {report.files} files; {report.written.written} written, "
                     f"{report.written.unchanged} unchanged, {report.written.removed} removed "
                     f"({config.paths.output}/)")
    lines.append(f"problems: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    lines.append(f"time:     {report.seconds:.2f} s")
    return "\n".join(lines)


def _build(config: Config, reporter: Reporter) -> int:
    try:
        report = build(config, progress=reporter.progress)
    finally:
        reporter.finish()
    reporter.problems(report.problems)
    reporter.say(summary(report, config))
    return EXIT_OK if report.ok else EXIT_ERRORS


def _check(config: Config, reporter: Reporter) -> int:
    reporter.total_stages = 3
    report = normalize(config, dry_run=True, progress=reporter.progress)
    reporter.finish()
    entries, load_problems = load_entries(config.content_dir, config.paths.content)
    problems = [*report.problems, *load_problems]
    reporter.problems(problems)
    print(f"configuration: ok ({config.root / 'archive.toml'})", file=reporter.out)
    print(f"sources: {len(report.sources)} readable; normalizing them gives {len(report.drafts)} entries",
          file=reporter.out)
    pending = len(report.plan.writes) + len(report.plan.deletes)
    if pending:
        print(f"content: {pending} file(s) would change on the next normalize", file=reporter.out)
    review: list[str] = []
    for entry in sorted(entries, key=lambda e: e.path):
        low = sorted(f"{name} ({score:.2f})" for name, score in entry.confidence.items() if score < LOW_CONFIDENCE)
        if low:
            review.append(f"  {config.paths.content}/{entry.path}: {', '.join(low)}")
    if review:
        print(f"needs a human look: {len(review)} entries with low-confidence fields", file=reporter.out)
        for line in review:
            print(line, file=reporter.out)
    else:
        print("needs a human look: nothing with low confidence", file=reporter.out)
    errors = _count(problems, Severity.ERROR)
    print(f"{errors} error(s), {_count(problems, Severity.WARNING)} warning(s)", file=reporter.out)
    return EXIT_ERRORS if errors else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
