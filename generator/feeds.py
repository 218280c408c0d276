"""Entries -> machine-readable files: Atom feeds, sitemap.xml, robots.txt; pure.

Output is a function of the entries alone, never of the clock: a feed's
`updated` is its newest entry's date; only when no entry has a date at all
does it fall back to SOURCE_DATE_EPOCH (or the Unix epoch), the reproducible
builds convention. XML is built with ElementTree, which escapes text and
attributes, so a title with `<` or `&` cannot break a feed.
"""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .models import Entry

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_LIMIT = 50


@dataclass(frozen=True)
class FeedSpec:
    """What one Atom feed is about."""

    title: str
    """Feed title, e.g. "Archive: Migration"."""
    feed_url: str
    """Absolute URL of the feed document itself."""
    page_url: str
    """Absolute URL of the HTML page the feed mirrors."""
    author: str
    """Feed-level author (Atom requires one when entries may lack authors)."""
    subtitle: str = ""
    """Optional one-line description."""
    language: str = "en"
    """xml:lang of the feed."""


def fallback_time() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the Unix epoch."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(raw) if raw.isdigit() else 0
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def _stamp(date: dt.date | dt.datetime) -> str:
    if isinstance(date, dt.datetime):
        return date.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{date.isoformat()}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(
    spec: FeedSpec,
    entries: Sequence[Entry],
    absolute_url: Callable[[Entry], str],
    content_html: Callable[[Entry], str],
    limit: int = FEED_LIMIT,
) -> bytes:
    """An Atom 1.0 document of the first `limit` entries (already in archive order)."""
    ET.register_namespace("", ATOM_NS)
    shown = list(entries[:limit])
    dates = [e.date for e in shown if e.date is not None]
    updated: dt.date | dt.datetime = max(dates) if dates else fallback_time()
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": spec.language})
    _sub(feed, "id", spec.feed_url)
    _sub(feed, "title", spec.title)
    if spec.subtitle:
        _sub(feed, "subtitle", spec.subtitle)
    _sub(feed, "updated", _stamp(updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=spec.feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=spec.page_url)
    author = _sub(feed, "author")
    _sub(author, "name", spec.author)
    _sub(feed, "generator", "Static Archive")
    for entry in shown:
        url = absolute_url(entry)
        item = _sub(feed, "entry")
        _sub(item, "id", url)
        _sub(item, "title", entry.title)
        _sub(item, "link", rel="alternate", type="text/html", href=url)
        stamp = _stamp(entry.date if entry.date is not None else updated)
        if entry.date is not None:
            _sub(item, "published", stamp)
        _sub(item, "updated", stamp)
        for name in entry.authors:
            _sub(_sub(item, "author"), "name", name)
        for tag in entry.tags:
            _sub(item, "category", term=tag)
        if entry.summary:
            _sub(item, "summary", entry.summary)
        html = content_html(entry)
        if html:
            _sub(item, "content", html, type="html")
    ET.indent(feed)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=False)) + b"\n"


def sitemap(urls: Sequence[tuple[str, dt.date | None]]) -> bytes:
    """sitemap.xml for absolute `urls`, each with an optional last-modified date."""
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc, lastmod in urls:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
        if lastmod is not None:
            ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False)) + b"\n"


def robots_txt(base_url: str) -> bytes:
    """Allow everything and point crawlers at the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode()
