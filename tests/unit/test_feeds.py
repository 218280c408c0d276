"""Atom feeds, sitemap.xml and robots.txt: valid, escaped, deterministic."""

from __future__ import annotations

import datetime as dt
import io

import xmlschema
from lxml import etree
from sitecheck import SITEMAP_XSD, make_entry

from generator import feeds

ATOM = "{http://www.w3.org/2005/Atom}"


SPEC = feeds.FeedSpec("Archive", "https://ex.org/a/feed.xml", "https://ex.org/a/", "Keeper", "Sub")


def _feed(entries: list) -> bytes:  # type: ignore[type-arg]
    return feeds.atom_feed(SPEC, entries, lambda e: "https://ex.org/a/" + e.slug + "/", lambda e: "<p>x</p>")


def check_atom(data: bytes) -> etree._Element:
    """The RFC 4287 rules a feed reader depends on."""
    root = etree.fromstring(data)
    assert root.tag == ATOM + "feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(ATOM + name)) == 1, name
    assert root.find(ATOM + "link[@rel='self']") is not None
    has_feed_author = root.find(ATOM + "author/" + ATOM + "name") is not None
    for entry in root.findall(ATOM + "entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(ATOM + name)) == 1, name
        assert entry.find(ATOM + "link[@rel='alternate']") is not None
        assert has_feed_author or entry.find(ATOM + "author") is not None
        dt.datetime.strptime(entry.findtext(ATOM + "updated") or "", "%Y-%m-%dT%H:%M:%SZ")
    return root


def test_feed_is_valid_atom_and_updated_is_newest_entry() -> None:
    entries = [
        make_entry("New <b>&</b> </script>", dt.date(2020, 5, 1), authors=("A",), tags=("T",), summary="s"),
        make_entry("Old", dt.date(2019, 1, 1)),
        make_entry("Undated", None),
    ]
    root = check_atom(_feed(entries))
    assert root.findtext(ATOM + "updated") == "2020-05-01T00:00:00Z"
    titles = [e.findtext(ATOM + "title") for e in root.findall(ATOM + "entry")]
    assert titles[0] == "New <b>&</b> </script>"  # escaped in XML, intact once parsed
    assert root.find(ATOM + "entry/" + ATOM + "content").get("type") == "html"


def test_feed_is_deterministic_and_needs_no_clock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    entries = [make_entry("Undated", None)]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = _feed(entries)
    assert b"2023-11-14T22:13:20Z" in first
    assert first == _feed(entries)
    check_atom(first)


def test_sitemap_is_valid_against_the_schema() -> None:
    data = feeds.sitemap([("https://ex.org/a/", None), ("https://ex.org/a/2019/03/x/", dt.date(2019, 3, 13))])
    schema = xmlschema.XMLSchema(io.StringIO(SITEMAP_XSD))
    schema.validate(io.BytesIO(data))
    assert b"<lastmod>2019-03-13</lastmod>" in data


def test_robots_points_at_sitemap() -> None:
    text = feeds.robots_txt("https://ex.org/a/").decode()
    assert "User-agent: *" in text and "Sitemap: https://ex.org/a/sitemap.xml" in text
