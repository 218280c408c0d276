"""The one configured Markdown renderer: Markdown text -> safe HTML, pure.

CommonMark plus tables, strikethrough, footnotes and heading anchors. Raw HTML
in a source is escaped (``html=False``), never passed through, and links or
images whose scheme is not http, https or mailto (``javascript:``, ``data:``,
``vbscript:``, ``file:`` ...) are not turned into links at all: the text
stays, the target is dropped. Headings in a body are shifted so that the
first level used becomes <h2>, because the page's <h1> is the entry title and
screen-reader users navigate by heading level.

Most bodies are nothing but paragraphs of plain prose. Those (no character
that any enabled block or inline rule reacts to, see `_plain_paragraphs`) are
rendered directly, as MarkdownIt would render them, about 50 times faster;
everything else goes through MarkdownIt. The output is the same either way
(tests/unit/test_markdown.py compares the two on generated text).
MarkdownIt is imported only when a body needs it: a rebuild after one edit
of a plain body never pays for the import.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Characters browsers ignore inside a scheme ("java\tscript:" is javascript:).
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and scheme-less (relative or #fragment) URLs."""
    cleaned = _IGNORED.sub("", unicodedata.normalize("NFKC", url))
    match = _SCHEME.match(cleaned)
    if match is None:
        # "//host/x" is protocol-relative: still http(s), so allowed.
        return ":" not in cleaned.split("/", 1)[0] if not cleaned.startswith("//") else True
    return match.group(1).lower() in ALLOWED_SCHEMES


def _heading_slug(text: str) -> str:
    """GitHub-like ids, but never empty and never starting with a digit-only id."""
    slug = re.sub(r"[^\w\- ]", "", text.strip().lower(), flags=re.UNICODE).replace(" ", "-")
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return f"h-{slug}" if not slug or slug[0].isdigit() else slug


def _shift_headings(state: StateCore) -> None:
    """Make the shallowest heading in the document an <h2> (the page owns <h1>)."""
    levels = [int(t.tag[1]) for t in state.tokens if t.type == "heading_open"]
    if not levels:
        return
    shift = 2 - min(levels)
    if shift == 0:
        return
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(1, min(6, int(token.tag[1]) + shift))}"


def unique_slug(slug: str, slugs: set[str]) -> str:
    """`slug`, or "slug-1", "slug-2" ... when taken; added to `slugs` (what the anchors plugin does)."""
    unique, number = slug, 1
    while unique in slugs:
        unique = f"{slug}-{number}"
        number += 1
    slugs.add(unique)
    return unique


@lru_cache(maxsize=1)
def markdown_renderer() -> MarkdownIt:
    """The configured MarkdownIt (built once; MarkdownIt is safe to reuse)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    class _SafeMarkdownIt(MarkdownIt):
        def validateLink(self, url: str) -> bool:
            return is_safe_link(url)

    md = _SafeMarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    # Shift first so anchors see final levels; anchors on h2-h4 (the body's sections).
    md.core.ruler.push("shift_headings", _shift_headings)
    md.use(anchors_plugin, min_level=2, max_level=4, slug_func=_heading_slug)
    return md


# Anywhere in a body, these make the fast path step aside: inline syntax (escapes, code,
# emphasis, strikethrough, links, images, footnotes, autolinks, entities, raw HTML),
# table pipes, and characters MarkdownIt normalizes or treats as line ends or blanks.
_NOT_PLAIN = re.compile(r"[\\`*_~\[\]<>&|\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# At the start of a line: block syntax (headings, quotes, list bullets, setext
# underlines and thematic breaks, fences, table delimiter rows, ordered-list numbers).
_BLOCK_START = re.compile(r"[-+*#>=:|~`_]|\d{1,9}[.)]")
_BLANK_LINES = re.compile(r"\n\n+")


_HEADING = re.compile(r"(#{1,6}) ([^#\s](?:[^#\n]*[^#\s])?)")


def _plain_paragraphs(text: str) -> str | None:
    """The HTML MarkdownIt makes of `text` when it is only plain paragraphs and headings; else None.

    Plain: blocks separated by empty lines; no line with leading or trailing
    whitespace (indentation, hard breaks, whitespace-only lines) or starting
    with block syntax, except a block that is one ATX heading line ("## Text",
    no other "#"); no character of _NOT_PLAIN anywhere. Such a paragraph is
    one text run with soft line breaks: "<p>" + its escaped lines + "</p>\n",
    where only '"' needs escaping (the other characters escapeHtml touches
    are excluded). Headings are shifted and given ids as the MarkdownIt
    rules do (_shift_headings, then the anchors plugin on h2-h4).
    """
    if _NOT_PLAIN.search(text) is not None:
        return None
    blocks: list[tuple[int, str]] = []  # (heading level or 0 for a paragraph, text)
    for block in _BLANK_LINES.split(text.strip("\n")):
        if block.startswith("#"):
            heading = _HEADING.fullmatch(block)
            if heading is None:
                return None
            blocks.append((len(heading.group(1)), heading.group(2)))
            continue
        for line in block.split("\n"):
            if not line or line[0].isspace() or line[-1].isspace() or _BLOCK_START.match(line) is not None:
                return None
        blocks.append((0, block))
    levels = [level for level, _ in blocks if level]
    shift = 2 - min(levels) if levels else 0
    slugs: set[str] = set()
    parts: list[str] = []
    for level, content in blocks:
        escaped = content.replace('"', "&quot;")
        if not level:
            parts.append("<p>" + escaped + "</p>\n")
            continue
        tag = f"h{max(1, min(6, level + shift))}"
        if "h2" <= tag <= "h4":
            slug = unique_slug(_heading_slug(content), slugs)
            parts.append(f'<{tag} id="{slug}">{escaped}</{tag}>\n')
        else:
            parts.append(f"<{tag}>{escaped}</{tag}>\n")
    return "".join(parts)


def render_markdown(text: str) -> str:
    """Markdown -> HTML fragment; safe to insert into a page unescaped."""
    if not text.strip():
        return ""
    plain = _plain_paragraphs(text)
    if plain is not None:
        return plain
    return render_with_markdown_it(text)


def render_with_markdown_it(text: str) -> str:
    """Markdown -> HTML through MarkdownIt itself (no fast path)."""
    return str(markdown_renderer().render(text))
