"""Property tests: the normalizer never raises and is deterministic."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.models import SourceDocument, SourceKind
from generator.normalize import normalize_all

LINES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", "By Jane Doe", "March 13, 2019", "Facebook Twitter Share", "# Heading",
                     "A Title Like Line Here", "*  item*  glued", "Category Archives: X", "---",
                     "This is a full sentence of running text that ends with a period."]),
)
PAGES = st.lists(LINES, max_size=40).map("\n".join)


def doc(text: str, path: str, kind: SourceKind) -> SourceDocument:
    return SourceDocument(path, kind, text, "utf-8", hashlib.sha256(text.encode()).hexdigest())


@settings(max_examples=150, deadline=None)
@given(PAGES, st.sampled_from(list(SourceKind)))
def test_never_raises_and_is_deterministic(text: str, kind: SourceKind) -> None:
    suffix = {SourceKind.TEXT: "txt", SourceKind.HTML: "html", SourceKind.MARKDOWN: "md"}[kind]
    docs = [doc(text, f"a.{suffix}", kind), doc(text[::-1], "b.txt", SourceKind.TEXT)]
    first = normalize_all(docs, Config())
    second = normalize_all(list(reversed(docs)), Config())
    assert first == second
    for entry in first[0]:
        assert entry.title
        assert entry.kind in ("article", "teaser")
