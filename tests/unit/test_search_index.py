"""The search index: our builder equals lunr.py's, the sharded client answers
exactly like the monolithic lunr index (run in node), and the Python and
JavaScript analysis agree string for string."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.models import Entry
from generator.search import _order_key, build_search, plain_text, snippet_of, text, vendor
from generator.search.index import SearchDoc, build_index, build_reference, to_lunr_json

HARNESS = Path(__file__).with_name("test_search_node.js")
CORE = Path(__file__).resolve().parents[2] / "generator" / "search" / "assets" / "search-core.js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def node(*args: str) -> Any:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(HARNESS), str(vendor.search_dir()), str(CORE), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def corpus(count: int = 120, words: int = 250) -> list[Entry]:
    """Synthetic English entries plus hand-made Spanish, Chinese and tricky ones."""
    from benchmarks.synthetic import generate

    entries = [item.entry for item in generate(count, seed=11, words=words)]
    entries += [
        Entry(title="Las deportaciones de niños en México", date=dt.date(2020, 5, 1),
              authors=("Ana González",), tags=("Migración",), language="es",
              body="Los niños deportados cruzan la frontera. Ríos de migrantes; “deportación” masiva.\n",
              slug="es1", path="2020/05/es1.md"),
        Entry(title="佳士工人访谈: the Jasic interview", date=dt.date(2019, 5, 1), language="en",
              body="深圳佳士科技工人 organise, Jasic(佳士) workers’ union — 100,000 signatures.\n",
              slug="zh", path="2019/05/zh.md"),
        Entry(title="Caravan? “Quoted” Ángel’s U.S.-Mexico border-crossing", date=None,
              authors=("José Zeledón",), publication="Left Voice", summary="The caravan’s **road** north.",
              body="[A link](https://example.org/x) and <b>tags</b> — trying days, cry, ‘Ríos’.\n",
              slug="odd", path="undated/odd.md"),
    ]
    return entries


def search_docs(entries: list[Entry]) -> tuple[list[SearchDoc], list[str]]:
    ordered = sorted(entries, key=_order_key)
    docs = [
        SearchDoc(str(n), text.language_of(e.language, "en"),
                  (e.title, ", ".join(e.authors), ", ".join(e.tags), e.publication or "",
                   plain_text(e.summary), plain_text(e.body)))
        for n, e in enumerate(ordered)
    ]
    return docs, ["en", "es"]


def test_builder_equals_lunr_py() -> None:
    docs, languages = search_docs(corpus(40, 150))
    assert to_lunr_json(build_index(docs, languages)) == build_reference(docs, languages)


def test_fast_rounding_equals_round() -> None:
    import random

    import numpy as np

    from generator.search.index import _millis

    rng = random.Random(5)
    values = [rng.uniform(0, 60) for _ in range(100_000)] + [k / 1000 + 0.0005 for k in range(5000)]
    values += [0.0625, 1.0005, 2.5, 0.0015, 12.3455]
    assert _millis(np.array(values)).tolist() == [round(round(v, 3) * 1000) for v in values]


@pytest.mark.parametrize("chunk", [1 << 20, 5])
def test_numbers_as_text(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from generator.search import shards
    from generator.search.shards import joined_numbers

    monkeypatch.setattr(shards, "NUMBER_CHUNK", chunk)
    for values in ([0, 7, 10, 99, 100, 12345, 40212, 9, 1_000_000, 9_999_999, 3] * 7,
                   [0, 7, 10, 99, 100, 12345, 40212, 9, 1_000_000 - 1, 3] * 7):
        text_, ends = joined_numbers(np.array(values, dtype=np.int64))
        assert text_ == "".join(f"{v}," for v in values)
        assert ends.tolist() == [len("".join(f"{v}," for v in values[:n + 1])) for n in range(len(values))]
    big = [10_000_000, 5]
    assert joined_numbers(np.array(big, dtype=np.int64))[0] == "10000000,5,"


def test_field_vectors_and_pipeline_shape() -> None:
    docs, languages = search_docs(corpus(5, 50))
    serialized = to_lunr_json(build_index(docs, languages))
    assert serialized["version"] == "2.3.9"
    assert serialized["fields"] == ["title", "authors", "tags", "publication", "summary", "body"]
    assert serialized["pipeline"] == ["archive-fold", "archive-words", "archive-stem-en-es"]
    assert serialized["fieldVectors"][0][0] == f"title/{docs[0].ref}"


@pytest.mark.parametrize(("word", "language", "expected"), [
    ("Ríos", "en", ["rio"]),
    ("Rios", "en", ["rio"]),
    ("González’s", "en", ["gonzalez"]),
    ("caravan?", "en", ["caravan"]),
    ("deportations", "en", ["deport"]),
    ("deportaciones", "es", ["deport"]),
    ("deportación", "es", ["deport"]),
    ("deportaciones", "en", ["deportacion"]),
    ("佳士工人", "en", ["佳士", "士工", "工人"]),
    ("Jasic(佳士)", "en", ["jasic", "佳士"]),
    ("the", "en", []),
    ("los", "es", []),
    ("day", "en", ["day"]),  # lunr.js keeps it; lunr.py's Porter would say "dai"
    ("cry", "en", ["cri"]),
])
def test_analysis(word: str, language: str, expected: list[str]) -> None:
    assert text.analyze_text(word, language) == expected


def test_query_terms_cover_every_language() -> None:
    assert text.query_terms("Deportaciones", ["en", "es"]) == ["deportacion", "deport"]
    assert text.query_terms("caravan?", ["en"]) == ["caravan"]
    assert text.query_terms("?!", ["en", "es"]) == []


def test_stop_words_come_from_lunr_languages() -> None:
    assert "de" in text.stop_words("es") and "el" in text.stop_words("es")
    assert "esta" in text.stop_words("es")  # "está", accent-folded
    assert "the" in text.stop_words("en")


def test_plain_text_and_snippet() -> None:
    assert plain_text("A [link](http://x.org) and ![img](y.png) <b>bold</b> **strong**") == \
        "A link and img  bold  **strong**"
    assert snippet_of("", "## Head\n\nA **strong** _word_ here.") == "Head A strong word here."
    long = "word " * 200
    snippet = snippet_of("", long)
    assert snippet.endswith("…") and len(snippet) <= 281


def test_build_search_output_is_deterministic_and_hashed() -> None:
    entries = corpus(20, 100)
    first = build_search(entries, Config(), cache=False)
    second = build_search(list(reversed(entries)), Config(), cache=False)
    assert [(f.path, f.data) for f in first.files] == [(f.path, f.data) for f in second.files]
    assert dict(first.assets) == dict(second.assets)
    paths = {f.path for f in first.files}
    for name in ("lunr.js", "lunr.stemmer.support.js", "lunr.es.js", "search-core.js", "search.js", "manifest"):
        assert first.assets[name] in paths
    assert all(p.startswith("search/") for p in paths)
    assert first.assets["lunr.js"].startswith("search/lunr.") and first.assets["lunr.js"] != "search/lunr.js"
    lunr = next(f for f in first.files if f.path == first.assets["lunr.js"])
    assert b"2.3.9" in lunr.data[:400]


def _files(output: Any) -> list[tuple[str, bytes]]:
    return [(f.path, f.data) for f in output.files]


def test_cached_and_parallel_builds_equal_a_cold_build(tmp_path: Path) -> None:
    """The analysis cache, the output cache and the worker processes change nothing
    in the output: cold, unchanged, edited and edited-back builds all equal an
    uncached build of the same entries."""
    import dataclasses

    config = Config(root=tmp_path)
    entries = corpus(60, 80)
    edited = list(entries)
    edited[5] = dataclasses.replace(edited[5], body=edited[5].body + "\n\nA new paragraph, quite different.\n")
    edited[9] = dataclasses.replace(edited[9], title="Another title entirely")
    plain = _files(build_search(entries, config, cache=False))
    plain_edited = _files(build_search(edited, config, cache=False))
    assert plain != plain_edited
    assert _files(build_search(entries, config)) == plain  # cold, cache filled
    assert (tmp_path / config.paths.cache).is_dir()
    assert _files(build_search(entries, config)) == plain  # nothing changed
    assert _files(build_search(edited, config)) == plain_edited  # two entries re-analysed
    assert _files(build_search(entries, config)) == plain  # and back
    assert _files(build_search(edited[:-3], config)) == _files(build_search(edited[:-3], config, cache=False))
    # Worker processes (forced on for a small corpus) give the same bytes.
    from generator import search
    from generator.search import shards as _shards  # noqa: F401 (imported where a full build needs it)

    original = search.PARALLEL_FROM, search.shards.PARALLEL_POSTINGS
    search.PARALLEL_FROM = search.shards.PARALLEL_POSTINGS = 0
    try:
        assert _files(build_search(edited, config, cache=False, workers=2)) == plain_edited
        for name in (tmp_path / config.paths.cache).glob("search*"):
            name.unlink()
        assert _files(build_search(edited, config, workers=2)) == plain_edited
        assert _files(build_search(entries, config, workers=2)) == plain
    finally:
        search.PARALLEL_FROM, search.shards.PARALLEL_POSTINGS = original


def test_postings_written_out_in_many_passes_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shards' posting texts are made a bounded number of postings at a time (a cold build
    at 10,000 entries: 20 passes); the cut between passes changes no byte."""
    from generator.search import shards

    entries = corpus(40, 120)
    one_pass = _files(build_search(entries, Config(), cache=False))
    for per_pass in (1, 97, 1000):
        monkeypatch.setattr(shards, "POSTINGS_PER_PASS", per_pass)
        assert _files(build_search(entries, Config(), cache=False)) == one_pass, per_pass


def test_a_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    entries = corpus(10, 40)
    plain = _files(build_search(entries, config, cache=False))
    build_search(entries, config)
    for name in (tmp_path / config.paths.cache).glob("search*"):
        name.write_bytes(b"not a pickle")
    assert _files(build_search(entries, config)) == plain


def test_entry_in_unsupported_language_is_noticed() -> None:
    entry = Entry(title="Interview", language="zh", body="佳士", slug="zh", path="2019/05/zh.md")
    output = build_search([entry], Config(), cache=False)
    assert len(output.problems) == 1 and "zh" in output.problems[0].message


def test_empty_archive() -> None:
    output = build_search([], Config(), cache=False)
    assert output.assets["manifest"]


@needs_node
def test_python_and_javascript_analysis_agree(tmp_path: Path) -> None:
    strings = [
        "Ríos, González’s “Caravan?” deportation—trying days",
        "Zeledón Ángel ÁNGEL niños NIÑOS el-la los/las",
        "佳士工人 Jasic(佳士) 坪山区 hello世界 カタカナ 한국어",
        "U.S. 5,000 3.5 don’t rock'n'roll ‘quoted’ (parens) [brackets] ¿Qué? ¡Sí!",
        "tab\tnew\nline\u00a0nbsp\u2009thin\u3000ideographic-hyphen–en—em",
        "straße ŁÓDŹ Øresund façade naïve coöperate İstanbul ΟΔΟΣ",
        "caravan? ... --- *** !!! ’s 's",
        "deportaciones deportados deportar migración migraciones frontera",
        "emoji 😀 mixed😀word 𝐁𝐨𝐥𝐝 ①②③ ½",
    ]
    manifest = {
        "languages": ["en", "es"],
        "lunrLanguages": {"es": "es"},
        "stopWords": {code: sorted(text.stop_words(code)) for code in ("en", "es")},
        "pipeline": ["archive-fold", "archive-words", text.query_pipeline_name(["en", "es"])],
    }
    (tmp_path / "strings.json").write_text(json.dumps(strings), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    results = node("tokens", str(tmp_path / "strings.json"), str(tmp_path / "manifest.json"))
    for string, js in zip(strings, results):
        python_pieces = [p for w in text.split_words(string) for p in text.normalize(w)]
        assert js["pieces"] == python_pieces, string
        for code in ("en", "es"):
            assert js["byLanguage"][code] == text.analyze_text(string, code), (string, code)
        python_query = [t for w in text.split_words(string) for t in text.query_terms(w, ["en", "es"])]
        assert js["query"] == python_query, string


@needs_node
def test_english_stemmer_agrees_with_lunr_js(tmp_path: Path) -> None:
    from benchmarks.synthetic import FUNCTION_WORDS, vocabulary

    function_words = FUNCTION_WORDS.split() if isinstance(FUNCTION_WORDS, str) else list(FUNCTION_WORDS)
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    seed_words = {w for f in seeds.iterdir() for w in text.split_words(f.read_text(encoding="utf-8"))}
    porter_cases = text.split_words(
        "day days cry trying played says journey money they why spy assembly anthropology relational "
        "conditional rational valency hesitancy digitizer conformabli radicalli differentli vileli "
        "analogousli vietnamization predication operator feudalism decisiveness hopefulness "
        "callousness formality sensitivity sensibility triplicate formative formalize electriciti "
        "electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable "
        "defensible irritant replacement adjustment dependent adoption homologou communism activate "
        "angulariti homologous effective bowdlerize probate rate cease controll roll"
    )
    words = sorted(set(vocabulary()) | set(function_words) | seed_words | set(porter_cases))
    strings = [" ".join(words[i:i + 200]) for i in range(0, len(words), 200)]
    manifest = {
        "languages": ["en"], "lunrLanguages": {}, "stopWords": {"en": []},
        "pipeline": ["archive-fold", "archive-words", "archive-stem-en"],
    }
    (tmp_path / "strings.json").write_text(json.dumps(strings), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    results = node("tokens", str(tmp_path / "strings.json"), str(tmp_path / "manifest.json"))
    for string, js in zip(strings, results):
        python = [text.stemmer("en")(p) for w in text.split_words(string) for p in text.normalize(w)]
        assert js["byLanguage"]["en"] == python


QUERIES = [
    "{w0}", "{w1} {w2}", "{w0} {w1} {w2}", "+{w0} +{w1}", "+{w0} -{w1}", "-{w0}", "{w0}^10 {w1}",
    "{p0}*", "*{s0}", "{w0}~1", "{w1}~2", "title:{t0}", "body:{w0} title:{w1}",
    "deportaciones", "deportación", "niño", "Ríos", "rios", "González", "gonzalez", "佳士", "工人",
    "caravan?", "Zeledon", "zzzznotaword", "the", "u.s", "{w0} zzzznotaword", "+zzzznotaword {w0}",
]


@needs_node
def test_javascript_rounding_equals_lunr_py(tmp_path: Path) -> None:
    """The browser rounds the scores it computes as lunr.py does (round(score, 3)), ties
    and near-ties included, where JavaScript's Math.round alone would differ."""
    import random

    rng = random.Random(7)
    values = [rng.uniform(0, 60) for _ in range(20_000)] + [k / 1000 + 0.0005 for k in range(3000)]
    values += [k / 16 for k in range(1, 400)] + [0.0625, 1.0005, 2.5, 0.0015, 12.3455, 0.0]
    (tmp_path / "values.json").write_text(json.dumps(values), encoding="utf-8")
    assert node("milli", str(tmp_path / "values.json")) == [round(round(v, 3) * 1000) for v in values]


@needs_node
@pytest.mark.parametrize("length_chunk", [1024, 16])
def test_sharded_engine_matches_monolithic_lunr_index(tmp_path: Path, length_chunk: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine scores the shards' term frequencies in the browser: the same refs, scores
    and order as lunr.js with the monolithic index (whose values equal lunr.py's)."""
    from generator.search import shards

    monkeypatch.setattr(shards, "LENGTH_CHUNK", length_chunk)  # one length file, or many
    entries = corpus(150, 300)
    output = build_search(entries, Config(), cache=False)
    assert sum(f.path.startswith("search/index/l") for f in output.files) == -(-len(entries) // length_chunk)
    site = tmp_path / "site"
    for file in output.files:
        (site / file.path).parent.mkdir(parents=True, exist_ok=True)
        (site / file.path).write_bytes(file.data)
    docs, languages = search_docs(entries)
    (tmp_path / "mono.json").write_text(json.dumps(to_lunr_json(build_index(docs, languages))), encoding="utf-8")
    body_words = [w for w in text.split_words(entries[0].body) if text.analyze_text(w, "en")]
    title_word = next(w for w in text.split_words(entries[3].title) if text.analyze_text(w, "en"))
    values = {"w0": body_words[3], "w1": body_words[10], "w2": body_words[25], "t0": title_word,
              "p0": body_words[3][:3], "s0": body_words[10][-2:]}
    queries = [q.format(**values) for q in QUERIES]
    (tmp_path / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    results = node("compare", str(site / "search" / "index"), str(tmp_path / "mono.json"), str(tmp_path / "queries.json"))
    nonempty = 0
    for query in queries:
        result = results[query]
        assert isinstance(result["mono"], list), (query, result["mono"])
        assert result["sharded"] == result["mono"], query  # same refs, same scores, same order
        nonempty += bool(result["mono"])
        if "*" not in query and "~" not in query:
            assert not any(f.startswith("terms.") for f in result["files"]), query
    assert nonempty >= 20
    # A plain one-word query loads at most one index shard (and the field lengths of its documents).
    assert len([f for f in results[queries[0]]["files"] if f.startswith("s")]) <= 1


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40)
       | st.sampled_from(["u.s.", "don't", "gonzalez's", "a..b", "'s", "x'y'z", "3.14", "_a_", "a-b", "佳士工人", "ríos"]))
@settings(max_examples=400, deadline=None)
def test_words_of_ascii_tokens_equal_the_general_expression(token: str) -> None:
    assert text.words(token) == text._unicode_words(token)
