"""No injection: hostile titles, authors, tags, summaries and bodies land in the site as text.

One project holds a Markdown source whose every field carries a payload
(`<script>`, `"><img src=x onerror=...>`, `javascript:` links in all the
spellings Markdown allows, `{{ 7*7 }}` and `{% raw %}`), a page dump whose
headline is markup, and a saved HTML page with scripts and event handlers.
After `archive build`, every output is parsed, never grepped:

- each HTML page with lxml.html: no <script> but the theme's (inline scripts
  never mention a payload, external ones point at files of the site), no `on*`
  attribute anywhere, no `javascript:`/`vbscript:`/`data:` URL in any link
  attribute, and the hostile strings present as text where they land;
- Atom feeds and the sitemap with lxml.etree (well-formed; escaped HTML content
  parsed and checked like a page);
- JSON-LD blocks with json.loads, equal to the entry's fields;
- the search store's data files with json.loads, equal to the entry's fields.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hardening.hardkit import new_project, run_cli
from lxml import etree
from lxml import html as lxml_html

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{ 7*7 }}"
RAW = "{% raw %}"
TITLE = f"{SCRIPT} {IMG} {TEMPLATE} {RAW} end"
AUTHORS = (f"{SCRIPT} Eve", f"{IMG} Mallory", "{{ 7*7 }} Trent")
TAGS = ("<script>alert(3)</script>", "{{ 7*7 }}", "\"><svg onload=alert(4)>")
PUBLICATION = "<i onmouseover=alert(5)>Pub</i> {{ 7*7 }}"
SUMMARY = f"Summary {SCRIPT} {IMG} {TEMPLATE}"
BODY = f"""\
A paragraph with {SCRIPT} and {IMG} and {TEMPLATE} {RAW} in it.

<script>alert(6)</script>

<img src=x onerror=alert(7)>

<div onclick="alert(8)">div</div>

[plain](javascript:alert(1)) [upper](JaVaScRiPt:alert(1)) [entity](&#106;avascript:alert(1))
[spaced]( javascript:alert(1)) [vb](vbscript:msgbox(1)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<javascript:alert(1)> ![image](javascript:alert(1)) [ref][r1]

[r1]: javascript:alert(1)

{{% raw %}}{{{{ 7*7 }}}}{{% endraw %}} and {{# comment #}} and ${{7*7}} and <%= 7*7 %>
"""

HOSTILE_MD = (
    "---\n"
    f"title: {json.dumps(TITLE)}\n"
    "date: 2020-01-03\n"
    f"authors: {json.dumps(list(AUTHORS))}\n"
    f"tags: {json.dumps(list(TAGS))}\n"
    f"publication: {json.dumps(PUBLICATION)}\n"
    f"summary: {json.dumps(SUMMARY)}\n"
    "---\n\n" + BODY
)

DUMP_TITLE = "<script>alert(9)</script> Headline Of A Dumped Page {{ 7*7 }}"
HOSTILE_TXT = f"""\
Home News World

{DUMP_TITLE}

By <img src=x onerror=alert(10)> Reporter
March 13, 2019

The council met on Tuesday to discuss the plans for the new bridge, and residents filled the hall to hear what it would cost and when the work would begin. Several speakers asked for a second crossing further downstream, where the ferry still runs.

<script>alert(11)</script> The engineer presented three designs and said that the cheapest of them would take two years to build, while the most ambitious would need four and a loan from the region.

The vote was postponed to next month so that the public could comment on the designs, which will be shown in the library from Monday.
"""

PLAIN_DUMP_TITLE = "Plain Headline For The Council Meeting {{ 7*7 }}"

HOSTILE_HTML = """\
<!doctype html><html><head><title>Saved page &lt;script&gt;alert(12)&lt;/script&gt;</title>
<script>alert(13)</script></head>
<body onload="alert(14)"><article><h1>A Saved Page About The Harbour &lt;b&gt;</h1>
<p>By Jo Writer. June 2, 2018.</p>
<p>The harbour was dredged last summer <img src=x onerror=alert(15)> and the boats came back
in numbers that nobody had expected, filling the quay every morning from April to October.</p>
<p><a href="javascript:alert(16)">Click</a> to read more about the fish market, which has doubled
its trade since the works and now opens six days a week for the whole year.</p>
<script>alert(17)</script>
<p>The town plans to extend the quay next year, if the region agrees to pay half of the cost.</p>
</article></body></html>
"""

BAD_SCHEMES = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "background")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = new_project(tmp_path_factory.mktemp("injection") / "project")
    (root / "seeds" / "hostile.md").write_text(HOSTILE_MD, encoding="utf-8")
    (root / "seeds" / "hostile-dump.txt").write_text(HOSTILE_TXT, encoding="utf-8")
    (root / "seeds" / "hostile-dump-2.txt").write_text(HOSTILE_TXT.replace(DUMP_TITLE, PLAIN_DUMP_TITLE),
                                                       encoding="utf-8")
    (root / "seeds" / "hostile-page.html").write_text(HOSTILE_HTML, encoding="utf-8")
    run = run_cli(root, "build")
    assert run.code == 0, run.err
    return root


def _site_files(root: Path, pattern: str) -> list[Path]:
    return sorted((root / "site").rglob(pattern))


def _check_tree(doc: Any, where: str, site: Path | None, page: Path | None) -> None:
    """No event handlers, no script URLs, no scripts other than the theme's."""
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (where, element.tag, name, value)
            if name.lower() in URL_ATTRIBUTES:
                assert not BAD_SCHEMES.match(value), (where, element.tag, name, value)
        tag = element.tag.lower()
        assert tag not in ("iframe", "object", "embed", "base", "frame", "meta-refresh"), (where, tag)
        if tag == "img":
            assert element.get("src") != "x", (where, lxml_html.tostring(element))
        if tag == "script":
            kind = (element.get("type") or "").lower()
            source = element.get("src")
            if kind == "application/ld+json":
                json.loads(element.text or "")
            elif source is not None:
                assert site is not None and page is not None, where
                assert not re.match(r"^[a-z]+:", source), (where, source)
                assert (page.parent / source.split("?")[0]).resolve().is_file(), (where, source)
            else:
                text = element.text or ""
                assert "alert(" not in text and "7*7" not in text, (where, text[:200])


def test_every_page_is_free_of_injected_markup(hostile_site: Path) -> None:
    site = hostile_site / "site"
    pages = _site_files(hostile_site, "*.html")
    assert len(pages) > 10
    for page in pages:
        doc = lxml_html.fromstring(page.read_bytes())
        _check_tree(doc, str(page.relative_to(site)), site, page)


def _entry_page(site: Path, fragment: str) -> Path:
    found = [p for p in site.glob("20*/*/*/index.html") if fragment in p.parent.name]
    assert len(found) == 1, (fragment, sorted(p.parent.name for p in site.glob("20*/*/*/index.html")))
    return found[0]


def test_hostile_fields_appear_as_text_on_the_entry_page(hostile_site: Path) -> None:
    site = hostile_site / "site"
    doc = lxml_html.fromstring(_entry_page(site, "script-alert-1").read_bytes())
    assert doc.xpath("string(//h1)").strip() == TITLE
    assert doc.xpath("string(//title)").startswith(TITLE)
    text = doc.text_content()
    for author in AUTHORS:
        assert author in text
    for tag in TAGS:
        assert tag in text
    assert SUMMARY in text
    body = doc.xpath("string(//*[contains(@class, 'entry-body')])")
    assert f"A paragraph with {SCRIPT} and {IMG} and {TEMPLATE} {RAW} in it." in body
    assert "49" not in text.replace("2019", "").replace("2020", "")  # {{ 7*7 }} was never evaluated
    for meta in doc.xpath("//meta[@property='og:title' or @name='citation_title']"):
        assert meta.get("content") == TITLE


def test_a_dumped_page_with_markup_in_its_body_stays_text(hostile_site: Path) -> None:
    site = hostile_site / "site"
    doc = lxml_html.fromstring(_entry_page(site, "plain-headline-for-the-council").read_bytes())
    assert doc.xpath("string(//h1)").strip() == PLAIN_DUMP_TITLE
    body = doc.xpath("string(//*[contains(@class, 'entry-body')])")
    assert "<script>alert(11)</script> The engineer presented" in body


def test_a_dumped_page_whose_headline_holds_markup_keeps_it_as_text(hostile_site: Path) -> None:
    site = hostile_site / "site"
    dumped = lxml_html.fromstring(_entry_page(site, "headline-of-a-dumped-page").read_bytes())
    assert dumped.xpath("string(//h1)").strip() == DUMP_TITLE
    assert any(r[0] == DUMP_TITLE for r in _search_records(site))


def test_a_saved_html_page_loses_its_scripts_and_keeps_its_text(hostile_site: Path) -> None:
    site = hostile_site / "site"
    saved = [p for p in site.glob("20*/*/*/index.html") if "harbour" in p.parent.name]
    assert saved, sorted(p.parent.name for p in site.glob("20*/*/*/index.html"))
    doc = lxml_html.fromstring(saved[0].read_bytes())
    text = doc.xpath("string(//*[contains(@class, 'entry-body')])")
    assert "The harbour was dredged" in text and "alert(" not in text


def test_json_ld_equals_the_fields(hostile_site: Path) -> None:
    site = hostile_site / "site"
    doc = lxml_html.fromstring(_entry_page(site, "script-alert-1").read_bytes())
    blocks = [json.loads(s.text) for s in doc.xpath("//script[@type='application/ld+json']")]
    article = next(b for b in blocks if b.get("headline"))
    assert article["headline"] == TITLE
    assert [a["name"] for a in article["author"]] == list(AUTHORS)
    assert article["keywords"] == list(TAGS)
    assert article["description"] == SUMMARY
    raw = next(s.text for s in doc.xpath("//script[@type='application/ld+json']"))
    assert "</script" not in raw.lower() and "<!--" not in raw


def test_feeds_and_sitemap_parse_and_carry_the_text(hostile_site: Path) -> None:
    site = hostile_site / "site"
    feeds = _site_files(hostile_site, "*.xml")
    assert any(p.name == "feed.xml" for p in feeds) and (site / "sitemap.xml") in feeds
    atom = "{http://www.w3.org/2005/Atom}"
    titles: set[str] = set()
    for feed in feeds:
        tree = etree.parse(str(feed), etree.XMLParser(resolve_entities=False, no_network=True))
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag == f"{atom}title":
                titles.add(element.text or "")
            if element.tag in (f"{atom}content", f"{atom}summary") and element.get("type") == "html" and element.text:
                fragment = lxml_html.fragment_fromstring(element.text, create_parent="div")
                _check_tree(fragment, str(feed.relative_to(site)), None, None)
            if element.tag == f"{atom}content" and element.get("type") == "xhtml":
                _check_tree(element, str(feed.relative_to(site)), None, None)
            if element.tag in (f"{atom}link",):
                assert not BAD_SCHEMES.match(element.get("href", ""))
        if feed.name == "sitemap.xml":
            locations = [e.text or "" for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
            assert locations and all(loc.startswith("https://archive.example.org/") for loc in locations)
            assert not any(c in loc for loc in locations for c in "<>\"' ")
    assert TITLE in titles


def _search_records(site: Path) -> list[list[Any]]:
    records: list[list[Any]] = []
    for data_file in sorted((site / "search").rglob("*.js")):
        text = data_file.read_text(encoding="utf-8")
        match = re.fullmatch(r'\s*archiveSearchLoaded\("d\d+",(.*)\);\s*', text, re.DOTALL)
        if match:
            records.extend(json.loads(match.group(1))["d"])
    return records


def test_search_store_holds_the_fields_as_data(hostile_site: Path) -> None:
    records = _search_records(hostile_site / "site")
    hostile = [r for r in records if r[0] == TITLE]
    assert len(hostile) == 1, [r[0] for r in records]
    record = hostile[0]
    assert record[3] == list(AUTHORS)
    assert record[6] == list(TAGS)
    assert "49" not in json.dumps(record).replace("2019", "").replace("2020", "")
    assert any(r[0] == PLAIN_DUMP_TITLE for r in records)


def test_search_snippet_shows_the_summary_as_written(hostile_site: Path) -> None:
    record = next(r for r in _search_records(hostile_site / "site") if r[0] == TITLE)
    assert record[5] == SUMMARY
