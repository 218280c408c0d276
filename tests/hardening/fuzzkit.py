"""Hypothesis strategies and property checks for the normalizer, front-matter reader, slugger
and URL builder. Shared by tests/hardening/test_properties.py (short runs, in CI) and
benchmarks/fuzz.py (long runs, by hand). Each `check_*` raises AssertionError on a finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from dataclasses import replace
from urllib.parse import unquote

from hypothesis import strategies as st

from generator.config import Config
from generator.frontmatter import FrontMatterError, dump_entry, parse_entry, split_front_matter
from generator.models import ENTRY_KINDS, Entry, SourceDocument, SourceKind, SourceRef
from generator.urls import MAX_SLUG, entry_url, page_file, relative_url, safe_relative, slugify

# --- strategies ---------------------------------------------------------------

PAGE_LINES = st.one_of(
    st.text(max_size=120),
    st.sampled_from([
        "", "By Jane Doe", "By Ana Ríos and Li Wei, from Lima", "March 13, 2019", "13 de marzo de 2019",
        "2018-10-26", "September 05, 2017 | 10:00", "Facebook Twitter Share", "# Heading", "## Sub heading",
        "A Title Like Line Here", "*  item*  glued", "Category Archives: X", "---", "...", "Related articles",
        "This is a full sentence of running text that ends with a period.", "<script>alert(1)</script>",
        "<p>Para</p>", "<html><body><h1>T</h1><p>x</p></body></html>", "{{ 7*7 }}", "> quote", "- item",
        "1. first", "title: x", "Photo: Someone / Agency", "(...)", "\ufeff", "\x00", "\u2028", "\t \t",
        "Translated by Someone", "Originally published in Somewhere", "Tags: a, b, c",
    ]),
)
PAGES = st.lists(PAGE_LINES, max_size=40).map("\n".join)
FRONT_MATTER_PAGES = st.builds(lambda fm, body: f"---\n{fm}\n---\n{body}", st.text(max_size=200), PAGES)
SUFFIX = {SourceKind.TEXT: "txt", SourceKind.HTML: "html", SourceKind.MARKDOWN: "md"}


def _document(index: int, kind: SourceKind, text: str) -> SourceDocument:
    return SourceDocument(f"s{index}.{SUFFIX[kind]}", kind, text, "utf-8", hashlib.sha256(text.encode()).hexdigest())


@st.composite
def source_documents(draw: st.DrawFn) -> list[SourceDocument]:
    count = draw(st.integers(1, 3))
    docs = []
    for i in range(count):
        kind = draw(st.sampled_from(list(SourceKind)))
        text = draw(FRONT_MATTER_PAGES if kind is SourceKind.MARKDOWN and draw(st.booleans()) else PAGES)
        docs.append(_document(i, kind, text))
    return docs


YAML_SNIPPETS = st.sampled_from([
    "title: A title", "title:", "title: ''", "title: [a, b]", "title: {a: 1}", "title: 42", "title: null",
    "date: 2019-03-13", "date: 2019-13-45", "date: next tuesday", "date: 2019-03-13T10:00:00Z", "date: [1]",
    "authors: [Ana, Bo]", "authors: 42", "authors: [[a]]", "authors: Ana", "authors: [true]", "tags: [x, 1, 2.5]",
    "kind: teaser", "kind: poem", "sources: [{file: a.txt, lines: [1, 2]}]", "sources: [{lines: 1}]", "sources: 3",
    "confidence: {title: 0.5}", "confidence: [1]", "a: &x [1, 2]", "b: *x", "c: *undefined", "!!python/object:os.system",
    "d: !!binary aGVsbG8=", "e: !!python/name:os.system", "%YAML 1.1", "? complex key", "- list item", "|", ">",
    "  indented: value", "\tTab: value", "[[[[[[[[[[", "{{{{{{{{", "'unterminated", '"unterminated', "key: 'it''s'",
    "url: javascript:alert(1)", "slug: ../../x", "<<: {title: merged}", "title: !!str 123", "--- ", "...",
])
YAML_LINES = st.one_of(YAML_SNIPPETS, st.text(max_size=40))


@st.composite
def front_matter_texts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(YAML_LINES, max_size=12))
    body = draw(PAGES)
    opener = draw(st.sampled_from(["---\n", "\ufeff---\n", "---\r\n", "--- \n", ""]))
    closer = draw(st.sampled_from(["\n---\n", "\n...\n", "\n---", "\r\n---\r\n", "\n"]))
    return opener + "\n".join(lines) + closer + body


def _clean(text: str) -> str:
    return text.strip()


NAMES = st.text(min_size=1, max_size=60).map(_clean).filter(bool)
OPTIONAL = st.one_of(st.none(), NAMES)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    body = draw(st.text(max_size=300))
    return Entry(
        title=draw(NAMES),
        kind=draw(st.sampled_from(ENTRY_KINDS)),
        date=draw(st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))),
        authors=tuple(draw(st.lists(NAMES, max_size=4))),
        publication=draw(OPTIONAL),
        summary=draw(st.one_of(st.just(""), NAMES)),
        tags=tuple(draw(st.lists(NAMES, max_size=4))),
        language=draw(st.one_of(st.none(), st.sampled_from(["en", "es", "de"]))),
        translator=draw(OPTIONAL),
        original_publication=draw(OPTIONAL),
        image_credit=draw(OPTIONAL),
        url=draw(OPTIONAL),
        body=body.strip("\n") + "\n" if body.strip() else "",
        sources=tuple(SourceRef(f, lines) for f, lines in draw(st.lists(
            st.tuples(NAMES, st.one_of(st.none(), st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)))),
            max_size=3))),
    )


URL_PARTS = st.one_of(
    st.sampled_from(["..", ".", "", "%2e%2e", "%2E%2e", ".%2e", "%2f", "%5c", "C:", "c:x", "\\", "..\\..",
                     "a", "2019", "03", "é", "~", " ", "index.html", "%252e%252e", "\x00", "%00", "/"]),
    st.text(max_size=8),
)
_SPLIT = st.lists(URL_PARTS, max_size=5).map("/".join)


@st.composite
def url_paths(draw: st.DrawFn) -> str:
    path = draw(_SPLIT)
    if draw(st.booleans()):
        path = "/" + path
    if draw(st.booleans()):
        path += "/"
    return path


# --- checks -------------------------------------------------------------------


def comparable(entry: Entry) -> Entry:
    """What survives a trip through a content file: no slug/path, body with one final newline."""
    body = entry.body.strip("\n") + "\n" if entry.body.strip() else ""
    return replace(entry, slug="", path="", body=body)


def assert_same_entry(parsed: Entry, original: Entry) -> None:
    a, b = comparable(parsed), comparable(original)
    if a != b:
        differ = {k: (getattr(a, k), getattr(b, k)) for k in a.__dataclass_fields__ if getattr(a, k) != getattr(b, k)}
        raise AssertionError(f"round trip changed {differ}")


def check_round_trip(entry: Entry) -> None:
    text = dump_entry(entry)
    parsed, problem = parse_entry(text, "content/x.md")
    assert problem is None, f"{problem} for\n{text}"
    assert parsed is not None
    assert_same_entry(parsed, entry)
    assert dump_entry(parsed) == text, "dumping the parsed entry gives another text"


def check_normalizer(docs: list[SourceDocument]) -> None:
    from generator.normalize import normalize_all

    found, problems = normalize_all(docs, Config())
    crashes = [p for p in problems if p.message.startswith("could not be normalized")]
    assert not crashes, crashes
    again, _ = normalize_all(list(reversed(docs)), Config())
    assert found == again, "not deterministic (input order changed the result)"
    for entry in found:
        assert entry.title.strip(), entry
        assert entry.kind in ENTRY_KINDS
        check_round_trip(replace(entry, slug=slugify(entry.title)))


def check_front_matter(text: str) -> None:
    try:
        data, body, line = split_front_matter(text)
    except FrontMatterError:
        pass
    else:
        assert isinstance(data, dict) and isinstance(body, str) and line >= 1
    entry, problem = parse_entry(text, "content/x.md")
    assert (entry is None) != (problem is None)
    if problem is not None:
        assert problem.path == "content/x.md" and problem.message
    if entry is not None:
        check_round_trip(entry)


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_slug(text: str) -> None:
    slug = slugify(text)
    assert slug and _SLUG.fullmatch(slug), (text, slug)
    assert len(slug) <= MAX_SLUG, (text, slug)
    assert slugify(slug) == slug, (text, slug, slugify(slug))


def _inside(path: str) -> bool:
    resolved = posixpath.normpath(posixpath.join("/root/site", path))
    return resolved == "/root/site" or resolved.startswith("/root/site/")


def _safe_shape(path: str) -> None:
    assert not path.startswith("/") and "\\" not in path and "\x00" not in path, path
    assert not re.match(r"^[A-Za-z]:", path), path
    for form in (path, unquote(path)):
        parts = form.split("/")
        assert not any(part in ("", ".", "..") for part in parts), path
        assert _inside(form), path


def check_urls(a: str, b: str) -> None:
    urls = []
    for raw in (a, b):
        try:
            safe = safe_relative(raw)
        except ValueError:
            safe = None
        if safe is not None:
            _safe_shape(safe)
        try:
            url = entry_url(Entry(title="t", path=raw + ".md"))
        except ValueError:
            continue
        assert url.endswith("/") and _inside(url), (raw, url)
        assert re.fullmatch(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*/)+", url), (raw, url)  # no scheme, query or fragment
        _safe_shape(url.rstrip("/"))
        file = page_file(url)
        assert _inside(file) and file.endswith("/index.html"), (url, file)
        urls.append(url)
    urls += ["", "tags/", "2019/03/x/"]
    for source in urls:
        for target in urls:
            link = relative_url(source, target)
            assert not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", link), (source, target, link)  # never a scheme
            base = posixpath.dirname(page_file(source))
            landed = posixpath.normpath(posixpath.join("/root/site", base, link))
            expected = posixpath.normpath(posixpath.join("/root/site", target))
            assert landed == expected, (source, target, link)
