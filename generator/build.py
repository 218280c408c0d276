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

import contextlib
import functools
import hashlib
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from .cache import BuildCache, code_fingerprint, frozen_loads, shard_of
from .config import Config
from .content import (
    JOURNAL_NAME,
    MANIFEST_NAME,
    ContentFile,
    ContentPlan,
    list_content,
    load_entries,
    note_written,
    patch_listing,
    recover,
    sync_content,
)
from .models import ARTICLE, Entry, OutputFile, Problem, Severity, SourceDocument
from .parallel import Forked, answer_first, fork_one
from .write import (
    WriteReport,
    abandon_staging,
    begin_staging,
    find_collisions,
    has_spare_record,
    mirror_spare,
    write_site,
)

if TYPE_CHECKING:
    from .drafts import Drafted
    from .render_cache import SiteCheck
    from .search import SearchOutput

Progress = Callable[[str], None]
"""Told the name (and size) of each stage as it starts."""
BUILD_STAGES = 6  # progress messages a full build sends: a progress bar's total
# Where write_site keeps the retired site between builds (see write.py), in the build cache.
SPARE_SITE = "site-spare"


# The last search stage's output, by output directory: `archive serve` renders the pages of
# an edit with it first (see build's `defer`), a few hundred milliseconds sooner at 10,000 entries.
_LAST_SEARCH: dict[Path, SearchOutput] = {}
_SEARCH_PENDING = "|search pending"
# The listing of content/ the last build of this process made, by directory, and what
# reading the sources gave, by sources directory (see build's `changed`).
_LISTINGS: dict[Path, list[ContentFile]] = {}
_READ: dict[Path, tuple[list[SourceDocument], list[Problem]]] = {}


def _quiet(_: str) -> None:
    pass


def _nothing() -> None:
    pass


def _no_check(whole: bool = False) -> SiteCheck | None:
    return None


SiteChecks = Callable[[bool], "SiteCheck | None"]
"""Gives render_cache.check_site's answer as made beside a build, or None: the touched files'
alone, or with `whole` the files added too (see _check_site_ahead)."""


def _check_site_ahead(config: Config, stops: list[Callable[[], None]]) -> SiteChecks:
    """render_cache.check_site(config) for each of its looks, started in a forked process each;
    returns what waits for their answers (None when a look failed or was not made: the caller
    then looks at site/ itself). A rebuild after an edit needs the first look only, and does
    not wait for the second, slower one (it stops when the build does)."""
    if not config.output_dir.is_dir():  # (a first build)
        return _no_check
    from .render_cache import ADDED, TOUCHED

    looks = {look: fork_one(functools.partial(_check_site, config, look)) for look in (TOUCHED, ADDED)}

    def answer(look: str) -> SiteCheck | None:
        forked = looks[look]
        try:
            return forked.result() if forked is not None else None
        except Exception:  # noqa: BLE001 - whatever it was, looking at site/ here tells the same
            return None

    def result(whole: bool = False) -> SiteCheck | None:
        touched = answer(TOUCHED)
        if not whole or touched is None:
            return touched
        added = answer(ADDED)
        return None if added is None or added.saved != touched.saved else replace(touched, added=added.added)

    def stop() -> None:
        for forked in looks.values():
            if forked is not None:
                forked.cancel()
                forked.join()

    stops.append(stop)
    return result


def _check_site(config: Config, look: str) -> SiteCheck | None:
    from .render_cache import check_site  # (imported in the process that checks)

    return check_site(config, look)


@dataclass(frozen=True)
class NormalizeReport:
    """What `archive normalize` did."""

    sources: tuple[SourceDocument, ...]
    """Sources read successfully."""
    drafts: Sequence[Entry]
    """Entries the normalizer produced (merged when first read)."""
    plan: ContentPlan
    """What changed in content/."""
    problems: tuple[Problem, ...]
    """Everything worth telling, errors first."""
    seconds: float


@dataclass(frozen=True)
class BuildReport:
    """What `archive build` did; `ok` decides the exit code."""

    normalized: NormalizeReport
    entries: Sequence[Entry] = ()
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
    kinds: tuple[int, ...] = ()
    """(articles, teasers) among `entries`, when known without reading them."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def normalize(config: Config, *, dry_run: bool = False, progress: Progress = _quiet,
              stat_cache: dict[str, tuple[int, int, str]] | None = None,
              files: Sequence[ContentFile] | None = None, swept: bool = False,
              read: tuple[list[SourceDocument], list[Problem]] | None = None,
              drafted: Drafted | None = None,
              short_keys: Mapping[str, frozenset[str]] | None = None) -> NormalizeReport:
    """Read every source, normalize it, and sync the result into content/.

    `read`: what reading the sources gave, when the caller knows it is still true, and
    `short_keys` the short line keys of the texts read then (see _read_sources).
    `drafted`: called with the drafts (before duplicates are merged) as soon as they are
    made, when every source was normalized afresh (none came from the cache), and with how to
    save them to the cache; True when it started work in another process, beside the sync,
    which saves them too (see drafts.normalize_cached).
    """
    from .drafts import normalize_cached

    started = time.perf_counter()
    store = BuildCache(config)
    progress("reading sources")
    if read is None:
        read_keys: dict[str, frozenset[str]] = {}
        read, short_keys = _read_sources(config, store, save=not dry_run, short_keys=read_keys), read_keys
    sources, read_problems = read
    _READ[config.sources_dir.absolute()] = (sources, read_problems)
    progress(f"normalizing {len(sources)} sources")
    saved: Callable[[], None] = _nothing
    dump_jobs: int | None = None
    try:
        made = normalize_cached(sources, config, store, drafted=None if dry_run else drafted, short_keys=short_keys)
        drafts, normalize_problems, drafts_key, saved = made.entries, made.problems, made.key, made.saved
    except Exception as error:  # the normalizer promises not to raise; if it does, keep content/ as is
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        normalize_problems = [Problem(config.paths.sources, f"normalizer failed, content/ left as it was: {detail}")]
        drafts, drafts_key = [], ""
        unreadable = [f"{config.paths.sources}/{doc.path}" for doc in sources]
    else:
        unreadable = [p.path for p in read_problems if p.severity is Severity.ERROR]
        if made.beside:
            # The drafts are written out in this process alone: the search analysis runs beside
            # the sync (and then saves the drafts' cache). At 10,000 page dumps one more
            # worker on two cores cost more than it saved (12.99 s against 13.58 s, 5 alternating
            # builds each; 1.1 CPU seconds). With nothing beside it (`archive normalize`) the
            # worker saves 0.2 s.
            dump_jobs = 1
    progress(f"syncing drafts into {config.paths.content}/")
    replay = store.load("content-plan", keep=True)
    before = replay.get("fingerprint")
    plan = sync_content(
        drafts, sources, config.content_dir, config.paths.sources,
        unreadable_sources=unreadable, content_label=config.paths.content, dry_run=dry_run,
        stat_cache=stat_cache, files=files, replay=replay if drafts_key else None, drafts_key=drafts_key,
        swept=swept, jobs=dump_jobs,
    )
    if not dry_run and replay.get("fingerprint") != before:
        store.save("content-plan", replay)
    saved()  # the drafts' cache, saved while content/ was synced
    problems = _ordered([*read_problems, *normalize_problems, *plan.problems])
    return NormalizeReport(tuple(sources), drafts, plan, problems, time.perf_counter() - started)


def _read_sources(config: Config, store: BuildCache, save: bool = True,
                  short_keys: dict[str, frozenset[str]] | None = None) -> tuple[list[SourceDocument], list[Problem]]:
    """read_sources with the build cache's record of the files as last read (unchanged ones are not read).

    `short_keys` gets the short line keys of every text read (drafts.short_keys_of), by path:
    worked out as the files are read, in the processes reading them, instead of in a pass of the
    normalizer's own (a cold build of 10,000 page dumps reads them in two processes)."""
    from .drafts import short_keys_of
    from .ingest import read_sources

    source_stats = store.load("source-stat", keep=True)
    before = dict(source_stats)
    read = read_sources(config.sources_dir, config.root, source_stats,
                        extra=short_keys_of if short_keys is not None else None, extras=short_keys)
    if source_stats != before and save:
        store.save("source-stat", source_stats)
    return read


class Rendered(NamedTuple):
    """What render_all made."""

    files: list[OutputFile] | None
    """Every file of the site; None when site/ already holds exactly what this render
    would write (same content files, templates, settings and search assets, and no
    output file touched since)."""
    problems: list[Problem]
    record: Callable[[], None]
    """Call once `files` are written: records this render for the next build (render_cache)."""
    kept: tuple[str, ...] = ()
    """The paths of site/ when `files` is None."""
    same: Sequence[str] = ()
    """Paths (not in `files`) whose file in site/ is already the new one, byte for byte."""
    prepare: Callable[[], None] = _nothing
    """May be called before `files` are written, and before `record`: saves the part of the
    record that does not depend on site/ (see render_cache.save_memo)."""


def render_all(entries: Sequence[Entry], config: Config, inputs: str = "",
               versions: Mapping[str, str] | None = None, search: SearchOutput | None = None,
               stage_to: Path | None = None, site_check: SiteChecks = _no_check) -> Rendered:
    """Search index and pages for `entries`; raises only when the theme itself is broken.

    `inputs` is a digest of the content files; see `Rendered`. `versions`
    (content path -> text hash) lets a rebuild render only what changed
    entries can change (see render_site). `search`: a search stage's output
    to render with instead of building it (an earlier one: see build's `defer`).
    `stage_to`: write.begin_staging's tree, for the pages to be written into where they
    are rendered (see render_site); give it to write_site with the files. `site_check`: gives
    render_cache.check_site's answer, when one is being made (see _build).
    """
    from .parallel import default_jobs
    from .render import memo_key, render_site, search_assets_read_late
    from .render_cache import load_state, manifest_after, save_memo, save_state, site_unchanged, vouch, with_bodies
    from .search import build_search

    state = load_state(config, bodies=False)
    pending = None
    if search is None and not state.memo.pages and len(entries) >= OVERLAP_MIN and \
            search_assets_read_late(config.theme_dirs):
        # Nothing rendered to reuse: the pages are rendered while another process builds the
        # search index (only the search page, rendered last, needs it). Its analysis is not
        # spread further: this process and its render workers keep the other cores busy.
        pending = fork_one(functools.partial(_search_to_send, entries, config, versions))
    if search is None and pending is None:
        search = build_search(entries, config, versions=versions)
        _LAST_SEARCH[config.output_dir.absolute()] = search
    try:
        searched = _Searched(config, search, pending)
        compiled = config.cache_dir / "templates"
        if (inputs and state.inputs == inputs and state.memo.key == memo_key(config, searched.assets, compiled)
                and site_unchanged(state, config.output_dir, site_check(True))):
            return Rendered(None, [*searched.output().problems, *state.problems],
                            pending.join if pending is not None else _nothing, tuple(state.manifest))
        state = with_bodies(config, state)
        # Unchanged pages are not even read: site/ keeps their files (the write links them).
        unchanged = vouch(state, config.output_dir, site_check(False))
        rendered = render_site(entries, config, searched.assets, memo=state.memo, jobs=default_jobs(),
                               unchanged=unchanged, bytecode_dir=compiled, versions=versions, stage_to=stage_to)
        search = searched.output()
    finally:
        if pending is not None:
            pending.cancel()  # only if render failed before the search was in
    # The search's files are named by their content: one site/ holds untouched at its path is it.
    kept_search, search_files = _split_files(search.files, lambda path: path in state.manifest and unchanged(path))
    same = (*rendered.kept, *kept_search)
    files, collisions = find_collisions([*rendered.files, *search_files], claimed=same)
    own_problems = (*rendered.problems, *collisions)

    structure: list[str] = []

    def prepare() -> None:
        structure.append(save_memo(config, state, rendered.memo))

    def record() -> None:
        # (site/ is written: its files are looked at while the search process may still be saving)
        manifest = manifest_after(state.manifest, same, (f.path for f in files), config.output_dir)
        if pending is not None:
            pending.join()  # the search's caches, saved after it answered
        save_state(config, state, rendered.memo, inputs, own_problems, config.output_dir, manifest,
                   structure[0] if structure else None)

    return Rendered(files, [*search.problems, *own_problems], record, same=same, prepare=prepare)


OVERLAP_MIN = 1000
"""Entries from which a cold render has the search index built beside it, in another process."""


class _Searched:
    """The search stage's output, at hand or being built in another process (`pending`)."""

    def __init__(self, config: Config, search: SearchOutput | None, pending: Forked[SearchOutput] | None) -> None:
        self._config = config
        self._search = search
        self._pending = pending
        self.assets: Mapping[str, str] = search.assets if search is not None else _LateAssets(
            lambda: self.output().assets)

    def output(self) -> SearchOutput:
        if self._search is None:
            from .search import SearchOutput

            assert self._pending is not None
            sent = self._pending.result()
            self._search = SearchOutput(sent.files, MappingProxyType(dict(sent.assets)), sent.problems)
            _LAST_SEARCH[self._config.output_dir.absolute()] = self._search
        return self._search


def _search_to_send(entries: Sequence[Entry], config: Config, versions: Mapping[str, str] | None) -> SearchOutput:
    """build_search, its output in plain picklable values (in a forked process, see render_all).

    Its caches are saved after the output is sent: the pages are often rendered by then, and
    the site can be written while they are (the build waits for them before it ends)."""
    from .search import SearchOutput, build_search

    saves: list[Callable[[], None]] = []
    made = build_search(entries, config, versions=versions, workers=1, saves=saves)
    if not answer_first(lambda: _run(saves)):
        _run(saves)
    return SearchOutput(tuple(made.files), dict(made.assets), made.problems)


class _LateAssets(Mapping[str, str]):
    """The search assets before they are known: not empty (a search always has some), its items
    fetched on first use (render_site reads them last, for the search page alone)."""

    def __init__(self, fetch: Callable[[], Mapping[str, str]]) -> None:
        self._fetch = fetch

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, name: str) -> str:
        return self._fetch()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fetch())

    def __len__(self) -> int:
        return len(self._fetch())


def _split_files(files: Sequence[OutputFile], kept: Callable[[str], bool]) -> tuple[list[str], list[OutputFile]]:
    """(paths of `files` that `kept` says site/ already holds, the other files). A sequence that
    can tell its paths without reading every file's bytes (`split`) is asked to."""
    split = getattr(files, "split", None)
    if callable(split):
        result: tuple[list[str], list[OutputFile]] = split(kept)
        return result
    paths = [file.path for file in files if kept(file.path)]
    held = set(paths)
    return paths, [file for file in files if file.path not in held]


def build(config: Config, *, progress: Progress = _quiet,
          defer: list[Callable[[], bool]] | None = None, changed: frozenset[Path] | None = None) -> BuildReport:
    """Normalize, then render content/ into the output directory, atomically.

    `defer` (archive serve): when this process built the site before, the
    pages are rendered with that build's search index and written, and the
    new search index is left as work appended to `defer` (a full build, which
    returns whether it changed the site). The site is whole at every moment:
    for a second its search index is the previous one, which is what someone
    waiting for an edited page to show can afford. Saving the caches is left
    to `defer` too.

    `changed` (archive serve): every file not in it is as the last build of
    this process saw it (absolute paths; a directory stands for all below it),
    so content/ need not be walked again, nor seeds/ read when nothing in it changed.
    """
    with frozen_loads():  # (see there: the caches it loads are left out of cycle collections)
        stops: list[Callable[[], None]] = []
        try:
            return _build(config, progress=progress, defer=defer, changed=changed, stops=stops)
        finally:
            for stop in stops:
                stop()


def _build(config: Config, *, progress: Progress = _quiet,
           defer: list[Callable[[], bool]] | None = None, changed: frozenset[Path] | None = None,
           stops: list[Callable[[], None]]) -> BuildReport:
    """build(), its body; what it started beside itself and must stop when it ends goes into `stops`."""
    started = time.perf_counter()
    cache = BuildCache(config)
    # site/ is compared with the last build's record meanwhile, in another process (see check_site).
    site_check = _check_site_ahead(config, stops) if defer is None else _no_check
    stat_cache = cache.load("content-stat", keep=True)
    before_stats = dict(stat_cache)
    content_dir = config.content_dir.absolute()
    known = _LISTINGS.get(content_dir) if changed is not None else None
    # An interrupted commit is finished before content/ is listed (a process that built
    # without raising left no leftovers to sweep).
    recover(config.content_dir, sweep=False)
    listing: list[ContentFile] | None = (patch_listing(known, content_dir, changed) if known is not None
                                         and changed is not None else None)
    if listing is None:
        listing = list_content(config.content_dir, sweep=known is None)  # and the uncommitted leftovers
    sources_dir = config.sources_dir.absolute()
    unread = changed is None or any(path == sources_dir or sources_dir in path.parents for path in changed)
    short_keys: dict[str, frozenset[str]] = {}
    read = (_read_sources(config, cache, short_keys=short_keys) if unread or sources_dir not in _READ
            else _READ[sources_dir])
    theme = _theme_files(config) if defer is None else []
    fingerprint = _fingerprint(config, read, listing, theme) if defer is None else ""
    if fingerprint:
        last = _unchanged_build(config, cache, fingerprint, read, started, site_check)
        if last is not None:
            _LISTINGS[content_dir] = listing
            _READ[sources_dir] = read
            return last
    cache.drop(_RECORD)  # until this build succeeds, no record vouches for site/
    def start_search_analysis(drafts: Sequence[Entry], save: Callable[[], None]) -> bool:
        # A cold build's search analysis, started while the drafts are synced (see search.analyse_ahead);
        # its process saves the drafts' cache once it has answered.
        from .search import analyse_ahead, drop_ahead

        stops.append(drop_ahead)
        return analyse_ahead(drafts, config, then=save)

    normalized = normalize(config, progress=progress, stat_cache=stat_cache, files=listing, swept=True, read=read,
                           drafted=start_search_analysis if defer is None else None, short_keys=short_keys)
    if normalized.plan.writes or normalized.plan.deletes:
        listing = list_content(config.content_dir)  # content/ changed under the listing
        note_written(stat_cache, listing, normalized.plan)
    _LISTINGS[content_dir] = listing
    saves: list[Callable[[], None]] = []
    stage_seconds = {"normalize": normalized.seconds}
    progress("loading content")
    entry_cache, entries_held = cache.load_sharded("entries", keep=True)
    keys_before = set(entry_cache)
    url_cache = cache.load("entry-urls", keep=True)
    if url_cache.get("code") != _urls_code():
        url_cache.clear()
    urls: dict[str, str] = url_cache.setdefault("urls", {})
    urls_before = set(urls)
    entries, load_problems = load_entries(config.content_dir, config.paths.content, entry_cache, stat_cache,
                                          files=listing, texts=normalized.plan.writes, urls=urls,
                                          plan=normalized.plan)
    if set(urls) != urls_before:
        url_cache["code"] = _urls_code()
        saves.append(lambda: cache.save("entry-urls", url_cache))
    if set(entry_cache) != keys_before:
        # Keys are "path:text-hash": by path, so an edited file stays in its shard.
        # Kept without their bodies, which a rebuild reads from the few files it needs them of.
        saves.append(lambda: cache.save_sharded("entries", entry_cache, entries_held,
                                                shard=lambda key: shard_of(key.rpartition(":")[0]),
                                                encode=Entry.kept))
    if stat_cache != before_stats:
        saves.append(lambda: cache.save("content-stat", stat_cache))
    # The cache's keys are "path:text-hash" of every content file: their digest
    # changes whenever the entries can.
    inputs = hashlib.sha256("\n".join(sorted(entry_cache)).encode("utf-8", "surrogatepass")).hexdigest()
    entries.sort(key=lambda e: e.path)
    problems: list[Problem] = [*normalized.problems, *load_problems]
    progress(f"rendering {len(entries)} entries")
    render_started = time.perf_counter()
    # With no site/ yet, the pages are written into the new tree where they are rendered.
    staging = begin_staging(config.output_dir) if defer is None else None
    spare = config.cache_dir / SPARE_SITE
    mirroring = None
    if staging is None and defer is None and config.output_dir.is_dir() and not has_spare_record(spare):
        # The first rebuild after a cold build: the spare tree its write updates is made meanwhile.
        mirroring = fork_one(functools.partial(mirror_spare, config.output_dir, spare))
        if mirroring is not None:
            stops.append(mirroring.join)
    try:
        versions = dict(key.rsplit(":", 1) for key in entry_cache)
        earlier_search = _LAST_SEARCH.get(config.output_dir.absolute()) if defer is not None else None
        if earlier_search is not None:
            # Recorded as not quite these inputs, so that the full build that follows renders.
            inputs += _SEARCH_PENDING
        files, render_problems, record_render, kept, same, prepare_record = render_all(
            entries, config, inputs, versions, search=earlier_search, stage_to=staging, site_check=site_check)
    except Exception as error:
        abandon_staging(staging)
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
        abandon_staging(staging)
        return BuildReport(normalized, tuple(entries), None, problems=_ordered(problems),
                           seconds=time.perf_counter() - started, extra=stage_seconds)
    write_started = time.perf_counter()
    if files is None:
        # Nothing the site is made of changed, and site/ is untouched: nothing to write.
        paths = list(kept)
        written = WriteReport(written=0, unchanged=len(paths), removed=0)
        abandon_staging(staging)
    else:
        progress(f"writing {len(files)} files to {config.paths.output}/")
        if defer is None:
            # The caches of content/, and most of the render's, do not depend on site/: pickled
            # while the writer threads wait on the kernel.
            saves = [_in_background([*saves, prepare_record])]
        if mirroring is not None:
            # A spare that could not be made is no error: write_site then makes the tree from nothing.
            with contextlib.suppress(Exception):
                mirroring.result()
        written = write_site(files, config.output_dir, same=same, spare=spare,
                             staged=staging)
        saves.append(record_render)
        paths = [*(f.path for f in files), *same]
    stage_seconds["write"] = time.perf_counter() - write_started
    pages = sum(1 for path in paths if path.endswith(".html"))
    kinds = count_kinds(entries)
    if defer is None:
        _run(saves)
        if fingerprint and written is not None:
            fingerprint = _fingerprint(config, read, listing, theme)  # content/ (and its manifest) as this build left it
            cache.save(_RECORD, {"fingerprint": fingerprint, "problems": _ordered(problems),
                                 "plan": normalized.plan.replayed(),
                                 "pages": pages, "files": len(paths), "entries": [e.path for e in entries],
                                 "kinds": kinds})
    else:
        defer.append(lambda: _run(saves))
        if earlier_search is not None:
            def finish_search() -> bool:
                later = build(config, progress=progress, changed=frozenset())
                return later.written is not None and (later.written.written + later.written.removed) > 0

            defer.append(finish_search)
    return BuildReport(
        normalized, tuple(entries), written, pages=pages, files=len(paths),
        problems=_ordered(problems), seconds=time.perf_counter() - started, extra=stage_seconds, kinds=kinds,
    )


_RECORD = "build-record"
"""What the last successful build saw and reported (see _unchanged_build)."""
@functools.cache
def _urls_code() -> str:
    """A hash of urls.py: cached URLs were made by this code."""
    return hashlib.sha256((Path(__file__).resolve().parent / "urls.py").read_bytes()).hexdigest()


def _theme_files(config: Config) -> list[str]:
    """Every theme file with its size and modification time."""
    lines: list[str] = []
    for directory in config.theme_dirs:
        for base, folders, names in os.walk(directory):
            folders.sort()
            for name in sorted(names):
                info = os.stat(os.path.join(base, name))
                lines.append(f"t|{base}/{name}|{info.st_size}|{info.st_mtime_ns}")
    return lines


def _fingerprint(config: Config, read: tuple[Sequence[SourceDocument], Sequence[Problem]],
                 listing: Sequence[ContentFile], theme: Sequence[str]) -> str:
    """A hash of every input of a build, from file metadata: the code, the configuration,
    the theme files (`theme`: _theme_files as the build began), the sources, content/ (its
    files and the store's manifest and journal).

    Files are taken by size and modification time, as the stat caches of the
    sources and content files take them (a file changed within the same
    nanosecond tick at the same size is not seen, as make would not see it).
    """
    digest = hashlib.sha256(f"{code_fingerprint()}|{config!r}|".encode("utf-8", "surrogatepass"))
    lines = list(theme)
    sources, problems = read
    lines.extend(f"s|{doc.path}|{doc.digest}" for doc in sources)
    lines.extend(f"p|{problem!r}" for problem in problems)
    lines.extend(f"c|{file.relative}|{file.size}|{file.mtime_ns}" for file in listing)
    for hidden in (MANIFEST_NAME, JOURNAL_NAME):
        try:
            info = os.stat(config.content_dir / hidden)
        except OSError:
            continue
        lines.append(f"h|{hidden}|{info.st_size}|{info.st_mtime_ns}|{info.st_ino}")
    digest.update("\n".join(lines).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _unchanged_build(config: Config, cache: BuildCache, fingerprint: str,
                     read: tuple[list[SourceDocument], list[Problem]], started: float,
                     site_check: SiteChecks) -> BuildReport | None:
    """The report of the last build, when it saw exactly these inputs and left site/ as it is now
    (nothing to do, as make says); else None.

    The entries are read from the entries cache only if the report's `entries` are used.
    """
    record = cache.load(_RECORD)
    if record.get("fingerprint") != fingerprint or not isinstance(record.get("plan"), ContentPlan):
        return None
    from .render_cache import load_state, site_unchanged

    state = load_state(config, bodies=False)
    if not state.manifest or not site_unchanged(state, config.output_dir, site_check(True)):
        return None
    sources, _ = read
    normalized = NormalizeReport(tuple(sources), (), record["plan"], (), 0.0)
    files = int(record["files"])
    return BuildReport(normalized, _CachedEntries(cache, tuple(record["entries"]), config.content_dir),
                       WriteReport(written=0, unchanged=files, removed=0), pages=int(record["pages"]),
                       files=files, problems=tuple(record["problems"]), seconds=time.perf_counter() - started,
                       kinds=tuple(record["kinds"]))


class _CachedEntries(Sequence[Entry]):
    """The entries of an unchanged build, read from the entries cache when first used."""

    def __init__(self, cache: BuildCache, paths: tuple[str, ...], content_dir: Path) -> None:
        self._cache, self._paths, self._content_dir = cache, paths, content_dir
        self._entries: list[Entry] | None = None

    def _get(self) -> list[Entry]:
        if self._entries is None:
            by_path = {}
            for key, entry in self._cache.load_sharded("entries")[0].items():
                path, _, version = key.rpartition(":")
                by_path[path] = entry.with_body_file(os.path.join(self._content_dir, path), version)
            self._entries = [by_path[path] for path in self._paths if path in by_path]
        return self._entries

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, index: Any) -> Any:
        return self._get()[index]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._get())


def _in_background(work: Sequence[Callable[[], None]]) -> Callable[[], None]:
    """Start `work` in a thread now; the returned step waits for it (and raises what it raised)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            _run(work)
        except BaseException as error:  # handed to the waiting step
            failed.append(error)

    thread = threading.Thread(target=run, name="cache-saves")
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return wait


def _run(work: Sequence[Callable[[], None]]) -> bool:
    for step in work:
        step()
    return False  # saving caches changes nothing in the site


def _ordered(problems: Sequence[Problem]) -> tuple[Problem, ...]:
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTICE: 2}
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=lambda p: (rank[p.severity], p.path, p.line or 0, p.message)))


def count_kinds(entries: Sequence[Entry]) -> tuple[int, int]:
    """(articles, teasers)."""
    articles = sum(1 for e in entries if e.kind == ARTICLE)
    return articles, len(entries) - articles
