"""build(config) -> BuildReport: the pipeline, in order, in one readable place.

    sources --read--> SourceDocuments --normalize--> drafts --sync--> content/
    content/ --load--> Entries --search--> index files
                               --render--> pages, feeds, sitemap
    all files --write (atomic swap)--> site/

Every stage returns its problems instead of raising, so one broken source or
content file is reported by name and the rest of the archive still builds.
Only a failure of the site as a whole (a theme that does not compile, say)
leaves site/ untouched and makes the build fail.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .config import Config
from .cache import BuildCache
from .content import ContentPlan, load_entries, sync_content
from .models import ARTICLE, Entry, OutputFile, Problem, Severity, SourceDocument
from .write import WriteReport, find_collisions, write_site

Progress = Callable[[str], None]
"""Told the name (and size) of each stage as it starts."""
BUILD_STAGES = 6  # progress messages a full build sends: a progress bar's total


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class NormalizeReport:
    """What `archive normalize` did."""

    sources: tuple[SourceDocument, ...]
    """Sources read successfully."""
    drafts: tuple[Entry, ...]
    """Entries the normalizer produced."""
    plan: ContentPlan
    """What changed in content/."""
    problems: tuple[Problem, ...]
    """Everything worth telling, errors first."""
    seconds: float


@dataclass(frozen=True)
class BuildReport:
    """What `archive build` did; `ok` decides the exit code."""

    normalized: NormalizeReport
    entries: tuple[Entry, ...] = ()
    written: WriteReport | None = None
    """None when the site was left untouched because the build failed."""
    pages: int = 0
    """HTML pages in the built site."""
    files: int = 0
    """Files in the built site."""
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    """Seconds per stage."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def normalize(config: Config, *, dry_run: bool = False, progress: Progress = _quiet) -> NormalizeReport:
    """Read every source, normalize it, and sync the result into content/."""
    from .ingest import read_sources
    from .normalize import normalize_all

    started = time.perf_counter()
    progress("reading sources")
    sources, read_problems = read_sources(config.sources_dir, config.root)
    progress(f"normalizing {len(sources)} sources")
    try:
        drafts, normalize_problems = normalize_all(sources, config)
    except Exception as error:  # the normalizer promises not to raise; if it does, keep content/ as is
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        normalize_problems = [Problem(config.paths.sources, f"normalizer failed, content/ left as it was: {detail}")]
        drafts = []
        unreadable = [f"{config.paths.sources}/{doc.path}" for doc in sources]
    else:
        unreadable = [p.path for p in read_problems if p.severity is Severity.ERROR]
    progress(f"syncing {len(drafts)} entries into {config.paths.content}/")
    plan = sync_content(
        drafts, sources, config.content_dir, config.paths.sources,
        unreadable_sources=unreadable, content_label=config.paths.content, dry_run=dry_run,
    )
    problems = _ordered([*read_problems, *normalize_problems, *plan.problems])
    return NormalizeReport(tuple(sources), tuple(drafts), plan, problems, time.perf_counter() - started)


def render_all(entries: Sequence[Entry], config: Config, inputs: str = "") -> tuple[list[OutputFile], list[Problem]]:
    """Search index and pages for `entries`; raises only when the theme itself is broken.

    The renderer's memo of the previous build (bodies, cards, feed fragments,
    pages, keyed by content hashes) is loaded from and saved to the build
    cache; `inputs` is a digest of the content files (see `build`).
    """
    from .render import RenderMemo, default_jobs, render_site
    from .search import build_search

    search = build_search(entries, config)
    cache = BuildCache(config)
    saved, pages = cache.load("render"), cache.load("pages")
    try:
        memo = RenderMemo(**saved, **pages)
    except TypeError:  # a cache from another layout: start afresh
        memo = RenderMemo()
    rendered = render_site(entries, config, search.assets, memo=memo, jobs=default_jobs(), inputs=inputs)
    if rendered.memo is not memo:
        new = rendered.memo
        cache.save("render", {"key": new.key, "inputs": new.inputs, "markdown": new.markdown,
                              "fragments": new.fragments, "problems": new.problems})
        cache.save("pages", {"pages": new.pages, "files": new.files})
    files, collisions = find_collisions([*rendered.files, *search.files])
    return files, [*search.problems, *rendered.problems, *collisions]


def build(config: Config, *, progress: Progress = _quiet) -> BuildReport:
    """Normalize, then render content/ into the output directory, atomically."""
    started = time.perf_counter()
    normalized = normalize(config, progress=progress)
    stage_seconds = {"normalize": normalized.seconds}
    progress("loading content")
    entry_cache = BuildCache(config).load("entries")
    entries, load_problems = load_entries(config.content_dir, config.paths.content, entry_cache)
    BuildCache(config).save("entries", entry_cache)
    # The cache's keys are "path:text-hash" of every content file: their digest
    # changes whenever the entries can.
    inputs = hashlib.sha256("\n".join(sorted(entry_cache)).encode("utf-8", "surrogatepass")).hexdigest()
    entries.sort(key=lambda e: e.path)
    problems: list[Problem] = [*normalized.problems, *load_problems]
    progress(f"rendering {len(entries)} entries")
    render_started = time.perf_counter()
    try:
        files, render_problems = render_all(entries, config, inputs)
    except Exception as error:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        where = getattr(error, "filename", None) or "theme"
        line = getattr(error, "lineno", None)
        problems.append(Problem(str(where), f"site not rendered, {config.paths.output}/ left as it was: {detail}",
                                line=line))
        return BuildReport(normalized, tuple(entries), None, problems=_ordered(problems),
                           seconds=time.perf_counter() - started, extra=stage_seconds)
    stage_seconds["render"] = time.perf_counter() - render_started
    problems.extend(render_problems)
    if any(p.severity is Severity.ERROR for p in render_problems):
        # A page that does not render is a fault of the theme, not of one source:
        # publishing a site with holes in it would be worse than keeping the last one.
        problems.append(Problem(config.paths.output, f"site not rendered completely, {config.paths.output}/ "
                                "left as it was"))
        return BuildReport(normalized, tuple(entries), None, problems=_ordered(problems),
                           seconds=time.perf_counter() - started, extra=stage_seconds)
    progress(f"writing {len(files)} files to {config.paths.output}/")
    write_started = time.perf_counter()
    written = write_site(files, config.output_dir)
    stage_seconds["write"] = time.perf_counter() - write_started
    pages = sum(1 for f in files if f.path.endswith(".html"))
    return BuildReport(
        normalized, tuple(entries), written, pages=pages, files=len(files),
        problems=_ordered(problems), seconds=time.perf_counter() - started, extra=stage_seconds,
    )


def _ordered(problems: Sequence[Problem]) -> tuple[Problem, ...]:
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTICE: 2}
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=lambda p: (rank[p.severity], p.path, p.line or 0, p.message)))


def count_kinds(entries: Sequence[Entry]) -> tuple[int, int]:
    """(articles, teasers)."""
    articles = sum(1 for e in entries if e.kind == ARTICLE)
    return articles, len(entries) - articles
