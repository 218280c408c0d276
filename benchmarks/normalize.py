"""Per-field accuracy of the normalizer on a labelled corpus, or on the seeds' facts.

usage: python -m benchmarks.normalize DIR        (DIR holds docs/ and labels.jsonl)
       python -m benchmarks.normalize --seeds    (how many facts of expected.yaml hold)
       python -m benchmarks.normalize --speed PROJECT [--limit N]
                                                 (CPU ms a dump, one process, PROJECT/seeds)

The corpus fields follow the corpus README: title (normalized, case-insensitive),
authors (same set), date (same day), body_first / body_last (the body holds the
sentence), body_clean (no noise line in the body), body_ok (all three).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

from generator.config import Config, load_config
from generator.ingest import read_sources
from generator.models import ARTICLE, Entry
from generator.normalize import normalize_all

FIELDS = ("title", "authors", "date", "body_first", "body_last", "body_clean", "body_ok")
_SAME = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
                       "–": "-", "—": "-", "\u00a0": " ", "\u200b": None, "\u00ad": None, "…": "..."})


def canon(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(_SAME)
    return re.sub(r"\s+", " ", text).strip().casefold()


def plain(markdown: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s{0,3}#{1,6}\s*|^\s*>\s?|^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)
    return text.replace("\\", "")


def author_set(names: list[str] | tuple[str, ...]) -> set[str]:
    return {re.sub(r"^(by|von|par|por|de)\s+", "", canon(n)).strip(" ,.;") for n in names if n.strip()}


def main_entry(entries: list[Entry], doc_id: str) -> Entry | None:
    mine = [e for e in entries if any(Path(r.file).stem == doc_id for r in e.sources)]
    if not mine:
        return None
    return max(mine, key=lambda e: (e.kind == ARTICLE, len(e.body)))


def score(entry: Entry | None, label: dict[str, object]) -> dict[str, int]:
    if entry is None:
        return dict.fromkeys(FIELDS, 0)
    views = {canon(entry.body), canon(plain(entry.body))}

    def has(snippet: object) -> bool:
        return any(canon(str(snippet)) in v for v in views)

    noise = label.get("noise") or []
    result = {
        "title": int(canon(entry.title).strip("\"' ") == canon(str(label["title"])).strip("\"' ")),
        "authors": int(author_set(entry.authors) == author_set(list(label.get("authors") or []))),  # type: ignore[arg-type]
        "date": int(str(entry.date or "") == str(label.get("date") or "")),
        "body_first": int(has(label["body_first"])),
        "body_last": int(has(label["body_last"])),
        "body_clean": int(not any(has(n) for n in noise)),  # type: ignore[union-attr]
    }
    result["body_ok"] = int(result["body_first"] and result["body_last"] and result["body_clean"])
    return result


def corpus(directory: Path, show: bool) -> int:
    labels = [json.loads(line) for line in (directory / "labels.jsonl").read_text("utf-8").splitlines() if line.strip()]
    config = Config(root=directory)
    documents, _ = read_sources(directory / "docs", directory)
    entries, _ = normalize_all(documents, config)
    rows = []
    for label in labels:
        entry = main_entry(entries, label["id"])
        result = score(entry, label)
        rows.append(result)
        if show:
            for field in ("title", "authors", "date"):
                if not result[field]:
                    got = getattr(entry, field, None) if entry else None
                    print(f"{label['id']} {field}: want {label[field]!r} got {got!r}")
            for field in ("body_first", "body_last", "body_clean"):
                if not result[field]:
                    print(f"{label['id']} {field} missed")
    print(f"{'field':<12}{'accuracy':>10}")
    for field in FIELDS:
        print(f"{field:<12}{sum(r[field] for r in rows) / max(1, len(rows)):>10.3f}")
    print(f"documents: {len(rows)}")
    return 0


def speed(project: Path, limit: int | None) -> int:
    """CPU time of normalize_all over the project's sources, in this process (no workers).

    Ingest is left out; compare two versions in the same run, one after the other:
    the machine's load changes the figures more than most changes do.
    """
    import time

    config = load_config(root=project)
    documents, _ = read_sources(config.sources_dir, project)
    documents = documents[:limit] if limit else documents
    start = time.process_time()
    entries, problems = normalize_all(documents, config, jobs=1)
    seconds = time.process_time() - start
    print(f"{len(documents)} sources, {len(entries)} entries, {len(problems)} problems: "
          f"{seconds:.2f} s CPU, {1000 * seconds / max(1, len(documents)):.3f} ms a source")
    return 0


def seeds(root: Path) -> int:
    sys.path.insert(0, str(root))
    import pytest

    code = pytest.main(["-q", "--no-header", "-p", "no:cacheprovider",
                        str(root / "tests" / "unit" / "test_seeds_expected.py")])
    return int(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.normalize", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", type=Path)
    parser.add_argument("--seeds", action="store_true", help="check the facts of tests/data/seeds_expected.yaml")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--speed", type=Path, metavar="PROJECT", help="CPU ms a source over PROJECT's sources")
    parser.add_argument("--limit", type=int, help="with --speed: the first N sources only")
    args = parser.parse_args(argv)
    if args.speed is not None:
        return speed(args.speed, args.limit)
    if args.seeds:
        return seeds(Path(__file__).resolve().parent.parent)
    if args.directory is None:
        parser.error("give a labelled directory or --seeds")
    return corpus(args.directory, args.show_errors)


if __name__ == "__main__":
    raise SystemExit(main())
