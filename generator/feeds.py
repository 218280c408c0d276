"""Entries -> machine-readable files: Atom feeds, sitemap.xml, robots.txt; pure.

Output is a function of the entries alone, never of the clock: a feed's
`updated` is its newest entry's date; only when no entry has a date at all
does it fall back to SOURCE_DATE_EPOCH (or the Unix epoch), the reproducible
builds convention. Feeds are joined from per-entry strings (`entry_fragment`,
built once per entry however many feeds list it) with text and attributes
escaped the way ElementTree escapes them, so a title with `<` or `&` cannot
break a feed and the bytes match what ElementTree would write (sitemap.xml
too).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .models import Entry

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_LIMIT = 50
# Stands for a feed's own `updated` stamp in a shared entry fragment; "<" cannot
# occur unescaped in escaped text, so no entry can contain it.
UPDATED_MARK = "<\x00updated>"


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


def escape_text(text: str) -> str:
    """XML character data, escaped exactly as ElementTree escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    """An XML attribute value (double-quoted), escaped exactly as ElementTree escapes it."""
    return (
        escape_text(text).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")
    )


def _element(indent: str, tag: str, text: str | None = None, **attrs: str) -> str:
    """One leaf element on its own line, the way ElementTree.indent lays it out."""
    attributes = "".join(f' {name}="{escape_attribute(value)}"' for name, value in attrs.items())
    if not text:
        return f"{indent}<{tag}{attributes} />\n"
    return f"{indent}<{tag}{attributes}>{escape_text(text)}</{tag}>\n"


def entry_fragment(entry: Entry, url: str, html: str) -> str:
    """The <entry> element of `entry` in a feed, indented for its place in <feed>.

    Built once per entry and shared by every feed that lists it. An undated
    entry takes its feed's `updated` stamp, which differs per feed: the
    fragment holds `UPDATED_MARK` there and `atom_feed` fills it in.
    """
    inner = "    "
    parts = ["  <entry>\n", _element(inner, "id", url), _element(inner, "title", entry.title),
             _element(inner, "link", rel="alternate", type="text/html", href=url)]
    if entry.date is not None:
        stamp = _stamp(entry.date)
        parts += [_element(inner, "published", stamp), _element(inner, "updated", stamp)]
    else:
        parts.append(f"{inner}<updated>{UPDATED_MARK}</updated>\n")  # a stamp needs no escaping
    for name in entry.authors:
        parts.append(f"{inner}<author>\n{_element(inner + '  ', 'name', name)}{inner}</author>\n")
    for tag in entry.tags:
        parts.append(_element(inner, "category", term=tag))
    if entry.summary:
        parts.append(_element(inner, "summary", entry.summary))
    if html:
        parts.append(_element(inner, "content", html, type="html"))
    parts.append("  </entry>\n")
    return "".join(parts)


def content_element(html: str) -> str:
    """The <content> line of an entry fragment ("" without HTML), as `entry_fragment` writes it."""
    return _element("    ", "content", html, type="html") if html else ""


def atom_feed(
    spec: FeedSpec,
    entries: Sequence[Entry],
    absolute_url: Callable[[Entry], str],
    content_html: Callable[[Entry], str],
    limit: int = FEED_LIMIT,
    fragment: Callable[[Entry], str] | None = None,
) -> bytes:
    """An Atom 1.0 document of the first `limit` entries (already in archive order).

    `fragment(entry)`, when given, returns the entry's `entry_fragment`
    (typically from a cache), so a feed is a join of ready strings.
    """
    shown = list(entries[:limit])
    dates = [e.date for e in shown if e.date is not None]
    updated = _stamp(max(dates) if dates else fallback_time())
    head = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="{ATOM_NS}" xml:lang="{escape_attribute(spec.language)}">\n',
        _element("  ", "id", spec.feed_url),
        _element("  ", "title", spec.title),
    ]
    if spec.subtitle:
        head.append(_element("  ", "subtitle", spec.subtitle))
    head += [
        _element("  ", "updated", updated),
        _element("  ", "link", rel="self", type="application/atom+xml", href=spec.feed_url),
        _element("  ", "link", rel="alternate", type="text/html", href=spec.page_url),
        f"  <author>\n{_element('    ', 'name', spec.author)}  </author>\n",
        _element("  ", "generator", "Static Archive"),
    ]
    body = [
        (fragment(entry) if fragment else entry_fragment(entry, absolute_url(entry), content_html(entry)))
        for entry in shown
    ]
    text = "".join(head) + "".join(body).replace(UPDATED_MARK, updated)
    return (text + "</feed>\n").encode("utf-8")


def sitemap(urls: Sequence[tuple[str, dt.date | None]]) -> bytes:
    """sitemap.xml for absolute `urls`, each with an optional last-modified date.

    Laid out and escaped exactly as ElementTree (with indent) writes it.
    """
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n']
    for loc, lastmod in urls:
        modified = f"    <lastmod>{lastmod.isoformat()}</lastmod>\n" if lastmod is not None else ""
        parts.append(f"  <url>\n{_element('    ', 'loc', loc)}{modified}  </url>\n")
    if len(parts) == 1:
        return f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP_NS}" />\n'.encode()
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def robots_txt(base_url: str) -> bytes:
    """Allow everything and point crawlers at the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode()
