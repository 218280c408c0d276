"""render_site: pages, paths, theme chain, escaping, determinism, links."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape
from sitecheck import check_links, sample_entries, write_files

from generator.config import Config, SiteConfig
from generator.render import (
    CARD_ROOT,
    RenderResult,
    build_timeline,
    fast_escape,
    make_environment,
    paginate,
    render_site,
)

BASE = "https://example.org/archive/"
THEMES = Path(__file__).resolve().parents[2] / "themes"


class _Html:
    """An object that renders itself as HTML (what escape must not escape)."""

    def __html__(self) -> str:
        return "<u>own</u>"

    def __str__(self) -> str:
        return "<not used>"


def config(tmp_path: Path, theme: str = "default", per_page: int = 3, themes: str = "themes") -> Config:
    from generator.config import PathsConfig

    return Config(root=tmp_path, site=SiteConfig(per_page=per_page, base_url=BASE, theme=theme, title="Test <Archive>"),
                  paths=PathsConfig(themes=themes))


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[RenderResult, Path]:
    result = render_site(sample_entries(), config(tmp_path))
    return result, write_files(result.files, tmp_path / "site")


def page(site: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / path).read_bytes())


def test_every_kind_of_page_exists(rendered: tuple[RenderResult, Path]) -> None:
    result, _site = rendered
    paths = {f.path for f in result.files}
    expected = {
        "index.html", "page/2/index.html", "404.html", "archive/index.html", "feed.xml", "sitemap.xml",
        "robots.txt", "tags/index.html", "tags/migration/index.html", "tags/migration/page/2/index.html",
        "tags/migration/feed.xml", "authors/index.html", "authors/elena-zeledon/index.html",
        "authors/elena-zeledon/feed.xml", "publications/index.html", "publications/left-voice/index.html",
        "publications/left-voice/feed.xml", "2018/index.html", "2018/11/index.html",
        "2018/11/the-caravan-that-defies-borders/index.html", "undated/index.html",
        "undated/an-undated-note/index.html",
    }
    assert expected <= paths, expected - paths
    assert [p.severity.value for p in result.problems] == ["warning"]  # the Ríos/Rios slug clash


def test_pagination_splits_by_per_page() -> None:
    pages = paginate("tags/x/", tuple(range(7)), 3)  # type: ignore[arg-type]
    assert [p.url for p in pages] == ["tags/x/", "tags/x/page/2/", "tags/x/page/3/"]
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert pages[0].prev_url is None and pages[0].next_url == "tags/x/page/2/"


def test_entry_page_has_everything(rendered: tuple[RenderResult, Path]) -> None:
    _, site = rendered
    doc = page(site, "2018/11/the-caravan-that-defies-borders/index.html")
    text = doc.text_content()
    for fact in ("Elena Zeledon", "2 November 2018", "Left Voice", "Oscar Fernandez", "La Izquierda Diario",
                 "John Moore / Getty Images", "min read", "seeds/002.txt, lines 3–40", "Borders", "Related"):
        assert fact in text, fact
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "../../../authors/elena-zeledon/" in hrefs
    assert "../../../2018/11/" in hrefs  # the date links to its month
    assert doc.find(".//link[@rel='canonical']").get("href") == BASE + "2018/11/the-caravan-that-defies-borders/"
    meta = {m.get("name") or m.get("property"): m.get("content") for m in doc.iter("meta")}
    assert meta["citation_title"] == "The Caravan that Defies Borders"
    assert meta["citation_author"] == "Elena Zeledon"
    assert meta["citation_publication_date"] == "2018/11/02"
    assert meta["og:type"] == "article" and meta["og:url"].startswith(BASE)
    ld = json.loads(doc.find(".//script[@type='application/ld+json']").text)
    assert ld["@type"] == "NewsArticle" and ld["datePublished"] == "2018-11-02"
    assert ld["author"] == [{"@type": "Person", "name": "Elena Zeledon"}]
    assert doc.find(".//nav[@class='prev-next wrap-narrow']") is not None
    # Markdown: raw HTML escaped, javascript: link dropped.
    body = doc.find(".//div[@class='entry-body']")
    assert not list(body.iter("script")) and "<script>alert(1)</script>" in body.text_content()
    hrefs = [a.get("href") for a in body.iter("a")]
    assert "https://example.com/" in hrefs and not [h for h in hrefs if "javascript" in h]


def test_teaser_says_summary_only_and_links_the_source(rendered: tuple[RenderResult, Path]) -> None:
    _, site = rendered
    doc = page(site, "2017/09/trump-cancels-daca/index.html")
    notice = doc.find(".//aside[@class='notice']")
    assert notice is not None and "Summary only" in notice.text_content()
    assert notice.find(".//a").get("href") == "https://www.leftvoice.org/daca"


def test_hostile_title_is_escaped_everywhere(rendered: tuple[RenderResult, Path]) -> None:
    result, _ = rendered
    for output in result.files:
        if output.path.endswith(".html"):
            text = output.data.decode()
            assert "<img src=x" not in text, output.path
            assert "<b>mean</b>" not in text, output.path
            # JSON-LD must not contain a literal "</" that could close the script.
            for script in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.DOTALL):
                assert "</" not in script and "<" not in script


def test_links_and_anchors_all_resolve(rendered: tuple[RenderResult, Path]) -> None:
    _, site = rendered
    checked, broken = check_links(site, BASE)
    assert checked > 500
    assert not broken, "\n".join(map(str, broken[:20]))


def test_link_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/">ok</a><a href="b/">x</a><a href="a/#nope">y</a><a href="#top">z</a>')
    (tmp_path / "a" / "index.html").write_text('<p id="here">x</p>')
    _, broken = check_links(tmp_path)
    assert sorted(b.target for b in broken) == ["#top", "a/#nope", "b/"]


def test_relative_links_and_root_prefix(rendered: tuple[RenderResult, Path]) -> None:
    result, site = rendered
    home = page(site, "index.html")
    assert home.find(".//link[@rel='stylesheet']").get("href").startswith("static/style.")
    deep = page(site, "tags/migration/page/2/index.html")
    assert deep.find(".//link[@rel='stylesheet']").get("href").startswith("../../../../static/style.")
    for output in result.files:
        if output.path.endswith(".html") and output.path != "404.html":
            hrefs = re.findall(rb'(?:href|src|action)="([^"]*)"', output.data)
            assert not [h for h in hrefs if h.startswith(b"/")], output.path  # nothing root-absolute


def test_404_uses_absolute_links(rendered: tuple[RenderResult, Path]) -> None:
    _, site = rendered
    doc = page(site, "404.html")
    assert doc.find(".//link[@rel='stylesheet']").get("href").startswith(BASE + "static/style.")
    assert all(a.get("href").startswith(BASE) for a in doc.iter("a") if not a.get("href").startswith("#"))


def test_assets_are_fingerprinted(rendered: tuple[RenderResult, Path]) -> None:
    result, _ = rendered
    css = [f for f in result.files if f.path.startswith("static/style.")]
    assert len(css) == 1 and re.fullmatch(r"static/style\.[0-9a-f]{10}\.css", css[0].path)


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = render_site(sample_entries(), config(tmp_path))
    second = render_site(list(reversed(sample_entries())), config(tmp_path))
    assert first.files == second.files


def test_user_theme_overrides_one_template_and_one_asset(tmp_path: Path) -> None:
    theme = tmp_path / "themes" / "mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "term.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="custom">Custom {{ term.name }}</p>{% endblock %}')
    (theme / "static" / "style.css").write_text("body { color: rebeccapurple; }")
    result = render_site(sample_entries(), config(tmp_path, theme="mine"))
    assert not [p for p in result.problems if p.severity.value == "error"]
    files = {f.path: f.data for f in result.files}
    assert b'<p id="custom">Custom Migration</p>' in files["tags/migration/index.html"]
    # Other templates still come from the default theme.
    assert b'class="entry-title"' in files["2018/11/the-caravan-that-defies-borders/index.html"]
    css = [p for p in files if p.startswith("static/style.")]
    assert len(css) == 1 and files[css[0]] == b"body { color: rebeccapurple; }"
    assert any(p.startswith("static/favicon.") for p in files)  # default asset still there


def test_search_template_and_assets_are_passed_through(tmp_path: Path) -> None:
    theme = tmp_path / "themes" / "mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "search.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="s">{{ root }}{{ search_assets["search.js"] }}</p>{% endblock %}')
    result = render_site(sample_entries(), config(tmp_path, theme="mine"), {"search.js": "search/search.ab12.js"})
    files = {f.path: f.data for f in result.files}
    assert b'<p id="s">../search/search.ab12.js</p>' in files["search/index.html"]
    home = lxml.html.fromstring(files["index.html"])
    form = home.find(".//form[@role='search']")
    assert form.get("action") == "./search/" and form.get("method") == "get"
    assert form.find(".//input[@name='q']") is not None


def test_broken_user_template_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    theme = tmp_path / "themes" / "mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "archive.html").write_text('{% extends "base.html" %}{% block content %}{{ nope.x }}{% endblock %}')
    result = render_site(sample_entries(), config(tmp_path, theme="mine"))
    errors = [p for p in result.problems if p.severity.value == "error"]
    assert len(errors) == 1 and "archive.html" in errors[0].path
    assert "index.html" in {f.path for f in result.files}


def test_timeline_counts_and_accessible_table(rendered: tuple[RenderResult, Path]) -> None:
    _, site = rendered
    doc = page(site, "archive/index.html")
    svg = doc.find(".//svg")
    assert svg.get("width") and svg.get("height") and svg.get("viewbox")  # fixed size: no layout shift
    table = doc.find(".//table[@class='timeline-table']")
    cells = {a.get("title"): a.text for a in table.iter("a") if a.get("title")}
    assert cells["November 2018"] == "1" and cells["December 2016"] == "2"
    author = page(site, "authors/elena-zeledon/index.html")
    assert author.find(".//svg") is not None and author.find(".//table[@class='timeline-table']") is not None


def test_timeline_is_none_without_dates() -> None:
    assert build_timeline((), link_months=True) is None


# ---------------------------------------------------------------- word counts

from generator.models import count_words
from generator.render import word_count

_PIECES = st.sampled_from(["word", "García", "don’t", "x-y", "a--b", "'", "’", "-", "_", "a_b", "3", "½", "²",
                           " ", "\n", "—", "“", "\xa0", "中文", "한", "カ", "\ud800", "é", "ß", "Ⅻ", "٣", "*", "."])


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_word_count_equals_count_words(text: str) -> None:
    assert word_count(text) == count_words(text)


@given(st.text(max_size=80))
def test_word_count_equals_count_words_on_any_text(text: str) -> None:
    assert word_count(text) == count_words(text)


# ---------------------------------------------------------------- related entries

def test_related_of_every_entry_at_once_equals_entry_by_entry() -> None:
    import random

    from generator.render import RELATED_WINDOW, _RelatedIndex

    rng = random.Random(7)
    order = [f"e{i}" for i in range(3 * RELATED_WINDOW + 50)]
    tags: dict[str, list[str]] = {f"t{j}": [] for j in range(6)}
    for key in order:  # few tags: many equal scores, so the tie-breaks decide
        for name in rng.sample(sorted(tags), rng.randint(0, 3)):
            tags[name].append(key)
    index = _RelatedIndex({name: tuple(keys) for name, keys in tags.items()}, order)
    every = index.every_keys()
    assert every is not None
    for position, key in enumerate(order):
        mine = [name for name, keys in tags.items() if key in keys]
        assert every[position] == index.keys(key, mine), key


def test_an_environment_kept_between_renders_sees_edited_templates(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # archive serve keeps one Jinja environment from build to build (serve.project.TemplateMemo).
    import os

    from generator import render

    base = tmp_path / "themes" / "mine" / "templates" / "base.html"
    base.parent.mkdir(parents=True)
    original = (Path(render.__file__).parent.parent / "themes" / "default" / "templates" / "base.html").read_text()
    base.write_text(original.replace("<main ", "<!-- first -->\n<main "))
    made = render.make_environment
    kept: dict[tuple[Path, ...], object] = {}
    monkeypatch.setattr(render, "make_environment", lambda dirs: kept.setdefault(tuple(dirs), made(dirs)))

    def not_found() -> str:
        files = render_site(sample_entries(), config(tmp_path, theme="mine")).files
        return next(f.data.decode() for f in files if f.path == "404.html")

    assert "<!-- first -->" in not_found()
    base.write_text(original.replace("<main ", "<!-- second -->\n<main "))
    later = base.stat().st_mtime_ns + 5_000_000_000
    os.utime(base, ns=(later, later))
    assert "<!-- second -->" in not_found() and "<!-- first -->" not in not_found()
    assert len(kept) == 1


def test_related_table_lists_what_the_index_ranks_and_finds_who_lists_an_entry() -> None:
    import random

    from generator.render import RELATED_WINDOW, _RelatedIndex, _RelatedTable

    rng = random.Random(11)
    order = [f"e{i}" for i in range(2 * RELATED_WINDOW + 30)]
    tags: dict[str, list[str]] = {f"t{j}": [] for j in range(5)}
    for key in order:
        for name in rng.sample(sorted(tags), rng.randint(0, 2)):
            tags[name].append(key)
    index = _RelatedIndex({name: tuple(keys) for name, keys in tags.items()}, order)
    ranked = [index.keys(key, [name for name, keys in tags.items() if key in keys]) for key in order]
    position = {key: i for i, key in enumerate(order)}
    table = _RelatedTable.of([position[k] for k in keys] for keys in ranked)
    loaded = _RelatedTable.load(table.data(), len(order))
    assert loaded is not None and _RelatedTable.load(table.data(), len(order) + 1) is None
    for i, keys in enumerate(ranked):
        assert [order[p] for p in loaded.at(i)] == keys
        assert loaded.listing(i) == [j for j, others in enumerate(ranked) if order[i] in others]


def test_memo_order_holds_only_while_changed_entries_sort_between_their_neighbours() -> None:
    import dataclasses
    import datetime as dt

    from generator.models import Entry
    from generator.render import RenderMemo, _memo_order, _version_changes
    from generator.taxonomy import entry_key, sort_entries

    entries = [Entry(title=f"Entry {i}", path=f"e{i}.md", slug=f"e{i}", date=dt.date(2020, 1, 1 + i), body="x")
               for i in range(30)]
    ordered = sort_entries(entries)
    order = tuple(entry_key(e) for e in ordered)
    versions = {k: "v1" for k in order}
    memo = RenderMemo(order=order, versions=versions)
    assert _version_changes(memo, versions) == set()
    assert _memo_order(entries, memo, set()) == ordered

    retitled = [dataclasses.replace(e, title="Entry 5, corrected") if e.path == "e5.md" else e for e in entries]
    changes = _version_changes(memo, {**versions, "e5.md": "v2"})
    assert changes == {"e5.md"}
    assert _memo_order(retitled, memo, changes) == sort_entries(retitled)

    moved = [dataclasses.replace(e, date=dt.date(2021, 1, 1)) if e.path == "e5.md" else e for e in entries]
    assert _memo_order(moved, memo, changes) is None
    assert _memo_order(entries[1:], memo, set()) is None  # an entry went
    assert _version_changes(memo, {k: "v2" for k in order}) is None  # more than CHANGED_MAX
    assert _version_changes(memo, {**versions, "new.md": "v"}) == set()  # not an entry of the memo's: its order decides


def test_pages_staged_where_rendered_are_the_pages_rendered_otherwise(tmp_path: Path) -> None:
    from generator.write import Staged, begin_staging

    plain = render_site(sample_entries(), config(tmp_path))
    staging = begin_staging(tmp_path / "site")
    assert staging is not None
    staged = render_site(sample_entries(), config(tmp_path), stage_to=staging)
    assert [f.path for f in staged.files] == [f.path for f in plain.files]
    on_disk = {f.path for f in staged.files if isinstance(f, Staged)}
    assert "index.html" in on_disk and "feed.xml" in on_disk and "sitemap.xml" not in on_disk
    assert {str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()} == on_disk
    for file in plain.files:
        assert ((staging / file.path).read_bytes() if file.path in on_disk else
                next(f.data for f in staged.files if f.path == file.path)) == file.data


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a.html", "A.html", "b/index.html", "b/index.html/", "../x.html", "c%2e.xml",
                                 "feed.xml", "FEED.xml", "d/e.html"]), max_size=9))
def test_a_sole_claim_is_the_file_the_site_keeps_at_its_path(paths: list[str]) -> None:
    # The site's rules for two claims, as render_site and build apply them: the first claim of
    # a path is kept, then find_collisions goes through the paths in order.
    from generator.models import OutputFile
    from generator.render import _sole_claims
    from generator.write import find_collisions

    first: dict[str, OutputFile] = {}
    for number, path in enumerate(paths):
        first.setdefault(path, OutputFile(path, str(number).encode()))
    kept, _ = find_collisions([first[path] for path in sorted(first)])
    kept_data = {file.path: file.data for file in kept}
    for number, (path, sole) in enumerate(zip(paths, _sole_claims(paths), strict=True)):
        if sole:
            assert kept_data.get(path) == str(number).encode()


# ---------------------------------------------------------------- template speed-ups, same bytes


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.integers(), st.none(), st.floats(allow_nan=False),
                 st.text().map(Markup), st.just(_Html())))
def test_fast_escape_is_markupsafe_escape(value: object) -> None:
    made, expected = fast_escape(value), escape(value)
    assert type(made) is Markup and made == expected


def test_templates_escape_as_jinja_does_and_with_fast_escape() -> None:
    source = ('<p title="{{ a }}">{{ b }}{{ c }}{% set x %}<i>{{ a }}</i>{% endset %}{{ x }}'
              '{% macro m(v) %}<b>{{ v }}</b>{% endmacro %}{{ m(a) }}{{ a ~ c }}{{ n }}</p>')
    values = {"a": "\"<script>&'", "b": Markup("<em>kept</em>"), "c": _Html(), "n": 3}
    ours = make_environment([THEMES / "default"]).from_string(source)
    assert ours.root_render_func.__globals__["escape"] is fast_escape  # (the speed-up is in place)
    stock = jinja2.Environment(autoescape=True).from_string(source)
    assert ours.render(values) == stock.render(values)


def test_the_link_filter_gives_what_link_gives(rendered: tuple[RenderResult, Path]) -> None:
    env = make_environment([THEMES / "default"])
    source = "{{ link(u) }}|{{ u | link }}"
    for short in ("", "../../"):
        def link(target: str, short: str = short) -> str:
            return (short + target) or "./"

        for target in ("", "tags/a&b/", "2018/11/x/"):
            made = env.from_string(source).render(u=target, link=link)
            assert made.split("|")[0] == made.split("|")[1], made
    # In a card made once for every page, the root stays a mark to be replaced, not escaped text.
    _result, site = rendered
    hrefs = page(site, "page/2/index.html").xpath("//*[contains(@class, 'card-title')]/a/@href")
    assert hrefs and all(h.startswith("../../") and "<" not in h and "\x00" not in h for h in hrefs), hrefs
    assert CARD_ROOT not in (site / "page/2/index.html").read_text(encoding="utf-8")
