"""One generic taxonomy for tags, authors, publications and dates."""

from __future__ import annotations

import datetime as dt
import random

from sitecheck import make_entry

from generator.taxonomy import build_date_taxonomies, build_taxonomy, entry_key, sort_entries


def test_terms_hold_keys_in_archive_order() -> None:
    a = make_entry("B title", dt.date(2019, 3, 1), tags=("Migration",))
    b = make_entry("A title", dt.date(2019, 3, 1), tags=("Migration", "Borders"))
    c = make_entry("Newest", dt.date(2020, 1, 1), tags=("Migration",))
    taxonomy, problems = build_taxonomy("tags", "tag", [a, b, c], lambda e: e.tags)
    assert not problems
    terms = taxonomy.by_name()
    # date desc, then title: c (2020), b ("A title"), a ("B title")
    assert terms["Migration"].keys == (entry_key(c), entry_key(b), entry_key(a))
    assert all(isinstance(k, str) for k in terms["Migration"].keys)
    assert [t.name for t in taxonomy.terms] == ["Borders", "Migration"]
    assert terms["Borders"].slug == "borders" and terms["Borders"].count == 1


def test_names_equal_after_nfc_and_whitespace_are_one_term() -> None:
    a = make_entry("One", dt.date(2019, 1, 1), authors=("Left  Voice",))
    b = make_entry("Two", dt.date(2019, 1, 2), authors=("Left Voice", "Left Voice"))
    c = make_entry("Three", dt.date(2019, 1, 3), authors=("Jose\u0301",))
    d = make_entry("Four", dt.date(2019, 1, 4), authors=("Jos\u00e9",))
    taxonomy, _ = build_taxonomy("authors", "author", [a, b, c, d], lambda e: e.authors)
    assert {t.name: t.count for t in taxonomy.terms} == {"José": 2, "Left Voice": 2}


def test_slug_collisions_resolved_deterministically_whatever_the_input_order() -> None:
    entries = [
        make_entry("One", dt.date(2019, 1, 1), authors=("Alejandra Ríos",)),
        make_entry("Two", dt.date(2019, 1, 2), authors=("Alejandra Rios",)),
        make_entry("Three", dt.date(2019, 1, 3), authors=("ALEJANDRA RIOS",)),
    ]
    results = set()
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        taxonomy, problems = build_taxonomy("authors", "author", shuffled, lambda e: e.authors)
        results.add(tuple((t.name, t.slug) for t in taxonomy.terms))
        assert len(problems) == 2
    assert len(results) == 1
    slugs = [slug for _, slug in results.pop()]
    assert sorted(slugs) == ["alejandra-rios", "alejandra-rios-2", "alejandra-rios-3"]


def test_sort_order_date_desc_then_title_then_path_undated_last() -> None:
    undated = make_entry("Aaa", None)
    x = make_entry("Same", dt.date(2019, 1, 1), slug="same-b")
    y = make_entry("Same", dt.date(2019, 1, 1), slug="same-a")
    z = make_entry("alpha", dt.date(2019, 1, 1))
    new = make_entry("Zzz", dt.date(2020, 1, 1))
    assert sort_entries([undated, x, y, z, new]) == (new, z, y, x, undated)


def test_date_taxonomies() -> None:
    entries = [
        make_entry("A", dt.date(2019, 3, 13)), make_entry("B", dt.date(2019, 3, 1)),
        make_entry("C", dt.date(2017, 9, 5)), make_entry("D", None),
    ]
    years, months = build_date_taxonomies(entries)
    assert [(t.name, t.slug, t.count) for t in years.terms] == [("2019", "2019", 2), ("2017", "2017", 1)]
    assert [(t.name, t.slug, t.count) for t in months.terms] == [
        ("March 2019", "2019/03", 2), ("September 2017", "2017/09", 1)]
