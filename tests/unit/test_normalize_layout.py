"""The text-anchored article layout on page dumps built in memory: headline, header, text range.

Each page is made of generic parts (menus, share bars, "most read" lists,
captions, author boxes) in varying orders; the facts are what any news page
of that shape must give, whatever the site.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from generator.config import Config
from generator.models import ARTICLE, Entry, SourceDocument, SourceKind
from generator.normalize import normalize_all
from generator.normalize.article import is_junk_title, names_in
from generator.normalize.dates import find_short_dates, parse_date
from generator.normalize.lines import classify

PARAS = [
    ("The committee met on Tuesday to discuss the budget for the coming year, and members raised several "
     "concerns about spending on roads and schools."),
    ("Residents who attended the meeting said they were worried about the cost of the new plan and asked "
     "for a public vote before any money is spent."),
    ("The mayor replied that the council would publish every figure before the final decision was taken "
     "next month, and that the vote would be open to the public."),
    ("Opposition members said the delay showed that the plan had been rushed, and that the harbour works "
     "should wait until the new budget is agreed in the spring."),
]
MENU = "\n".join(["Home", "News", "Sport", "Culture", "Opinion", "Business", "Science", "Travel"])
MOST_READ = "\n".join([
    "Most read",
    "Storm Closes Three Bridges Over the River",
    "Local Bakery Wins National Prize for Sourdough",
    "Teachers Vote to Strike Over Pay and Conditions",
])


def article(text: str) -> Entry:
    source = SourceDocument("page.txt", SourceKind.TEXT, text, "utf-8", hashlib.sha256(text.encode()).hexdigest())
    entries, _ = normalize_all([source], Config())
    return max((e for e in entries if e.kind == ARTICLE), key=lambda e: len(e.body))


def body(*paras: str) -> str:
    return "\n\n".join(paras or PARAS)


def test_headline_after_long_menu_and_most_read_list() -> None:
    page = f"""{MENU}

{MOST_READ}

Council Delays Vote on Harbour Plan

Members want more time to study the costs before any decision is taken this year.

By Maria Lopez

13 March 2019

{body()}

Share on Facebook
"""
    entry = article(page)
    assert entry.title == "Council Delays Vote on Harbour Plan"
    assert entry.authors == ("Maria Lopez",)
    assert entry.date == dt.date(2019, 3, 13)
    assert entry.body.startswith("The committee met")
    assert "Storm Closes" not in entry.body and "Share" not in entry.body


def test_name_with_role_and_published_updated_line() -> None:
    page = f"""{MENU}

Council Delays Vote on Harbour Plan

Maria Lopez Local government correspondent

Published Nov 18, 2019 at 4:07 PM | Updated at 5:36 PM on Nov 19, 2019

{body()}
"""
    entry = article(page)
    assert entry.authors == ("Maria Lopez",)
    assert entry.date == dt.date(2019, 11, 18)


def test_updated_stamp_is_not_the_publication_date() -> None:
    page = f"""Council Delays Vote on Harbour Plan

Last updated: 20 March 2019

Posted on 13 March 2019

{body()}
"""
    assert article(page).date == dt.date(2019, 3, 13)


def test_byline_and_date_on_one_line_with_separators() -> None:
    page = f"""{MENU}

Council Delays Vote on Harbour Plan

By Maria Lopez | November 18, 2019 -- 19:14 GMT | Topic: Politics

{body()}
"""
    entry = article(page)
    assert entry.authors == ("Maria Lopez",) and entry.date == dt.date(2019, 11, 18)


def test_upper_case_byline_with_two_digit_year() -> None:
    page = f"""COUNCIL DELAYS VOTE ON HARBOUR PLAN

BY MARIA LOPEZ ON 11/13/19 AT 4:00 PM EST

SHARE

{body()}
"""
    entry = article(page)
    assert [a.casefold() for a in entry.authors] == ["maria lopez"]
    assert entry.date == dt.date(2019, 11, 13)


def test_share_words_are_no_authors() -> None:
    page = f"""Council Delays Vote on Harbour Plan

Tweet This

Email Me

{body()}
"""
    assert article(page).authors == ()


def test_names_one_per_line_between_dek_and_date() -> None:
    page = f"""Council Delays Vote on Harbour Plan

Members want more time to study the costs before any decision is taken this year.

Maria Lopez
John Smith
Ann Other
13 March 2019

{body()}
"""
    entry = article(page)
    assert entry.authors == ("Maria Lopez", "John Smith", "Ann Other")


def test_kicker_above_the_headline_is_not_the_headline() -> None:
    page = f"""{MENU}

Harbour works
Council Delays Vote on Harbour Plan

13 March 2019

{body()}
"""
    assert article(page).title == "Council Delays Vote on Harbour Plan"


def test_repeated_gallery_headline_keeps_the_header_one() -> None:
    page = f"""{MENU}

Council Delays Vote on Harbour Plan

By Maria Lopez

Published 13 March 2019

A crowd outside the town hall on Tuesday evening before the meeting began
Photo: Jane Doe / Agency

Image 1 of 5

Council Delays Vote on Harbour Plan

Back to Gallery

{body()}
"""
    entry = article(page)
    assert entry.title == "Council Delays Vote on Harbour Plan"
    assert entry.authors == ("Maria Lopez",) and entry.date == dt.date(2019, 3, 13)
    assert entry.body.startswith("The committee met")
    assert "crowd outside" not in entry.body


def test_sidebar_inside_the_text_is_skipped_and_the_text_goes_on() -> None:
    page = f"""Council Delays Vote on Harbour Plan

By Maria Lopez

13 March 2019

{body(PARAS[0], PARAS[1])}

{MOST_READ}

{body(PARAS[2], PARAS[3])}

About the author

Maria Lopez writes about local government and has covered the council for ten years.
"""
    entry = article(page)
    assert entry.body.startswith("The committee met")
    assert "Opposition members" in entry.body
    assert "Storm Closes" not in entry.body and "ten years" not in entry.body


def test_list_introduced_by_a_colon_stays_in_the_text() -> None:
    page = f"""Council Delays Vote on Harbour Plan

By Maria Lopez

13 March 2019

{body(PARAS[0], PARAS[1], PARAS[2])}

The council listed the dates of the public meetings:

March 20 -- Town hall, main room
March 27 -- North library
April 3 -- Harbour office

Share this:
Facebook
"""
    entry = article(page)
    assert "April 3 -- Harbour office" in entry.body
    assert "Facebook" not in entry.body


@pytest.mark.parametrize(("line", "names"), [
    ("By Maria Lopez and John Smith", ["Maria Lopez", "John Smith"]),
    ("Von Thilo / 6. November 2023 / Keine Kommentare", ["Thilo"]),
    ("Por Ana Ruiz 27 de agosto 2019", ["Ana Ruiz"]),
    ("November 20, 2019 Maria Lopez", ["Maria Lopez"]),
    ("Maria Lopez am 24. Januar 2022 um 15:47", ["Maria Lopez"]),
    ("By Maria Lopez maria@example.com (509) 555-0100", ["Maria Lopez"]),
    ("Posted by Konstantin 21.10.2019", ["Konstantin"]),
    # Markup copied with the text is no part of a name.
    ('By <a href="/authors/maria-lopez">Maria Lopez</a>', ["Maria Lopez"]),
    ("Written by <b>Ann Lee</b> and <i>Bo Chan</i>", ["Ann Lee", "Bo Chan"]),
    ("By <img src=x onerror=alert(10)> Reporter", ["Reporter"]),
    ("Crime Published On May 10, 2022 01:52 PM", []),
    ("New York, March 3, 2020", []),
    ("SAN FRANCISCO — March 3, 2020", []),
    ("Tweet This", []),
])
def test_names_in_bylines(line: str, names: list[str]) -> None:
    assert names_in(line, loose=False)[0] == names


def test_names_in_loose_lines() -> None:
    assert names_in("Maria Lopez, John Smith", loose=True)[0] == ["Maria Lopez", "John Smith"]
    assert names_in("Maria Lopez Education editor", loose=True)[0] == ["Maria Lopez"]
    assert names_in("Maria Lopez | Senior Writer", loose=True)[0] == ["Maria Lopez"]
    assert names_in("Maria Lopez, Reporter", loose=True)[0] == ["Maria Lopez"]
    assert names_in("By Maria Lopez, Staff Writer", loose=False)[0] == ["Maria Lopez"]
    assert names_in("Share on Facebook", loose=True)[0] == []


@pytest.mark.parametrize(("text", "day"), [
    ("3 maggio 2021", dt.date(2021, 5, 3)),
    ("5 mei 2019", dt.date(2019, 5, 5)),
    ("March 3rd, 2020", dt.date(2020, 3, 3)),
    ("2020-03-03T12:00:00Z", dt.date(2020, 3, 3)),
])
def test_more_date_forms(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


def test_two_digit_years() -> None:
    assert [f.value for f in find_short_dates("on 11/13/19 at 4:00")] == [dt.date(2019, 11, 13)]
    assert [f.value for f in find_short_dates("06.11.23 - Sensation")] == [dt.date(2023, 11, 6)]
    assert find_short_dates("version 3.11.7") == []


def test_every_entry_carries_confidences() -> None:
    page = f"Council Delays Vote on Harbour Plan\n\nBy Maria Lopez\n\n13 March 2019\n\n{body()}\n"
    md = "---\ntitle: Given Title\ndate: 2020-01-02\n---\nSome *body*.\n"
    html = (f"<html><head><title>Council Delays Vote</title></head><body><article><h1>Council Delays Vote</h1>"
            f"<p>{PARAS[0]}</p><p>{PARAS[1]}</p><p>{PARAS[2]}</p></article></body></html>")
    sources = [
        SourceDocument("a.txt", SourceKind.TEXT, page, "utf-8", "a"),
        SourceDocument("b.md", SourceKind.MARKDOWN, md, "utf-8", "b"),
        SourceDocument("c.html", SourceKind.HTML, html, "utf-8", "c"),
    ]
    entries, problems = normalize_all(sources, Config())
    assert problems == [] and len(entries) == 3
    for entry in entries:
        for name in ("title", "date", "authors", "summary", "body", "publication", "language"):
            assert 0.0 <= entry.confidence[name] <= 1.0, (entry.sources[0].file, name)
    by_file = {e.sources[0].file.rsplit("/", 1)[-1]: e for e in entries}
    assert by_file["b.md"].confidence["title"] == 1.0 and by_file["b.md"].confidence["date"] == 1.0
    assert by_file["a.txt"].confidence["authors"] >= 0.6 and by_file["a.txt"].confidence["date"] >= 0.6


@pytest.mark.parametrize(("title", "junk"), [
    ("Council Delays Vote on Harbour Plan", False),
    ("Related Story About Something Else", False),
    ("1+2+3+4+5+...=-1/12", False),
    ("Par Marie Dupont le samedi 18 mai 2019 à 19h38", True),
    ("12 octobre à 17h24", True),
    ("Subscribe to our newsletter", True),
    ("Share on Facebook", True),
    ("Tweet This", True),
])
def test_junk_teaser_titles(title: str, junk: bool) -> None:
    assert is_junk_title(title) is junk


def test_first_paragraph_before_a_promo_box_is_kept() -> None:
    page = f"""Council Delays Vote on Harbour Plan

By Maria Lopez

13 March 2019

{PARAS[0]}

Also on our site
Ten Things to Do This Weekend
Photo: Jane Doe / Agency
The Best Cafés by the Harbour
Read More

{body(PARAS[1], PARAS[2], PARAS[3])}
"""
    entry = article(page)
    assert entry.body.startswith("The committee met")
    assert "Opposition members" in entry.body


FR = [
    ("Le texte a été adopté dans la nuit par une majorité de sénateurs, après des semaines de débats souvent "
     "tendus entre le gouvernement et l'opposition."),
    ("Les syndicats ont annoncé de nouvelles journées de mobilisation dans toute la France, et appellent les "
     "salariés à rejoindre les cortèges dès la semaine prochaine."),
    ("Le gouvernement estime pour sa part que la réforme est indispensable pour garantir l'équilibre du système "
     "dans les prochaines décennies."),
]
DE = [
    ("Der Bundestag hat am Donnerstag mit großer Mehrheit ein neues Gesetz beschlossen, das die Förderung von "
     "Wärmepumpen in den kommenden Jahren deutlich ausweitet."),
    ("Die Opposition kritisierte das Verfahren als überhastet und kündigte an, die Regeln nach einer möglichen "
     "Regierungsübernahme wieder zu ändern."),
    ("Verbände der Wohnungswirtschaft begrüßten dagegen die Klarheit, die das Gesetz für Eigentümer und Mieter "
     "in den nächsten Jahren schaffe."),
]


@pytest.mark.parametrize(("page", "title", "authors", "day", "first"), [
    (f"""Accueil > Politique
Partager
La réforme des retraites adoptée au Sénat

Le texte a été voté dans la nuit de samedi à dimanche par une large majorité.

Par Marie Dupont
Publié le 12 mars 2023 à 10h15 Mis à jour le 13 mars 2023 à 18h02

{chr(10).join(FR)}

Partager sur Facebook
""", "La réforme des retraites adoptée au Sénat", ("Marie Dupont",), dt.date(2023, 3, 12), "Le texte a été adopté"),
    (f"""Startseite
Politik
Wirtschaft

Bundestag beschließt neues Heizungsgesetz

Von Hans Müller und Anna Schmidt | 14.03.2023, 12:30 Uhr

{chr(10).join(DE)}

Teilen
""", "Bundestag beschließt neues Heizungsgesetz", ("Hans Müller", "Anna Schmidt"), dt.date(2023, 3, 14),
     "Der Bundestag hat"),
])
def test_pages_in_other_languages(page: str, title: str, authors: tuple[str, ...], day: dt.date,
                                  first: str) -> None:
    entry = article(page)
    assert entry.title == title
    assert entry.authors == authors
    assert entry.date == day
    assert entry.body.startswith(first)
    assert "Partager" not in entry.body and "Teilen" not in entry.body


def _layout_pages() -> list[str]:
    from pathlib import Path

    from benchmarks.synthetic import generate, page_dump

    root = Path(__file__).resolve().parents[2]
    items = generate(40)
    pages = [page_dump(item, items) for item in items]
    pages += [p.read_text("utf-8") for p in sorted((root / "seeds").glob("*.txt"))]
    return pages


def test_a_headline_never_scores_above_its_ceiling() -> None:
    """main_layout skips reading the header of a line whose ceiling cannot beat the best score:
    that is only the same layout if no score ever exceeds its ceiling."""
    from generator.normalize.article import (
        MIN_RUN_WORDS,
        _Copies,
        _merge_runs,
        _nonblank,
        _score_ceiling,
        _title_like,
        _title_score,
        dense_flags,
        read_zone,
        runs,
    )
    from generator.normalize.lines import BLANK, BYLINE, DATE, NOISE, joined_stems, split_lines
    from generator.normalize.text import mark_noise

    checked = 0
    for page in _layout_pages():
        lines, _ = mark_noise(split_lines(page), frozenset())
        dense_at = dense_flags(lines)
        found = sorted(_merge_runs(lines, runs(lines, dense_at=dense_at)), key=lambda r: -r[2])
        texts = [line.text if line.kind != BLANK else "" for line in lines]
        copies = _Copies(texts)
        for run in [r for r in found if r[2] >= MIN_RUN_WORDS][:3]:
            body_words = joined_stems(texts[run[0]:run[1]], 5, limit=6000)
            for t in [*_nonblank(lines, 0, run[0])[-45:], *_nonblank(lines, run[0], run[1])[:3]]:
                if not _title_like(lines[t]) or lines[t].kind in (NOISE, DATE, BYLINE):
                    continue
                header = read_zone(lines, t, run[0], dense_at)
                score = _title_score(lines, t, run, header, body_words, copies)
                assert score <= _score_ceiling(lines, t, body_words, copies) + 1e-9, lines[t].text
                checked += 1
    assert checked > 200


@pytest.mark.parametrize(("text", "kind", "names"), [
    ("Dolores Cruz, Kwame Novak, Miriam Novak", "name", ("Dolores Cruz", "Kwame Novak", "Miriam Novak")),
    ("Yusuf Okafor, Gabriel Wallace", "name", ("Yusuf Okafor", "Gabriel Wallace")),
    ("Ann Other and Bo Jensen", "name", ("Ann Other", "Bo Jensen")),
    ("Smith, John", "name", ("Smith, John",)),  # one name, surname first
    ("Paris, London and Berlin", "name", ("Paris, London and Berlin",)),  # one word each: not split
    ("Share this article: Facebook Twitter Email", "noise", ()),
    ("Share this story", "noise", ()),
])
def test_lines_listing_people_and_share_bars(text: str, kind: str, names: tuple[str, ...]) -> None:
    line = classify(text)
    assert (line.kind, line.names) == (kind, names)


def test_a_headline_of_share_words_alone_is_no_share_bar() -> None:
    assert classify("The Story").kind != "noise"


def test_a_long_question_under_the_headline_is_its_dek_not_the_headline() -> None:
    # Fewer of the headline's words are in the text than the dek's: still the dek, a question of
    # fifteen words, reads as a dek.
    body = " ".join(["The harbour workers said the port would stay closed while the talks went on."] * 6)
    page = ("Home News Opinion\n\nInterviews\n\nHarbour Talks Stall as Fieglock Waits\n\n"
            "Why would the harbour workers stay out while the talks with the port went on?\n\n"
            f"By Emeka Hoff\n\nApril 7, 2016\nShare this article: Facebook Twitter Email\n\n{body}\n\n{body}\n")
    entries, _ = normalize_all([SourceDocument("q.txt", SourceKind.TEXT, page, "utf-8", "q")], Config())
    assert [(e.title, e.summary[:9], e.authors) for e in entries] == [
        ("Harbour Talks Stall as Fieglock Waits", "Why would", ("Emeka Hoff",))]
