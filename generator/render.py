"""Entries + config -> every file of the site (HTML, feeds, sitemap, assets); pure.

`render_site` returns `OutputFile`s and `Problem`s and writes nothing. It:

1. groups entries into taxonomies (tags, authors, publications, years, months);
2. makes one read-only view per entry for the templates (URLs, formatted
   dates, rendered Markdown);
3. fingerprints the theme's static assets (first file of a name in the theme
   chain wins, so a user theme can override one asset);
4. renders each page through a Jinja environment over the theme chain (a
   user theme can override one template), with a per-page context: `root`
   (relative prefix to the site root), `link(url)`, `asset(name)`, `site`,
   `search_assets`, `canonical`;
5. adds Atom feeds, sitemap.xml and robots.txt.

Work that many pages share is done once per entry: each entry's card (its
<li> in every list, via `card(view, level)` or `cards(views, level)` in the templates, rendered with
CARD_ROOT in place of the page's root prefix) and its Atom <entry> fragment.
Given the previous render's `RenderMemo`, unchanged bodies, cards and
fragments are reused, and so is every page whose context fingerprint (a hash
of everything its template can see) is unchanged, with the bytes the previous
build wrote (or, given `unchanged`, the file left in place). When a few
entries changed and nothing that other pages' structure depends on did
(same entries in the same order, same dates, URLs, taxonomy names and
kinds), only the pages and feeds that can show those entries are planned
(`_changed_plan`); views are made lazily, so such a rebuild costs what it
renders, not the archive's size. With `jobs` > 1 the per-entry and per-page work is spread over
forked processes (the parent takes its share). None of this changes a byte of
the output. Contract for themes: entry_card may use only its arguments, `site`
and `link`; only search.html may use `search_assets` (other pages get
`has_search`). Besides `card`, pages get `cards(views, level)` (a list's cards
in one call) and `page_items(pager)` (a pager's <li> page links, made once per
list), both much cheaper than the equivalent loops in Jinja.

Links between pages are relative and point at directories ("../tags/x/").
Opened from disk (file://) a directory link would show a listing, so base.html
carries a few lines of script that, only when `location.protocol` is
"file:", append "index.html" to such links. Over HTTP nothing changes, so the
addresses readers share stay clean; without JavaScript the site is fully
usable on every host. 404.html uses absolute links (base_url) because hosts
serve it at whatever path was missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import posixpath
from array import array
from collections import ChainMap, Counter
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import markupsafe
from markupsafe import Markup, escape

from . import feeds
from .config import Config
from .markdown import render_markdown
from .models import TEASER, Entry, OutputFile, Problem, Severity, count_words
from .parallel import parallel_map as _parallel_map
from .taxonomy import (
    MONTH_NAMES,
    Taxonomy,
    Term,
    build_date_taxonomies,
    build_taxonomy,
    entry_key,
    format_date,
    month_name,
    normalize_name,
    sort_entries,
    sort_key,
)
from .urls import entry_url, page_file, safe_relative
from .write import stage_file

WORDS_PER_MINUTE = 230
RELATED_LIMIT = 5
# Related entries are looked for among this many neighbours (by date) in each
# shared tag, so the cost stays linear in the archive size.
RELATED_WINDOW = 40
TIMELINE_WIDTH = 720
TIMELINE_HEIGHT = 160
TIMELINE_PLOT_TOP = 12
TIMELINE_PLOT_BOTTOM = 132
# Bump when the renderer changes what it makes from the same inputs, so a
# saved RenderMemo from an older renderer is never reused.
RENDER_FORMAT = 3
# Stands for the page's root prefix in a card rendered once for every page:
# "<" never survives autoescaping in entry text, so no entry can contain it.
CARD_ROOT = "<\x00root>"
# Card levels made ahead for every entry: the default theme's lists and related entries
# show level 3 (a theme asking for another level gets those cards made as pages need them).
CARD_LEVELS = (3,)
# Stands for an entry's <content> line in its cached feed fragment: the escaped
# body is the bulk of a fragment and is cheap to make, so it is not stored.
CONTENT_MARK = "<\x00content>"
# Below this many items a process pool costs more (fork, pickling) than it saves.
PARALLEL_MIN = 200
# Up to this many changed entries, a rebuild plans only the pages they can change.
CHANGED_MAX = 20
TAXONOMY_KINDS = ("tags", "authors", "publications", "years", "months")


@dataclass(frozen=True)
class RenderResult:
    """Everything the renderer produced: files for site/ and what went wrong."""

    files: tuple[OutputFile, ...]
    """Every output file, sorted by path."""
    problems: tuple[Problem, ...]
    """Template errors, URL collisions and slug clashes found while rendering."""
    memo: RenderMemo = field(default_factory=lambda: RenderMemo())
    """This render's reusable work, for the next build."""
    rendered: int = 0
    """Pages rendered through templates (the rest came from the memo)."""
    kept: frozenset[str] = frozenset()
    """Output paths (not in `files`) whose previous file is this render's page, byte for byte."""


@dataclass(frozen=True)
class RenderMemo:
    """Work of a previous render that a later one can reuse when its inputs are unchanged.

    Keyed by content hashes, never by time: a body's HTML by the hash of its
    Markdown; an entry's cards and feed fragment by its view's digest (every
    field the templates can see); a page by the fingerprint of its whole
    context, its bytes being those of the previous build's file (the caller
    supplies them, see `render_site`). `key` covers what every page depends on
    (templates, static assets, search assets, settings); fragments and pages
    made under another key are dropped. Only what this render used is kept.
    """

    key: str = ""
    """Digest of the templates, assets and settings the fragments and pages were made with."""
    markdown: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """SHA-256 of a Markdown body -> (its HTML, its word count)."""
    fragments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Entry view digest -> (card per CARD_LEVELS..., Atom <entry> fragment with CONTENT_MARK)."""
    pages: Mapping[str, str] = field(default_factory=dict)
    """Output path -> fingerprint of the page's context when it was rendered."""
    others: tuple[str, ...] = ()
    """The other output paths the render made (feeds, sitemap, robots.txt; not theme assets)."""
    order: tuple[str, ...] = ()
    """Entry keys in the archive's order."""
    versions: Mapping[str, str] = field(default_factory=dict)
    """Entry key -> the version of its content file the caller gave (see render_site)."""
    shapes: Mapping[str, str] = field(default_factory=dict)
    """Entry key -> what of the entry other pages' structure depends on (`_shape`)."""
    taxonomies: Mapping[str, Taxonomy] = field(default_factory=dict)
    """The taxonomies (tags ... months) the render grouped the entries into."""
    taxonomy_problems: tuple[Problem, ...] = ()
    """The warnings grouping them gave (slug clashes)."""
    taxonomy_signatures: Mapping[str, str] = field(default_factory=dict)
    """Kind -> the `_Signer` signature of its taxonomy (big: every term's entry keys), reused with it."""
    related: bytes = b""
    """Every entry's related entries, by position in `order` (`_RelatedTable.data`)."""
    teasers: int = 0
    """How many entries are teasers (the home page's count)."""
    undated: tuple[str, ...] = ()
    """Keys of the undated entries, in the archive's order."""


@dataclass(frozen=True, repr=False)
class Link:
    """A named link to a page of the site."""

    name: str
    """Text to show."""
    url: str
    """Root-relative page URL ("tags/migration/")."""
    count: int = 0
    """Entries behind the link, where that means something."""

    def __repr__(self) -> str:
        # What dataclass would write, without its guard against recursion (a Link holds none):
        # view digests and page fingerprints repr thousands of links.
        return f"Link(name={self.name!r}, url={self.url!r}, count={self.count!r})"


@dataclass(frozen=True)
class EntryView:
    """What templates see of an entry: the entry plus URLs and formatted values."""

    entry: Entry
    """The entry itself (title, summary, translator, url ...)."""
    key: str
    """Its key in taxonomies."""
    url: str
    """Root-relative page URL."""
    date_iso: str
    """"2019-03-13" or ""."""
    date_display: str
    """"13 March 2019" or ""."""
    month: Link | None
    """Link to the entry's month page."""
    authors: tuple[Link, ...]
    """Authors, linked to their pages."""
    publication: Link | None
    """The publication, linked."""
    tags: tuple[Link, ...]
    """Tags, linked."""
    body_html: Markup
    """The body rendered from Markdown (safe)."""
    reading_minutes: int
    """Estimated reading time; 0 when there is no body."""
    word_count: int
    """Words in the body (counted once; the count is not cheap)."""
    sources: tuple[str, ...]
    """Where it came from: "seeds/x.txt, lines 3–40"."""
    digest: str = ""
    """Hash of everything above: equal digests render equal cards and fragments."""

    @property
    def title(self) -> str:
        return self.entry.title

    @property
    def is_teaser(self) -> bool:
        return self.entry.kind == TEASER


@dataclass(frozen=True)
class Pager:
    """One page of a paginated list."""

    number: int
    """1-based page number."""
    total: int
    """Number of pages."""
    items: tuple[EntryView, ...]
    """Entries on this page."""
    url: str
    """This page's URL."""
    prev_url: str | None
    """The previous (newer) page, if any."""
    next_url: str | None
    """The next (older) page, if any."""
    pages: tuple[tuple[int, str], ...]
    """Every page number and its URL."""
    count: int
    """Entries in the whole list."""


@dataclass(frozen=True)
class Bar:
    """One month in a timeline chart."""

    x: float
    y: float
    width: float
    height: float
    label: str
    """"March 2019: 3 entries"."""


@dataclass(frozen=True)
class TimelineRow:
    """One year of the timeline as a table row (the accessible form of the chart)."""

    year: int
    cells: tuple[tuple[int, Link | None], ...]
    """(count, link to the month page or None) for January..December."""
    total: int
    year_url: str | None


@dataclass(frozen=True)
class Timeline:
    """A bar chart of entries per month, drawn at build time as inline SVG."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    axis: tuple[tuple[float, str], ...]
    """(x, year) labels at each January in range."""
    max_count: int
    rows: tuple[TimelineRow, ...]
    summary: str
    """One sentence describing the chart."""
    months: tuple[str, ...] = field(default=tuple(m[:3] for m in MONTH_NAMES))


@dataclass(frozen=True)
class _Site:
    """Everything computed once and shared by all pages (read-only)."""

    config: Config
    views: Mapping[str, EntryView]
    ordered: Sequence[EntryView]
    entries: Mapping[str, Entry]
    """Entry key -> entry, in the archive's order."""
    taxonomies: Mapping[str, Taxonomy]
    assets: Mapping[str, str]
    search_assets: Mapping[str, str]
    order: Sequence[str] = ()
    """Entry keys in the archive's order."""
    related: _RelatedTable | None = None
    """Every entry's related entries."""
    teasers: int = 0
    undated: Sequence[str] = ()
    """Keys of the undated entries, in order."""


# ---------------------------------------------------------------- helpers


def plural(count: int, singular: str, many: str | None = None) -> str:
    """"1 entry", "3 entries"."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def json_ld(data: Mapping[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json">: "<" is escaped so nothing can close the script."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=None)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def ld_person(name: str) -> dict[str, str]:
    """A schema.org Person (the `ld_person` filter)."""
    return {"@type": "Person", "name": name}


def article_ld(view: EntryView, canonical: str) -> Markup:
    """The schema.org NewsArticle of an entry's page, as json_ld writes it.

    Made here rather than in the template: a dict built there with a call per optional
    field was a third of an entry page's render (40 of 175 microseconds).
    """
    entry = view.entry
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": entry.title,
        "url": canonical,
        "mainEntityOfPage": canonical,
        "author": [ld_person(author.name) for author in view.authors],
        "keywords": [tag.name for tag in view.tags],
        "isAccessibleForFree": True,
    }
    if view.date_iso:
        data["datePublished"] = view.date_iso
    if entry.summary:
        data["description"] = entry.summary
    if entry.language:
        data["inLanguage"] = entry.language
    if entry.publication:
        data["publisher"] = {"@type": "Organization", "name": entry.publication}
    if entry.url:
        data["sameAs"] = entry.url
    if entry.translator:
        data["translator"] = ld_person(entry.translator)
    if view.word_count:
        data["wordCount"] = view.word_count
    return json_ld(data)


def _prefix_of_file(path: str) -> str:
    """The way back to the site root from the page in file `path`: one "../" per directory."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def paginate(base_url: str, items: Sequence[EntryView], per_page: int,
             only: Container[int] | None = None) -> tuple[Pager, ...]:
    """Split `items` into pages at base_url, base_url/page/2/ ... (only the numbers in `only`, if given)."""
    per_page = max(1, per_page)
    total = max(1, -(-len(items) // per_page))

    def url_of(number: int) -> str:
        return base_url if number == 1 else f"{base_url}page/{number}/"

    pages = tuple((n, url_of(n)) for n in range(1, total + 1))
    return tuple(
        Pager(
            number=n,
            total=total,
            items=tuple(items[(n - 1) * per_page : n * per_page]),
            url=url_of(n),
            prev_url=url_of(n - 1) if n > 1 else None,
            next_url=url_of(n + 1) if n < total else None,
            pages=pages,
            count=len(items),
        )
        for n in range(1, total + 1)
        if only is None or n in only
    )


def build_timeline(views: Sequence[EntryView], link_months: bool) -> Timeline | None:
    """Entries per month from the first to the last dated month; None when nothing is dated."""
    counts: dict[tuple[int, int], int] = {}
    for view in views:
        date = view.entry.date
        if date is not None:
            counts[(date.year, date.month)] = counts.get((date.year, date.month), 0) + 1
    return _timeline(counts, link_months)


def _timeline(counts: Mapping[tuple[int, int], int], link_months: bool) -> Timeline | None:
    """build_timeline from the number of entries per (year, month)."""
    if not counts:
        return None
    first, last = min(counts), max(counts)
    # Whole years, so every row of the table and every axis label is complete.
    months = [(y, m) for y in range(first[0], last[0] + 1) for m in range(1, 13)]
    peak = max(counts.values())
    slot = TIMELINE_WIDTH / len(months)
    plot = TIMELINE_PLOT_BOTTOM - TIMELINE_PLOT_TOP
    bars: list[Bar] = []
    axis: list[tuple[float, str]] = []
    for index, (year, month) in enumerate(months):
        if month == 1:
            axis.append((round(index * slot, 2), str(year)))
        count = counts.get((year, month), 0)
        if not count:
            continue
        height = max(2.0, plot * count / peak)
        bars.append(Bar(
            x=round(index * slot + slot * 0.12, 2),
            y=round(TIMELINE_PLOT_BOTTOM - height, 2),
            width=round(max(1.0, slot * 0.76), 2),
            height=round(height, 2),
            label=f"{month_name(year, month)}: {plural(count, 'entry', 'entries')}",
        ))
    rows = []
    for year in range(last[0], first[0] - 1, -1):
        cells = tuple(
            (
                counts.get((year, m), 0),
                Link(month_name(year, m), f"{year:04d}/{m:02d}/", counts.get((year, m), 0))
                if link_months and counts.get((year, m), 0)
                else None,
            )
            for m in range(1, 13)
        )
        total = sum(c for c, _ in cells)
        rows.append(TimelineRow(year, cells, total, f"{year:04d}/" if link_months and total else None))
    total_all = sum(counts.values())
    busiest = max(counts, key=lambda k: (counts[k], k))
    summary = (
        f"{plural(total_all, 'dated entry', 'dated entries')} from {month_name(*first)} to {month_name(*last)}; "
        f"the busiest month is {month_name(*busiest)} with {counts[busiest]}."
    )
    return Timeline(TIMELINE_WIDTH, TIMELINE_HEIGHT, tuple(bars), tuple(axis), peak, tuple(rows), summary)


def _fingerprint(theme_dirs: Sequence[Path]) -> tuple[dict[str, str], list[OutputFile]]:
    """Static files of the theme chain (first of a name wins) -> {name: output path}, files."""
    chosen: dict[str, Path] = {}
    for theme in theme_dirs:
        static = theme / "static"
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                name = path.relative_to(static).as_posix()
                chosen.setdefault(name, path)
    mapping: dict[str, str] = {}
    files: list[OutputFile] = []
    for name in sorted(chosen):
        data = chosen[name].read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, ext = posixpath.basename(name).rpartition(".")
        hashed = f"{stem}.{digest}.{ext}" if dot and stem else f"{name}.{digest}"
        out = safe_relative(posixpath.join("static", posixpath.dirname(name), hashed))
        mapping[name] = out
        files.append(OutputFile(out, data))
    return mapping, files


# Bumped by every render: a template's file is checked for changes once per render, not on
# every {% extends %} or {% import %} of every page (a stat each), and again in the next one.
_RENDER_GENERATION = [0]


class _ThemeLoader(jinja2.ChoiceLoader):
    """The theme chain's loader, whose up-to-date checks are made once per render (_RENDER_GENERATION)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        if uptodate is None:
            return source, filename, uptodate
        checked = [_RENDER_GENERATION[0], True]  # (as of which render, the answer); fresh when loaded

        def up_to_date() -> bool:
            if checked[0] != _RENDER_GENERATION[0]:
                checked[:] = [_RENDER_GENERATION[0], bool(uptodate())]
            return bool(checked[1])

        return source, filename, up_to_date

    def load(self, environment: jinja2.Environment, name: str,
             globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        # ChoiceLoader.load asks each theme's loader directly; BaseLoader.load goes through get_source.
        return jinja2.BaseLoader.load(self, environment, name, globals)


# markupsafe's own escaping of a str, in C (what markupsafe.escape calls since 2.1); with
# another markupsafe, templates escape with markupsafe.escape.
_escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)

_as_markup = str.__new__
"""Markup(text) for a str `text`, without Markup.__new__'s Python-level check for __html__."""


def fast_escape(value: Any) -> Markup:
    """markupsafe.escape(value), the same Markup, in half the time.

    Every {{ value }} of an autoescaped template is an escape: about a hundred
    per page, a million and a half in a build of 10,000 entries. markupsafe.escape
    wraps its C escaping in Markup(), whose __new__ runs in Python; a str is already
    escaped text, so it becomes a Markup directly.
    """
    assert _escape_inner is not None
    if type(value) is str:
        return _as_markup(Markup, _escape_inner(value))
    if hasattr(value, "__html__"):
        return _as_markup(Markup, value.__html__())
    return _as_markup(Markup, _escape_inner(str(value)))


class _Template(jinja2.Template):
    """A template whose {{ ... }} escape with fast_escape (see there)."""

    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any, globals: MutableMapping[str, Any],
                  uptodate: Callable[[], bool] | None = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled module's functions read `escape` from its namespace, bound by its import.
        namespace = template.root_render_func.__globals__
        if _escape_inner is not None and namespace.get("escape") is escape:
            namespace["escape"] = fast_escape
        return template


@jinja2.pass_context
def link_filter(context: jinja2.runtime.Context, target: str) -> Any:
    """`target | link`: link(target), as a filter.

    Templates call a filter directly, and a function through Context.call (checks
    for how to pass it the context, every time): twice the cost, and links are a
    third of the calls of a page. (What link gives is kept as it is: for a card
    made once for every page, a Markup holding CARD_ROOT, not to be escaped.)
    """
    return context["link"](target)


def make_environment(theme_dirs: Sequence[Path]) -> jinja2.Environment:
    """Jinja over <theme>/templates for each theme in the chain, most specific first."""
    loader = _ThemeLoader([jinja2.FileSystemLoader(str(d / "templates")) for d in theme_dirs])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml", "htm"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.template_class = _Template
    env.globals["plural"] = plural
    env.filters["link"] = link_filter
    env.globals["article_ld"] = article_ld
    env.filters["json_ld"] = json_ld
    env.filters["ld_person"] = ld_person
    return env


def _environment(theme_dirs: Sequence[Path], bytecode_dir: Path | None) -> jinja2.Environment:
    """make_environment, keeping compiled templates in `bytecode_dir` between builds.

    Jinja checks each cached template against its source's checksum, so an
    edited template is compiled again; a directory that cannot be made just
    means no such cache.
    """
    env = make_environment(theme_dirs)
    if bytecode_dir is not None:
        try:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return env
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(bytecode_dir))
    return env


def _source_label(file: str, lines: tuple[int, int] | None) -> str:
    if lines is None:
        return file
    first, last = lines
    return f"{file}, line {first}" if first == last else f"{file}, lines {first}–{last}"


def body_digest(body: str) -> str:
    """The key of a body's rendered HTML in RenderMemo.markdown."""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def _render_body(body: str, words: int | None = None) -> tuple[str, int]:
    """(HTML, words) of a body; `words`: its count, when already known (Entry.counted_words)."""
    return render_markdown(body), word_count(body) if words is None else words


word_count = count_words  # (models.count_words: the fast byte-class count, property-tested)


def _bodies(entries: Sequence[Entry], known: Mapping[str, tuple[str, int]], jobs: int,
            digest_of: dict[str, str] | None = None) -> dict[str, tuple[str, int]]:
    """Body digest -> (HTML, words) for every entry, rendering only bodies not `known`
    (and body -> digest into `digest_of`, if given)."""
    digest_of = {} if digest_of is None else digest_of
    counted: dict[str, int] = {}  # body -> words, for entries that carry their count
    for entry in entries:
        if entry.body not in digest_of:
            digest_of[entry.body] = body_digest(entry.body)
        words = entry.counted_words
        if words is not None:
            counted[entry.body] = words
    digests = {digest: body for body, digest in digest_of.items()}
    result = {digest: known[digest] for digest in digests if digest in known}
    todo = [(digests[digest], counted.get(digests[digest])) for digest in digests if digest not in result]
    for (body, _), done in zip(todo, parallel_map(lambda item: _render_body(*item), todo, jobs), strict=True):
        result[digest_of[body]] = done
    return result


class _LazyViews(Mapping[str, EntryView]):
    """Entry key -> EntryView, each view made the first time it is asked for.

    A rebuild after one edit looks at a few hundred entries of thousands;
    making every view (URL, dates, links, digest) would cost more than the
    pages it renders. `bodies` gets the HTML of bodies made on the way.
    """

    def __init__(self, entries: Sequence[Entry] | Mapping[str, Entry], taxonomies: Mapping[str, Taxonomy],
                 known: Mapping[str, tuple[str, int]], bodies: dict[str, tuple[str, int]]) -> None:
        """`entries`: a sequence, or a mapping by entry key (used as it is)."""
        self._entries = entries if isinstance(entries, Mapping) else {entry_key(e): e for e in entries}
        self._made: dict[str, EntryView] = {}
        self._known = known
        self.bodies = bodies
        self._slug_of = {
            kind: {term.name: term.slug for term in taxonomies[kind].terms}
            for kind in ("tags", "authors", "publications")
        }
        self._counts = {
            kind: {term.name: term.count for term in taxonomies[kind].terms}
            for kind in ("tags", "authors", "publications")
        }
        # (kind, name as written) -> its link (None: not a term); links are shared by the views.
        self._link_of: dict[tuple[str, str], Link | None] = {}
        self._months: dict[tuple[int, int], Link] = {}
        self.digests: dict[str, str] = {}
        """Body -> body_digest(body), when known (a body's hash is computed once per render)."""

    def __getitem__(self, key: str) -> EntryView:
        view = self._made.get(key)
        if view is None:
            view = self._made[key] = self._view(self._entries[key])
        return view

    def __iter__(self) -> Any:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def made(self) -> list[EntryView]:
        """The views made so far."""
        return list(self._made.values())

    def _links(self, kind: str, names: Iterable[str]) -> tuple[Link, ...]:
        result: list[Link] = []
        for raw in names:
            link = self._link_of.get((kind, raw), _NO_LINK)
            if link is _NO_LINK:
                name = normalize_name(raw)
                slug = self._slug_of[kind].get(name)
                link = self._link_of[(kind, raw)] = (
                    None if slug is None else Link(name, f"{kind}/{slug}/", self._counts[kind][name]))
            if link is not None and all(other.name != link.name for other in result):
                result.append(link)
        return tuple(result)

    def _month(self, date: dt.date) -> Link:
        link = self._months.get((date.year, date.month))
        if link is None:
            link = self._months[(date.year, date.month)] = Link(
                month_name(date.year, date.month), f"{date.year:04d}/{date.month:02d}/")
        return link

    def _view(self, entry: Entry) -> EntryView:
        date = entry.date
        digest = self.digests.get(entry.body) or body_digest(entry.body)
        made = self.bodies.get(digest)
        if made is None:
            made = self.bodies[digest] = self._known.get(digest) or _render_body(entry.body, entry.counted_words)
        html, words = made
        publication = self._links("publications", [entry.publication] if entry.publication else [])
        values: dict[str, Any] = {
            "key": entry_key(entry),
            "url": entry_url(entry),
            "date_iso": date.isoformat() if date else "",
            "date_display": format_date(date) if date else "",
            "month": self._month(date) if date else None,
            "authors": self._links("authors", entry.authors),
            "publication": publication[0] if publication else None,
            "tags": self._links("tags", entry.tags),
            "reading_minutes": max(1, round(words / WORDS_PER_MINUTE)) if words else 0,
            "word_count": words,
            "sources": tuple(_source_label(ref.file, ref.lines) for ref in entry.sources),
        }
        return EntryView(entry=entry, body_html=Markup(html), digest=_view_digest(entry, digest, values), **values)


class _LazyOrdered(Sequence[EntryView]):
    """The views of `keys`, in order, made only when an item or a slice is read."""

    def __init__(self, keys: Sequence[str], views: Mapping[str, EntryView]) -> None:
        self._keys = keys
        self._views = views

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._views[k] for k in self._keys[index])
        return self._views[self._keys[index]]


def _views(
    entries: Sequence[Entry],
    taxonomies: Mapping[str, Taxonomy],
    bodies: Mapping[str, tuple[str, int]],
    digest_of: Mapping[str, str] | None = None,
) -> dict[str, EntryView]:
    lazy = _LazyViews(entries, taxonomies, bodies, dict(bodies))
    lazy.digests.update(digest_of or {})
    return {entry_key(entry): lazy[entry_key(entry)] for entry in entries}


_NO_LINK = Link("", "")  # stands for "not looked up yet" in _LazyViews._link_of
_DIGESTED_FIELDS = tuple(f.name for f in dataclasses.fields(Entry) if f.name not in ("body", "confidence"))


def _view_digest(entry: Entry, body: str, values: Mapping[str, Any]) -> str:
    """Hash of every field of the view (the body by its own hash, confidence left out: no template shows it)."""
    text = repr((body, [getattr(entry, name) for name in _DIGESTED_FIELDS], list(values.values())))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _RelatedIndex:
    """Related entries: those sharing the most tags with an entry, nearest in date breaking ties.

    An entry's candidates are its RELATED_WINDOW neighbours on each side in the
    list of each of its tags; a candidate's score is the number of these windows
    it is in. Built over the taxonomy's tag lists, each list prepared the first
    time one of its tags is asked about.
    """

    def __init__(self, tag_keys: Mapping[str, Sequence[str]], order: Sequence[str]) -> None:
        self._tag_keys = tag_keys
        self._order = order
        self._position = {k: i for i, k in enumerate(order)}
        self.where = _TagPositions(tag_keys)
        """Tag name -> {entry key: its index in the tag's list}."""
        self._lists: dict[str, list[int]] = {}
        self._base = len(order) + 1

    def keys(self, key: str, tags: Iterable[str]) -> list[str]:
        """The related entries' keys, best first, for the entry at `key` with these (normalized) tag names."""
        scores: Counter[int] = Counter()
        for name in tags:
            positions = self._lists.get(name)
            if positions is None:
                positions = self._lists[name] = [self._position[k] for k in self._tag_keys[name]]
            here = self.where[name][key]
            scores.update(positions[max(0, here - RELATED_WINDOW) : here + RELATED_WINDOW + 1])
        mine = self._position[key]
        scores.pop(mine, None)
        base = self._base
        # (-score, distance in date, position) as one int, since distances and positions are below
        # `base`; positions are unique, so this is the order of (score, distance, position).
        ranked = sorted([(base * -score + abs(other - mine)) * base + other for other, score in scores.items()])
        return [self._order[rank % base] for rank in ranked[:RELATED_LIMIT]]


    def every_keys(self) -> list[list[str]] | None:
        """`keys` of every entry, by position in the archive's order (vectorized: one pass over
        every pair of entries near each other in a tag's list); None when numpy is missing."""
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is a dependency (search)
            return None
        count = len(self._order)
        sources: list[Any] = []
        targets: list[Any] = []
        for keys in self._tag_keys.values():
            positions = np.fromiter((self._position[k] for k in keys), dtype=np.int64, count=len(keys))
            for distance in range(1, min(RELATED_WINDOW, len(positions) - 1) + 1):
                sources += [positions[:-distance], positions[distance:]]
                targets += [positions[distance:], positions[:-distance]]
        result: list[list[str]] = [[] for _ in range(count)]
        if not sources:
            return result
        # Each pair once per tag list it is near in: its score is how often it occurs.
        pairs, scores = np.unique(np.concatenate(sources) * count + np.concatenate(targets), return_counts=True)
        source, target = pairs // count, pairs % count
        top = int(scores.max())
        span = (top + 1) * count * count
        if count * span >= 2**62:
            return None  # would overflow int64: let the caller rank entry by entry
        # Per source: score descending, then distance, then position (unique), as one int.
        ranked = np.sort(source * span + (top - scores) * count * count + np.abs(target - source) * count + target)
        ranked_source = ranked // span
        starts = np.searchsorted(ranked_source, np.arange(count + 1))
        chosen = ranked % count
        order = self._order
        for mine in range(count):
            start, stop = int(starts[mine]), int(starts[mine + 1])
            result[mine] = [order[other] for other in chosen[start:min(stop, start + RELATED_LIMIT)].tolist()]
        return result


class _TagPositions(dict[str, dict[str, int]]):
    """Tag name -> {entry key: its position in the tag's list}, made per tag when first needed."""

    def __init__(self, tag_keys: Mapping[str, Sequence[str]]) -> None:
        super().__init__()
        self._keys = tag_keys

    def __missing__(self, name: str) -> dict[str, int]:
        made = self[name] = {k: i for i, k in enumerate(self._keys[name])}
        return made


class _RelatedTable:
    """Every entry's related entries as positions in the archive's order: RELATED_LIMIT
    int32 slots per entry (-1 where it has fewer). Saved with the memo as bytes, so a
    rebuild that keeps the order and every entry's tags reads its related lists instead
    of ranking them again, and finds the entries listing a changed one in one scan."""

    def __init__(self, table: array) -> None:  # type: ignore[type-arg]
        self._table = table

    @classmethod
    def of(cls, lists: Iterable[Sequence[int]]) -> _RelatedTable:
        table = array("i")
        for positions in lists:
            table.extend(positions)
            table.extend([-1] * (RELATED_LIMIT - len(positions)))
        return cls(table)

    @classmethod
    def load(cls, data: bytes, count: int) -> _RelatedTable | None:
        """The table saved as `data` for `count` entries, or None when it does not fit."""
        table = array("i")
        table.frombytes(data)
        return cls(table) if len(table) == count * RELATED_LIMIT else None

    def data(self) -> bytes:
        return self._table.tobytes()

    def at(self, position: int) -> list[int]:
        """The related entries of the entry at `position`, best first."""
        return [p for p in self._table[position * RELATED_LIMIT:(position + 1) * RELATED_LIMIT] if p >= 0]

    def listing(self, position: int) -> list[int]:
        """The positions of the entries that list the one at `position` as related."""
        found: list[int] = []
        start = 0
        while True:
            try:
                start = self._table.index(position, start) + 1
            except ValueError:
                return found
            found.append((start - 1) // RELATED_LIMIT)


def _names(values: Iterable[str]) -> list[str]:
    """Taxonomy names of `values` (tags, authors ...): normalized, empty ones dropped, each once."""
    return list(dict.fromkeys(name for name in map(normalize_name, values) if name))


def _related_table(site_order: Sequence[str], taxonomies: Mapping[str, Taxonomy],
                   entries: Mapping[str, Entry]) -> _RelatedTable:
    """Rank every entry's related entries (see _RelatedIndex)."""
    related = _RelatedIndex({t.name: t.keys for t in taxonomies["tags"].terms}, site_order)
    position = {k: i for i, k in enumerate(site_order)}
    every = related.every_keys()
    if every is None:
        every = [related.keys(k, _names(entries[k].tags)) for k in site_order]
    return _RelatedTable.of([position[k] for k in keys] for keys in every)


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class _PageSpec:
    url: str
    template: tuple[str, ...]
    """Template names to try, most specific first."""
    context: Mapping[str, Any]
    absolute: bool = False
    """Links from base_url instead of relative ones (404.html)."""
    out: str | None = None
    """Output path when not page_file(url)."""


@dataclass(frozen=True)
class _Plan:
    """The only pages a rebuild looks at (see `_changed_plan`); the others stay as they were."""

    entries: frozenset[int]
    """Positions (in the archive's order) of the entries whose pages are planned."""
    lists: Mapping[str, frozenset[int]]
    """Base URL of a paginated list ("" for home) -> the page numbers planned."""


def _page_specs(site: _Site, plan: _Plan | None = None) -> list[_PageSpec]:
    """Every page's spec; with a plan, only the planned ones."""
    config = site.config
    per_page = config.site.per_page
    specs: list[_PageSpec] = []
    ordered = site.ordered
    tax = site.taxonomies

    def term_views(term: Term) -> Sequence[EntryView]:
        return _LazyOrdered(term.keys, site.views)

    entries = site.entries

    def month_counts(terms: Iterable[Term]) -> Timeline | None:
        """The timeline of the entries of these month terms (a month term's count is its entries')."""
        counts = {(int(t.slug[:4]), int(t.slug[5:7])): t.count for t in terms}
        return _timeline(counts, link_months=True)

    def timeline_of(keys: Iterable[str]) -> Timeline | None:
        # Only the entries of the lists planned are looked at (a rebuild plans a few).
        dates = [date for date in (entries[k].date for k in keys) if date is not None]
        return _timeline(Counter((date.year, date.month) for date in dates), link_months=True)

    def wanted(base: str) -> Container[int] | None:
        """None: every page of the list; otherwise the page numbers planned (maybe none)."""
        return None if plan is None else plan.lists.get(base, ())

    def term_links(kind: str) -> tuple[Link, ...]:
        return tuple(Link(t.name, f"{kind}/{t.slug}/", t.count) for t in tax[kind].terms)

    def top(kind: str, limit: int) -> tuple[Link, ...]:
        links = sorted(term_links(kind), key=lambda link: (-link.count, link.name.casefold()))
        return tuple(links[:limit])

    # Entry pages.
    related = site.related
    assert related is not None
    order = site.order
    for index in range(len(ordered)) if plan is None else sorted(plan.entries):
        view = ordered[index]
        newer = ordered[index - 1] if index > 0 else None
        older = ordered[index + 1] if index + 1 < len(ordered) else None
        specs.append(_PageSpec(view.url, ("entry.html",), {
            "view": view, "newer": newer, "older": older,
            "related": tuple(site.views[order[p]] for p in related.at(index)),
            "feed_url": None,
        }))

    # Home: the ways in, then every entry, paginated.
    years = tuple(Link(t.name, f"{t.slug}/", t.count) for t in tax["years"].terms)
    teasers = site.teasers
    stats = {
        "entries": len(ordered),
        "articles": len(ordered) - teasers,
        "teasers": teasers,
        "authors": len(tax["authors"].terms),
        "publications": len(tax["publications"].terms),
        "tags": len(tax["tags"].terms),
        "first_year": tax["years"].terms[-1].name if tax["years"].terms else "",
        "last_year": tax["years"].terms[0].name if tax["years"].terms else "",
    }
    top_tags, top_authors, top_publications = top("tags", 16), top("authors", 10), top("publications", 20)
    for pager in paginate("", ordered, per_page, wanted("")):
        specs.append(_PageSpec(pager.url, ("home.html",), {
            "pager": pager, "stats": stats, "top_tags": top_tags,
            "top_authors": top_authors, "publications": top_publications,
            "years": years, "feed_url": "feed.xml",
        }))

    # Taxonomy indexes and term pages (tags, authors, publications).
    titles = {"tags": "Topics", "authors": "Authors", "publications": "Publications"}
    for kind in ("tags", "authors", "publications"):
        taxonomy = tax[kind]
        if plan is None:
            specs.append(_PageSpec(f"{kind}/", (f"{kind}.html", "terms.html"), {
                "taxonomy": taxonomy, "heading": titles[kind], "terms": term_links(kind),
                "feed_url": None,
            }))
        for term in taxonomy.terms:
            numbers = wanted(f"{kind}/{term.slug}/")
            if numbers is not None and not numbers:
                continue
            views = term_views(term)
            timeline = timeline_of(term.keys) if kind == "authors" else None
            for pager in paginate(f"{kind}/{term.slug}/", views, per_page, numbers):
                specs.append(_PageSpec(pager.url, (f"{taxonomy.singular}.html", "term.html"), {
                    "taxonomy": taxonomy, "heading": titles[kind], "term": term, "pager": pager,
                    "timeline": timeline, "feed_url": f"{kind}/{term.slug}/feed.xml",
                }))

    # Date pages: the archive, years, months, undated.
    month_terms = tax["months"].terms
    undated = site.undated
    if plan is None:  # the archive page shows only counts by date, which a plan never changes
        specs.append(_PageSpec("archive/", ("archive.html",), {
            "timeline": month_counts(month_terms),
            "years": years,
            "months_by_year": {
                y.name: tuple(Link(t.name, f"{t.slug}/", t.count)
                              for t in month_terms if t.slug.startswith(y.name + "/"))
                for y in tax["years"].terms
            },
            "undated": len(undated),
            "feed_url": None,
        }))
    year_terms = tax["years"].terms
    for index, term in enumerate(year_terms):
        numbers = wanted(f"{term.slug}/")
        if numbers is not None and not numbers:
            continue
        views = term_views(term)
        in_year = [t for t in month_terms if t.slug.startswith(term.slug + "/")]
        months = tuple(Link(t.name, f"{t.slug}/", t.count) for t in in_year)
        newer_year = Link(year_terms[index - 1].name, f"{year_terms[index - 1].slug}/") if index > 0 else None
        older_year = (
            Link(year_terms[index + 1].name, f"{year_terms[index + 1].slug}/") if index + 1 < len(year_terms) else None
        )
        timeline = month_counts(in_year)
        for pager in paginate(f"{term.slug}/", views, per_page, numbers):
            specs.append(_PageSpec(pager.url, ("year.html", "list.html"), {
                "heading": term.name, "term": term, "pager": pager, "months": months,
                "newer": newer_year, "older": older_year, "timeline": timeline,
                "feed_url": None,
            }))
    for index, term in enumerate(month_terms):
        numbers = wanted(f"{term.slug}/")
        if numbers is not None and not numbers:
            continue
        newer_month = Link(month_terms[index - 1].name, f"{month_terms[index - 1].slug}/") if index > 0 else None
        older_month = (
            Link(month_terms[index + 1].name, f"{month_terms[index + 1].slug}/")
            if index + 1 < len(month_terms) else None
        )
        year = term.slug.split("/")[0]
        for pager in paginate(f"{term.slug}/", term_views(term), per_page, numbers):
            specs.append(_PageSpec(pager.url, ("month.html", "list.html"), {
                "heading": term.name, "term": term, "pager": pager, "newer": newer_month, "older": older_month,
                "year": Link(year, f"{year}/"), "months": (), "timeline": None, "feed_url": None,
            }))
    if undated:
        for pager in paginate("undated/", _LazyOrdered(undated, site.views), per_page, wanted("undated/")):
            specs.append(_PageSpec(pager.url, ("undated.html", "list.html"), {
                "heading": "Undated entries", "term": None, "pager": pager, "newer": None, "older": None,
                "months": (), "timeline": None, "feed_url": None,
            }))

    if plan is None:
        specs.append(_PageSpec("404.html", ("404.html",), {"feed_url": None}, absolute=True, out="404.html"))
    return specs


class _Renderer:
    """Renders cards, feed fragments and pages for one site (shared with forked workers)."""

    def __init__(self, site: _Site, env: jinja2.Environment, has_search: bool) -> None:
        self.site = site
        self.env = env
        self.has_search = has_search
        self.fragments: Mapping[str, tuple[str, ...]] = {}
        self._extra_cards: dict[tuple[str, int], str] = {}
        self._macros: Any = None
        # Template per spec.template, looked up once a render: Jinja would stat the file on every get.
        self._templates: dict[tuple[str, ...], jinja2.Template] = {}
        # (id of a pager's page list, root prefix) -> (that list, kept alive; its <li> items, none current).
        self._page_items: dict[tuple[int, str], tuple[Any, list[str]]] = {}

    def _card_macro(self) -> Any:
        """entry_card of the theme's macros.html, seeing CARD_ROOT as the page's root."""
        if self._macros is None:
            def link(target: str) -> Markup:
                return Markup(CARD_ROOT) + target

            self._macros = self.env.get_template("macros.html").make_module({
                "site": self.site.config.site, "root": Markup(CARD_ROOT), "link": link,
                "asset": lambda name: link(self.site.assets[name]), "page_url": "", "canonical": "",
                "search_assets": self.site.search_assets, "has_search": self.has_search,
            })
        return self._macros.entry_card

    def card_html(self, view: EntryView, level: int) -> str:
        """The entry's card at heading `level`, with CARD_ROOT for the page's root prefix."""
        made = self.fragments.get(view.digest)
        if made is not None and level in CARD_LEVELS and made[CARD_LEVELS.index(level)]:
            return made[CARD_LEVELS.index(level)]
        key = (view.digest, level)
        if key not in self._extra_cards:
            self._extra_cards[key] = str(self._card_macro()(view, level))
        return self._extra_cards[key]

    def fragments_of(self, view: EntryView) -> tuple[str, ...]:
        """(card per CARD_LEVELS..., Atom <entry>): what every list and feed showing the entry reuses."""
        try:
            cards = [str(self._card_macro()(view, level)) for level in CARD_LEVELS]
        except (jinja2.TemplateError, KeyError):
            # Left empty: the page that needs the card renders it and reports the error.
            cards = ["" for _ in CARD_LEVELS]
        base = self.site.config.site.base_url
        return (*cards, feeds.entry_fragment(view.entry, base + view.url, CONTENT_MARK).replace(
            feeds.content_element(CONTENT_MARK), CONTENT_MARK))

    def page_items(self, pager: Pager, short: str) -> str:
        """The <li> of every page of the pager's list, the current one marked, for pages whose root prefix is `short`.

        Made once per list and prefix: every page of a list shows the same
        links but for the current one, and long lists have hundreds of pages.
        """
        made = self._page_items.get((id(pager.pages), short))
        if made is None:
            made = (pager.pages, [
                f'<li><a href="{escape((short + url) or "./")}" aria-label="Page {number}">{number}</a></li>\n'
                for number, url in pager.pages
            ])
            self._page_items[(id(pager.pages), short)] = made
        items = made[1]
        at = next((index for index, (number, _) in enumerate(pager.pages) if number == pager.number), None)
        if at is None:
            return "".join(items)
        number, url = pager.pages[at]
        current = f'<li><a href="{escape((short + url) or "./")}" aria-current="page">{number}</a></li>\n'
        return "".join([*items[:at], current, *items[at + 1:]])

    def render(self, spec: _PageSpec) -> OutputFile | Problem:
        """One page, or the problem that kept it from rendering."""
        site = self.site
        config = site.config
        base = config.site.base_url
        url = spec.url

        # Every target is root-relative, so prefixing the page's way back to the
        # root gives a correct relative link (and is far cheaper than relpath).
        file = page_file(url)
        out = spec.out or file
        prefix = base if spec.absolute else _prefix_of_file(file)
        short = "" if prefix == "./" else prefix
        card_root = str(escape(short))

        def link(target: str) -> str:
            return (short + target) or "./"

        def asset(name: str) -> str:
            if name not in site.assets:
                raise KeyError(f"no static asset named {name!r} in the theme chain")
            return link(site.assets[name])

        def card(view: EntryView, level: int = 3) -> Markup:
            return Markup(self.card_html(view, level).replace(CARD_ROOT, card_root))

        def page_items(pager: Pager) -> Markup:
            return Markup(self.page_items(pager, short))

        def cards(views: Iterable[EntryView], level: int = 3) -> Markup:
            # One call per list instead of one per entry: lists are most of what pages show.
            return Markup("".join([self.card_html(view, level) for view in views]).replace(CARD_ROOT, card_root))

        canonical = base + ("" if spec.out == "404.html" else url)
        context = {
            "site": config.site,
            "root": prefix,
            "page_url": url,
            "canonical": canonical,
            "link": link,
            "asset": asset,
            "card": card,
            "cards": cards,
            "page_items": page_items,
            "search_assets": site.search_assets,
            "has_search": self.has_search,
            **spec.context,
        }
        try:
            template = self._templates.get(spec.template)
            if template is None:
                template = self._templates[spec.template] = self.env.get_or_select_template(list(spec.template))
            html = template.render(context)
        except jinja2.TemplateError as error:
            return Problem(
                path=f"template {getattr(error, 'name', None) or spec.template[0]}",
                message=f"cannot render {url or 'the home page'}: {error}",
                line=getattr(error, "lineno", None),
            )
        except KeyError as error:
            return Problem(path=f"template {spec.template[0]}", message=f"{url}: {error.args[0]}")
        return OutputFile(out, html.encode("utf-8"))


# ---------------------------------------------------------------- parallel work and fingerprints


class _Kept(OutputFile):
    """Stands for a page whose previous file is kept as it is (see `unchanged` in render_site)."""


T = TypeVar("T")
R = TypeVar("R")


def parallel_map(function: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """generator.parallel.parallel_map with the renderer's threshold (PARALLEL_MIN)."""
    return _parallel_map(function, items, jobs, PARALLEL_MIN)


_PLAIN = frozenset({Link, Bar, TimelineRow})
_SCALARS = frozenset({str, int, float, bool})


class _Signer:
    """Short digests of page contexts: equal digests mean the templates see equal values.

    Containers and dataclasses are hashed once per object (by id: every object
    signed is alive until the render ends), so a taxonomy shared by a thousand
    pages costs one hash. Entry views sign as their precomputed digest.
    """

    def __init__(self) -> None:
        self._memo: dict[int, str] = {}
        self._primed: list[Any] = []

    def prime(self, value: Any, signature: str) -> None:
        """Take `signature` as value's (known from an earlier render of an equal value)."""
        self._primed.append(value)  # kept alive, so its id stays its own
        self._memo[id(value)] = signature

    def sign(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float)):
            return value
        if isinstance(value, EntryView):
            return value.digest
        if isinstance(value, dt.date):
            return value.isoformat()
        known = self._memo.get(id(value))
        if known is not None:
            return known
        if type(value) in _PLAIN:
            # Small frozen dataclasses of plain values: their repr says it all, no hash needed.
            self._memo[id(value)] = text = repr(value)
            return text
        inner: Any
        if isinstance(value, (tuple, list)):
            if len(value) <= 8 and all(item is None or type(item) in _SCALARS for item in value):
                # A few plain values (a pager's page number and URL): their repr says it all, no hash needed.
                self._memo[id(value)] = text = repr(value)
                return text
            inner = [self.sign(item) for item in value]
        elif isinstance(value, Mapping):
            inner = sorted((str(k), self.sign(v)) for k, v in value.items())
        elif dataclasses.is_dataclass(value):
            inner = [type(value).__name__, *(self.sign(getattr(value, f.name)) for f in dataclasses.fields(value))]
        else:
            inner = repr(value)
        digest = hashlib.blake2b(repr(inner).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        self._memo[id(value)] = digest
        return digest

    def page(self, key: str, spec: _PageSpec) -> str:
        """The fingerprint of one page: everything its template can see."""
        text = repr((key, spec.url, spec.template, spec.absolute, spec.out, self.sign(spec.context)))
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _template_files(theme_dirs: Sequence[Path]) -> Iterator[tuple[Path, str, Path]]:
    """(theme, name relative to its templates/, path) of every template file in the theme chain, in order."""
    for theme in theme_dirs:
        templates = theme / "templates"
        if not templates.is_dir():
            continue
        for path in sorted(templates.rglob("*")):
            if path.is_file():
                yield theme, path.relative_to(templates).as_posix(), path


def _theme_digest(theme_dirs: Sequence[Path]) -> str:
    """Hash of every template file in the theme chain (names and bytes)."""
    digest = hashlib.sha256()
    for theme, name, path in _template_files(theme_dirs):
        digest.update(f"{theme}|{name}|{path.stat().st_size}|".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _memo_key(config: Config, assets: Mapping[str, str], has_search: bool) -> str:
    text = repr((RENDER_FORMAT, _theme_digest(config.theme_dirs), config.site, sorted(assets.items()), has_search))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _search_enabled(site: _Site, env: jinja2.Environment) -> bool:
    """A search page needs both its template and the assets the search stage built."""
    return bool(site.search_assets) and _has_template(env, "search.html")


def search_assets_read_late(theme_dirs: Sequence[Path]) -> bool:
    """Whether render_site may be given search assets whose items arrive while it renders: no
    template but search.html names `search_assets` (the contract, see the module docstring),
    and render_site renders that page last, in the calling process. A theme that breaks the
    contract just has its search built first."""
    return not any(name != "search.html" and b"search_assets" in path.read_bytes()
                   for _, name, path in _template_files(theme_dirs))


def _has_template(env: jinja2.Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True


class _Feeds:
    """The site's Atom feed and one per tag, author and publication, each made on its own."""

    def __init__(self, site: _Site, fragments: Mapping[str, tuple[str, ...]]) -> None:
        self.site = site
        self.fragments = fragments
        self._contents: dict[str, str] = {}
        self._terms = {
            f"{kind}/{term.slug}/feed.xml": (kind, term)
            for kind in ("tags", "authors", "publications") for term in site.taxonomies[kind].terms
        }

    def paths(self, only: Container[str] | None = None) -> list[str]:
        """Every feed's path (only those in `only`, if given), the site's first."""
        return [path for path in ("feed.xml", *self._terms) if only is None or path in only]

    def _absolute(self, entry: Entry) -> str:
        return self.site.config.site.base_url + entry_url(entry)

    def _content(self, entry: Entry) -> str:
        return str(self.site.views[entry_key(entry)].body_html)

    def _fragment(self, entry: Entry) -> str:
        view = self.site.views[entry_key(entry)]
        content = self._contents.get(view.key)
        if content is None:
            content = self._contents[view.key] = feeds.content_element(str(view.body_html))
        return self.fragments[view.digest][-1].replace(CONTENT_MARK, content, 1)

    def make(self, path: str) -> OutputFile:
        """The feed at `path` (one of `paths()`)."""
        config = self.site.config
        base = config.site.base_url
        author = config.site.author or config.site.title
        if path == "feed.xml":
            spec = feeds.FeedSpec(config.site.title, base + "feed.xml", base, author, config.site.description,
                                  config.site.language)
            entries = [self.site.entries[k] for k in self.site.order[: feeds.FEED_LIMIT]]
        else:
            kind, term = self._terms[path]
            labels = {"tags": "Topic", "authors": "Author", "publications": "Publication"}
            page = f"{kind}/{term.slug}/"
            spec = feeds.FeedSpec(f"{config.site.title} · {labels[kind]}: {term.name}", base + page + "feed.xml",
                                  base + page, author, "", config.site.language)
            entries = [self.site.views[k].entry for k in term.keys[: feeds.FEED_LIMIT]]
        return OutputFile(path, feeds.atom_feed(spec, entries, self._absolute, self._content,
                                                fragment=self._fragment))


def _feeds(site: _Site, fragments: Mapping[str, tuple[str, ...]], only: Container[str] | None = None
           ) -> list[OutputFile]:
    """The site's Atom feed and one per tag, author and publication (only the paths in `only`, if given)."""
    maker = _Feeds(site, fragments)
    return [maker.make(path) for path in maker.paths(only)]


def render_site(
    entries: Sequence[Entry],
    config: Config,
    search_assets: Mapping[str, str] = {},
    memo: RenderMemo | None = None,
    jobs: int = 1,
    previous: Callable[[str], bytes | None] | None = None,
    bytecode_dir: Path | None = None,
    unchanged: Callable[[str], bool] | None = None,
    versions: Mapping[str, str] | None = None,
    stage_to: Path | None = None,
) -> RenderResult:
    """Render the whole site from `entries`; see the module docstring.

    `memo` (a previous result's) lets unchanged bodies, cards, feed fragments
    and pages be reused instead of rendered again: `previous(path)` returns
    the bytes the previous build wrote for an output path, or None when it
    cannot vouch for them (missing, or changed since). `jobs` > 1 spreads the
    rendering over forked processes. None of these changes an output byte.
    With `unchanged(path)` (True when the previous build's file is still there
    untouched), such pages are not read at all: their paths go to `kept`.
    With `versions` too (entry key -> a hash of its content file), a render
    after a few entries changed, none of them in what other pages' structure
    depends on, plans only the pages and feeds that show them; every other
    file of the previous build is vouched for by `unchanged` and kept.
    `bytecode_dir` keeps compiled templates between builds (see _environment).
    `stage_to` (write.begin_staging's tree): a render of every page writes each page and
    feed there where it is rendered, and gives a `write.Staged` file for it, unless another
    file of the site claims its path first (the first claim wins, as below).
    """
    memo = memo or RenderMemo()
    _RENDER_GENERATION[0] += 1
    problems: list[Problem] = []
    changes = _version_changes(memo, versions)
    in_memo_order = _memo_order(entries, memo, changes) if changes is not None else None
    ordered_entries = in_memo_order or sort_entries(entries)
    assets, asset_files = _fingerprint(config.theme_dirs)
    env = _environment(config.theme_dirs, bytecode_dir)
    has_search = bool(search_assets) and _has_template(env, "search.html")
    key = _memo_key(config, assets, has_search)
    reuse = memo.key == key
    if in_memo_order is not None and changes is not None and versions is not None:
        order = memo.order
        given = versions
        versions = dict(memo.versions)
        for k in changes:
            if k in given:
                versions[k] = given[k]
            else:
                del versions[k]
    else:
        order = tuple(entry_key(e) for e in ordered_entries)
        versions = {k: versions[k] for k in order if k in versions} if versions is not None else {}
    by_key = dict(zip(order, ordered_entries, strict=True))
    changed = (_changed_entries(memo, order, versions, by_key, changes if in_memo_order is not None else None)
               if reuse and unchanged is not None else None)
    taxonomies: dict[str, Taxonomy] = {}
    taxonomies_reused = changed is not None and set(memo.taxonomies) == set(TAXONOMY_KINDS)
    if taxonomies_reused:
        # Same entries in the same order, none changed in a name it is grouped by: same taxonomies.
        taxonomies.update(memo.taxonomies)
        taxonomy_problems = list(memo.taxonomy_problems)
    else:
        taxonomy_problems = []
        for kind, singular, values in (
            ("tags", "tag", lambda e: e.tags),
            ("authors", "author", lambda e: e.authors),
            ("publications", "publication", lambda e: [e.publication] if e.publication else []),
        ):
            taxonomy, clashes = build_taxonomy(kind, singular, ordered_entries, values)
            taxonomies[kind] = taxonomy
            taxonomy_problems.extend(clashes)
        taxonomies["years"], taxonomies["months"] = build_date_taxonomies(ordered_entries)
    problems.extend(taxonomy_problems)

    if changed is not None:
        # A few entries changed and no page's structure did: only the pages that show them are planned.
        bodies: dict[str, tuple[str, int]] = {}
        views: Mapping[str, EntryView] = _LazyViews(by_key, taxonomies, memo.markdown, bodies)
        ordered: Sequence[EntryView] = _LazyOrdered(order, views)
    else:
        digest_of: dict[str, str] = {}
        bodies = _bodies(ordered_entries, memo.markdown, jobs, digest_of)
        views = _views(ordered_entries, taxonomies, bodies, digest_of)
        ordered = tuple(views[k] for k in order)
    related = _RelatedTable.load(memo.related, len(order)) if changed is not None else None
    if changed is not None and related is not None:
        # Same order, same tags, same kinds and dates (see _changed_entries): same derived lists.
        teasers, undated = memo.teasers, memo.undated
    else:
        related = _related_table(order, taxonomies, by_key)
        teasers = sum(1 for e in ordered_entries if e.kind == TEASER)
        undated = tuple(k for k, e in by_key.items() if e.date is None)
    site = _Site(
        config=config,
        views=views,
        ordered=ordered,
        entries=by_key,
        taxonomies=taxonomies,
        assets=assets,
        # Not copied: it may be one whose items arrive later (see search_assets_read_late).
        search_assets=search_assets,
        order=order,
        related=related,
        teasers=teasers,
        undated=undated,
    )
    renderer = _Renderer(site, env, has_search)
    plan, feed_paths = _changed_plan(site, changed) if changed is not None else (None, None)
    specs = _page_specs(site, plan)
    if has_search:
        # The search assets change with every content edit; only this page shows them,
        # so they belong to its fingerprint, not to the key of every page.
        specs.append(_PageSpec("search/", ("search.html",), {"feed_url": None, "search_assets": site.search_assets}))
    kept_rest: list[str] = []
    if plan is not None and feed_paths is not None and unchanged is not None:
        planned = {spec.out or page_file(spec.url) for spec in specs} | set(feed_paths)
        kept_rest = [path for path in (*memo.pages, *memo.others) if path not in planned]
        if not all(unchanged(path) for path in kept_rest):
            # A file that is not planned was touched since: only a full render can put it back.
            return render_site(entries, config, search_assets, memo, jobs, previous, bytecode_dir, unchanged)

    # Cards and feed fragments: once per entry, reused by every page and feed.
    known = memo.fragments if reuse else {}
    fragments: MutableMapping[str, tuple[str, ...]]
    if isinstance(views, _LazyViews):
        for path in feed_paths or ():
            keys = order if path == "feed.xml" else _term_of_feed(site, path).keys
            for k in keys[: feeds.FEED_LIMIT]:
                views[k]
        # Over the memo's (read value by value from the cache): copying them all would cost more.
        fragments = ChainMap({}, known)  # type: ignore[arg-type]  # only the first map is written
        todo = [v for v in views.made() if v.digest not in fragments]
    else:
        fragments = {v.digest: known[v.digest] for v in ordered if v.digest in known}
        todo = [v for v in ordered if v.digest not in fragments]
    fragments.update(zip([v.digest for v in todo], parallel_map(renderer.fragments_of, todo, jobs), strict=True))
    renderer.fragments = fragments

    # Pages: reuse the previous bytes of every page whose context is unchanged.
    signer = _Signer()
    if taxonomies_reused and set(memo.taxonomy_signatures) == set(TAXONOMY_KINDS):
        for kind in TAXONOMY_KINDS:  # the same taxonomies as the memo's (see above): the same signatures
            signer.prime(taxonomies[kind], memo.taxonomy_signatures[kind])
    old_pages = memo.pages if reuse and (previous is not None or unchanged is not None) else {}
    made: list[OutputFile | Problem | None] = []
    fingerprints: list[str] = []
    stale: list[int] = []
    made_feeds: list[OutputFile] | None = None
    if not old_pages:
        # Nothing to reuse, so every page is rendered: each is signed where it is rendered,
        # spreading the signing over the workers too (a signature depends only on values).
        # A full render's feeds are made by the same workers, after the pages.
        feed_maker = _Feeds(site, fragments) if plan is None else None
        # The search page goes last, in this process: it alone reads the search assets, which
        # may still be on their way (see search_assets_read_late).
        spread = specs[:-1] if has_search else specs
        tasks: list[_PageSpec | str] = [*spread, *(feed_maker.paths() if feed_maker is not None else ())]

        # Which tasks write their file where they run (stage_to): those whose path no other file
        # of the site can take (pages, assets, feeds, sitemap and robots.txt, in the order below).
        if stage_to is not None:
            feed_paths_made = [task for task in tasks[len(spread):] if isinstance(task, str)]
            claims = _sole_claims([*(spec.out or page_file(spec.url) for spec in specs),
                                   *(file.path for file in asset_files), *feed_paths_made, "sitemap.xml", "robots.txt"])
            direct = [*claims[: len(spread)], *claims[len(specs) + len(asset_files):][: len(feed_paths_made)]]
        else:
            direct = [False] * len(tasks)
        staging, created = str(stage_to), {""}

        def render_signed(task: _PageSpec | str, staged: bool = False) -> tuple[str, OutputFile | Problem]:
            made_file: OutputFile | Problem
            if isinstance(task, str):
                assert feed_maker is not None
                fingerprint, made_file = "", feed_maker.make(task)
            else:
                fingerprint, made_file = signer.page(key, task), renderer.render(task)
            if staged and isinstance(made_file, OutputFile):
                made_file = stage_file(staging, made_file, created)
            return fingerprint, made_file

        done = parallel_map(lambda n: render_signed(tasks[n], direct[n]), range(len(tasks)), jobs)
        for fingerprint, fresh in [*done[: len(spread)], *map(render_signed, specs[len(spread):])]:
            fingerprints.append(fingerprint)
            made.append(fresh)
        made_feeds = [feed for _, feed in done[len(spread):] if isinstance(feed, OutputFile)] if feed_maker else None
        stale = list(range(len(specs)))
    for index, spec in enumerate(specs if old_pages else ()):
        fingerprint = signer.page(key, spec)
        out = spec.out or page_file(spec.url)
        fingerprints.append(fingerprint)
        if old_pages.get(out) == fingerprint:
            if unchanged is not None and unchanged(out):
                made.append(_Kept(out, b""))
                continue
            data = previous(out) if previous is not None else None
            if data is not None:
                made.append(OutputFile(out, data))
                continue
        made.append(None)
        stale.append(index)
    if old_pages:
        for index, fresh in zip(stale, parallel_map(renderer.render, [specs[i] for i in stale], jobs), strict=True):
            made[index] = fresh
    page_files: list[OutputFile] = []
    pages: dict[str, str] = dict(memo.pages) if plan is not None else {}
    for fingerprint, page in zip(fingerprints, made, strict=True):
        if isinstance(page, Problem):
            problems.append(page)
        elif page is not None:
            page_files.append(page)
            pages[page.path] = fingerprint if plan is not None else pages.get(page.path, fingerprint)

    if plan is not None:
        extra = _feeds(site, fragments, feed_paths)
        others = memo.others
        shapes = memo.shapes
        bodies = ChainMap(bodies, memo.markdown)  # type: ignore[assignment, arg-type]  # only read
    else:
        entry_dates = {view.url: view.entry.date for view in ordered}
        sitemap_urls = [
            (config.site.base_url + spec.url, entry_dates.get(spec.url)) for spec in specs if spec.out is None
        ]
        extra = [
            *(made_feeds if made_feeds is not None else _feeds(site, fragments)),
            OutputFile("sitemap.xml", feeds.sitemap(sitemap_urls)),
            OutputFile("robots.txt", feeds.robots_txt(config.site.base_url)),
        ]
        others = tuple(file.path for file in extra)
        shapes = {k: _shape(e) for k, e in site.entries.items()}

    files: dict[str, OutputFile] = {}
    for output in [*page_files, *asset_files, *extra]:
        if output.path in files:
            problems.append(Problem(
                path=output.path,
                message="two pages want this output path; kept the first (rename one entry's slug)",
                severity=Severity.ERROR,
            ))
            continue
        files[output.path] = output
    return RenderResult(
        files=tuple(files[path] for path in sorted(files) if not isinstance(files[path], _Kept)),
        problems=tuple(problems),
        memo=RenderMemo(key=key, markdown=bodies, fragments=fragments, pages=pages, others=others,
                        order=order, versions=versions, shapes=shapes, taxonomies=taxonomies,
                        taxonomy_problems=tuple(taxonomy_problems),
                        taxonomy_signatures={kind: signer.sign(taxonomies[kind]) for kind in TAXONOMY_KINDS},
                        related=related.data(), teasers=teasers, undated=tuple(undated)),
        rendered=len(stale),
        kept=frozenset([*kept_rest, *(path for path, file in files.items() if isinstance(file, _Kept))]),
    )


def _sole_claims(paths: Sequence[str]) -> list[bool]:
    """For each claim of a path, in order: whether its file is the one the site keeps at that
    path whatever the other files are, because it is the path's first claim, the path is safe
    as it is, and no other claim differs from it only in case. (The rules for two claims
    are in render_site, the first kept, and write.find_collisions, which keeps the first of
    a case-insensitive clash in path order; a claim in a clash is left to them.)"""
    def safe(path: str) -> str | None:
        try:
            return safe_relative(path)
        except ValueError:
            return None  # never written: it claims nothing

    safe_paths = [safe(path) for path in paths]
    spellings: dict[str, set[str]] = {}
    for path, safe_path in zip(paths, safe_paths):
        if safe_path is not None:
            spellings.setdefault(safe_path.casefold(), set()).add(path)
    claimed: set[str] = set()
    sole: list[bool] = []
    for path, safe_path in zip(paths, safe_paths):
        first = path not in claimed
        claimed.add(path)
        sole.append(first and safe_path == path and len(spellings[path.casefold()]) == 1)
    return sole


def _version_changes(memo: RenderMemo, versions: Mapping[str, str] | None) -> set[str] | None:
    """The keys of the memo's entries whose version is not the one in `versions` (changed or
    gone); None when there are more than CHANGED_MAX or nothing to compare with."""
    if versions is None or not memo.order or len(memo.versions) != len(memo.order):
        return None
    known = memo.versions
    changes = {k for k, _ in versions.items() - known.items() if k in known}
    changes.update(known.keys() - versions.keys())
    return changes if len(changes) <= CHANGED_MAX else None


def _memo_order(entries: Sequence[Entry], memo: RenderMemo, changes: set[str]) -> tuple[Entry, ...] | None:
    """`entries` in the memo's order, when that is still the archive's order; else None.

    An entry whose content file is unchanged (not in `changes`) has the same sort key as
    when the memo was made, so the memo's order holds if each of the few changed
    entries still sorts between its neighbours; only those are looked at.
    """
    if len(entries) != len(memo.order):
        return None
    paths = [e.path for e in entries]
    by_key = dict(zip(paths, entries)) if all(paths) else {entry_key(e): e for e in entries}
    try:
        ordered = tuple(map(by_key.__getitem__, memo.order))
    except KeyError:
        return None
    if len(by_key) != len(ordered):
        return None
    for i in map(memo.order.index, changes):
        here = sort_key(ordered[i])
        if (i > 0 and not sort_key(ordered[i - 1]) < here) or (
                i + 1 < len(ordered) and not here < sort_key(ordered[i + 1])):
            return None
    return ordered


def _shape(entry: Entry) -> str:
    """What of an entry decides other pages' structure besides the archive's order: its URL
    (the key is its path), date, taxonomy names and kind (home counts teasers)."""
    return repr((entry.slug, entry.date, entry.tags, entry.authors, entry.publication, entry.kind))


def _changed_entries(memo: RenderMemo, order: tuple[str, ...], versions: Mapping[str, str],
                     by_key: Mapping[str, Entry], changes: set[str] | None = None) -> list[str] | None:
    """The keys of the entries whose content changed since the memo's render, when only those
    entries' own pages and the lists and feeds showing them can differ; else None.
    `changes`: those keys, when already known (see _version_changes)."""
    if not memo.order or order != memo.order or len(versions) != len(order):
        return None  # an entry came, went or moved: lists, counts and neighbours shift
    if changes is not None:
        changed = sorted(changes, key=order.index)
    else:
        changed = [k for k in order if versions[k] != memo.versions.get(k)]
    if len(changed) > CHANGED_MAX:
        return None
    if any(memo.shapes.get(k) != _shape(by_key[k]) for k in changed):
        return None
    return changed


def _term_of_feed(site: _Site, path: str) -> Term:
    kind, slug = path.split("/")[:2]
    return next(term for term in site.taxonomies[kind].terms if term.slug == slug)


def _changed_plan(site: _Site, changed: Sequence[str]) -> tuple[_Plan, frozenset[str]]:
    """The pages and feeds that can show the `changed` entries, when nothing else changed:
    their own pages and their neighbours', the entry pages listing them as related, the
    page of every list they are on, and the feeds they are in."""
    per_page = max(1, site.config.site.per_page)
    tax = site.taxonomies
    order = site.order
    related = site.related
    assert related is not None
    by_name = {kind: {t.name: t for t in tax[kind].terms} for kind in ("tags", "authors", "publications")}

    entries: set[int] = set()
    lists: dict[str, set[int]] = {}
    feed_paths: set[str] = set()
    for k in changed:
        i = order.index(k)
        entry = site.entries[k]
        entries.update(j for j in (i - 1, i, i + 1) if 0 <= j < len(order))
        lists.setdefault("", set()).add(i // per_page + 1)
        if i < feeds.FEED_LIMIT:
            feed_paths.add("feed.xml")
        entries.update(related.listing(i))  # the pages listing k as related
        memberships = [
            ("tags", _names(entry.tags)), ("authors", _names(entry.authors)),
            ("publications", _names([entry.publication] if entry.publication else [])),
        ]
        for kind, values in memberships:
            for name in values:
                term = by_name[kind][name]
                at = term.keys.index(k)
                lists.setdefault(f"{kind}/{term.slug}/", set()).add(at // per_page + 1)
                if at < feeds.FEED_LIMIT:
                    feed_paths.add(f"{kind}/{term.slug}/feed.xml")
        if entry.date is not None:
            for slug in (f"{entry.date.year:04d}", f"{entry.date.year:04d}/{entry.date.month:02d}"):
                keys = next(t.keys for t in (*tax["years"].terms, *tax["months"].terms) if t.slug == slug)
                lists.setdefault(f"{slug}/", set()).add(keys.index(k) // per_page + 1)
        else:
            lists.setdefault("undated/", set()).add(list(site.undated).index(k) // per_page + 1)
    return (_Plan(frozenset(entries), {base: frozenset(numbers) for base, numbers in lists.items()}),
            frozenset(feed_paths))


def memo_key(config: Config, search_assets: Mapping[str, str], bytecode_dir: Path | None = None) -> str:
    """The `RenderMemo.key` a render of this configuration and search stage would have.

    Search assets count only as present or not: their paths are part of the
    search page's own fingerprint (the one template that may use them).
    """
    assets, _ = _fingerprint(config.theme_dirs)
    env = _environment(config.theme_dirs, bytecode_dir)
    has_search = bool(search_assets) and _has_template(env, "search.html")
    return _memo_key(config, assets, has_search)
