"""How the search data files are spelled: JSON, self-registering scripts, names.  [pure]

Kept apart from shards.py (which needs numpy) so that live.py, the in-place
rebuild, writes exactly the same bytes without importing numpy."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

SHARD_HASH = 8
"""Hex characters of a shard's own content hash (its name; the client reads them from the manifest)."""
SHARD_BYTES = 40_000
KEY_SPAN = 1 << 24
"""A term's key in the shards, the `_index` the browser gives it, is first document x KEY_SPAN +
where in that document's terms (fields in order) it first occurs: in the same order as lunr's
term numbers (first seen, first numbered), so the browser's scores are the same floats, but a
term new to the archive changes no other term's key."""
LENGTH_CHUNK = 1024
"""Documents whose field lengths share a file (an edit that changes a length rewrites one)."""


INDEX_DIR = "search/index"
"""Where the index's files go in the site."""


def js_order(term: str) -> bytes:
    """Sort key matching JavaScript's string comparison (UTF-16 code units)."""
    return term.encode("utf-16-be")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def data_file(key: str, data: Any, encoded: str | None = None) -> tuple[str, bytes]:
    """(key, bytes) of a self-registering data script; `encoded` is `data` already as JSON."""
    body = f"archiveSearchLoaded({json.dumps(key)},{encoded if encoded is not None else dumps(data)});\n"
    return key, body.encode()


def file_name(key: str, digest: str) -> str:
    return f"{key}.{digest}.js"


def shard_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:SHARD_HASH]


def entry_size(entry: str, term: str) -> int:
    """What a term's entry adds to its shard's size: the shards are cut by this measure."""
    return len(entry) + len(term) * 3 + 4


def shard_file(number: int, terms: Sequence[str], entries: Sequence[str]) -> tuple[str, bytes]:
    """One index shard: its terms and their entries."""
    encoded = '{"t":' + dumps(list(terms)) + ',"p":[' + ",".join(entries) + "]}"
    return data_file(f"s{number}", None, encoded)


def lengths_file(number: int, lengths: Sequence[int]) -> tuple[str, bytes]:
    """The field lengths (lunr's: tokens per field) of documents number * LENGTH_CHUNK onwards,
    each document's fields one after another: the browser scores the postings with them."""
    return data_file(f"l{number}", None, "[" + ",".join(map(str, lengths)) + "]")


def manifest_bytes(data: dict[str, Any]) -> tuple[str, bytes]:
    """(file name, bytes) of the manifest, named by its own content hash (the page links to it)."""
    key, body = data_file("manifest", data)
    return file_name(key, hashlib.sha256(body).hexdigest()[:10]), body


def build_hash(files: Sequence[tuple[str, bytes]]) -> str:
    """One content hash for all data files: it goes in every name, so the manifest
    lists counts, not thousands of incompressible per-file hashes."""
    digest = hashlib.sha256()
    for key, body in files:
        digest.update(key.encode() + b"\0" + hashlib.sha256(body).digest())
    return digest.hexdigest()[:10]


def terms_file(ranked: Sequence[str]) -> tuple[str, bytes]:
    """The term list, in JavaScript order (fetched for wildcard and fuzzy queries)."""
    return data_file("terms", {"terms": list(ranked)})
