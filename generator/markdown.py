"""The one configured Markdown renderer: Markdown text -> safe HTML, pure.

CommonMark plus tables, strikethrough, footnotes and heading anchors. Raw HTML
in a source is escaped (``html=False``), never passed through, and links or
images whose scheme is not http, https or mailto (``javascript:``, ``data:``,
``vbscript:``, ``file:`` ...) are not turned into links at all: the text
stays, the target is dropped. Headings in a body are shifted so that the
first level used becomes <h2>, because the page's <h1> is the entry title and
screen-reader users navigate by heading level.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

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


class _SafeMarkdownIt(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        return is_safe_link(url)


@lru_cache(maxsize=1)
def markdown_renderer() -> MarkdownIt:
    """The configured MarkdownIt (built once; MarkdownIt is safe to reuse)."""
    md = _SafeMarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    # Shift first so anchors see final levels; anchors on h2-h4 (the body's sections).
    md.core.ruler.push("shift_headings", _shift_headings)
    md.use(anchors_plugin, min_level=2, max_level=4, slug_func=_heading_slug)
    return md


def render_markdown(text: str) -> str:
    """Markdown -> HTML fragment; safe to insert into a page unescaped."""
    if not text.strip():
        return ""
    return str(markdown_renderer().render(text))
