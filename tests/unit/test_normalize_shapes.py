"""One test per page shape and per bad input, on pages built in memory."""

from __future__ import annotations

import datetime as dt
import hashlib

from generator.config import Config, NormalizeConfig
from generator.models import SourceDocument, SourceHints, SourceKind
from generator.normalize import normalize_all
from generator.normalize.dates import parse_date

P1 = ("The committee met on Tuesday to discuss the budget for the coming year, and members "
      "raised several concerns about spending.")
P2 = ("Residents who attended the meeting said they were worried about the cost of the new plan "
      "and asked for a public vote.")
P3 = ("The mayor replied that the council would publish every figure before the final decision "
      "was taken next month.")


def doc(text: str, path: str = "page.txt", kind: SourceKind = SourceKind.TEXT) -> SourceDocument:
    return SourceDocument(path, kind, text, "utf-8", hashlib.sha256(text.encode()).hexdigest())


def run(*docs: SourceDocument, config: Config | None = None):  # type: ignore[no-untyped-def]
    return normalize_all(docs, config or Config())


ARTICLE = f"""Home  News  Sport
Facebook Twitter Share

Council Delays Vote on Harbour Plan

A short dek that explains why the vote was delayed by the council this week.

By Maria Lopez and John Smith

March 13, 2019

{P1}

{P2}

What Happens Next

{P3}

Share on Facebook

Related Story About Something Else

A teaser summary for another story that should never be part of the body text here.

Ann Other

January 2, 2019
"""


def test_single_article_with_sidebar_teaser() -> None:
    entries, problems = run(doc(ARTICLE))
    assert problems == []
    article = next(e for e in entries if e.kind == "article")
    assert article.title == "Council Delays Vote on Harbour Plan"
    assert article.authors == ("Maria Lopez", "John Smith")
    assert article.date == dt.date(2019, 3, 13)
    assert article.summary.startswith("A short dek")
    assert article.body.startswith("The committee met")
    assert "## What Happens Next" in article.body
    assert "teaser summary" not in article.body
    assert "Share" not in article.body
    teaser = next(e for e in entries if e.kind == "teaser")
    assert teaser.title == "Related Story About Something Else"
    assert teaser.authors == ("Ann Other",) and teaser.date == dt.date(2019, 1, 2)
    assert article.sources[0].file == "seeds/page.txt"
    assert article.confidence["title"] > 0


def test_listing_of_teasers() -> None:
    records = "\n\n".join(
        f"Story Number {n} About the Harbour\n\nMay 0{n}, 2020 | A summary of story {n} that was cut off (...)\n\nWriter {chr(64 + n)}ey"
        for n in range(1, 5)
    )
    entries, _ = run(doc(records))
    assert [e.kind for e in entries] == ["teaser"] * 4
    assert entries[0].date == dt.date(2020, 5, 1)
    assert all(not e.summary.endswith("(...)") and e.summary for e in entries)


def test_multi_post_page_splits_and_keeps_headings() -> None:
    long = " ".join([P1, P2, P3])
    text = f"""Category Archives: Local

First Post About the Harbour

by Maria Lopez

{long}

{long}

Costs and Benefits

{long}

Second Post About Schools

by John Smith

{long}

{long}

{long}
"""
    entries, _ = run(doc(text))
    assert [e.title for e in entries] == ["First Post About the Harbour", "Second Post About Schools"]
    assert "## Costs and Benefits" in entries[0].body
    assert all("Local" in e.tags for e in entries)


def test_teaser_and_full_text_merge() -> None:
    listing = "Council Delays Vote on Harbour Plan\n\nMarch 13, 2019 | A short dek (...)\n\nMaria Lopez\n\n\n" \
              "Another Story Title Here\n\nMarch 12, 2019 | Another summary of a story.\n\nJohn Smith\n"
    entries, _ = run(doc(ARTICLE, "a.txt"), doc(listing, "b.txt"))
    merged = [e for e in entries if e.title == "Council Delays Vote on Harbour Plan"]
    assert len(merged) == 1
    assert merged[0].kind == "article"
    assert {r.file for r in merged[0].sources} == {"seeds/a.txt", "seeds/b.txt"}


def test_hints_win() -> None:
    config = Config(sources={"page.txt": SourceHints(publication="The Paper", tags=("Local",), language="es")},
                    normalize=NormalizeConfig(vocabulary={"Budget": ("budget",)}))
    entries, _ = run(doc(ARTICLE), config=config)
    article = next(e for e in entries if e.kind == "article")
    assert article.publication == "The Paper" and article.language == "es"
    assert "Local" in article.tags and "Budget" in article.tags


def test_no_article_is_a_warning() -> None:
    entries, problems = run(doc("Home\nAbout\nContact\n"))
    assert entries == []
    assert len(problems) == 1 and problems[0].severity.value == "warning"
    assert "page.txt" in problems[0].path


def test_invalid_front_matter_names_the_file() -> None:
    entries, problems = run(doc("---\ntitle: [unclosed\n---\nbody\n", "x.md", SourceKind.MARKDOWN))
    assert entries == [] and problems and problems[0].path == "seeds/x.md"


def test_markdown_with_front_matter_is_taken_as_given() -> None:
    text = "---\ntitle: Given Title\ndate: 2020-01-02\nauthors: [A B]\n---\nSome *body*.\n"
    entries, problems = run(doc(text, "x.md", SourceKind.MARKDOWN))
    assert problems == []
    assert entries[0].title == "Given Title" and entries[0].date == dt.date(2020, 1, 2)
    assert entries[0].body == "Some *body*.\n"


def test_html_page() -> None:
    html = f"""<html><head><title>Council Delays Vote</title>
<meta name="author" content="Maria Lopez"><meta property="article:published_time" content="2019-03-13">
</head><body><nav>Home News</nav><article><h1>Council Delays Vote</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p>
</article><footer>Copyright</footer></body></html>"""
    entries, problems = run(doc(html, "p.html", SourceKind.HTML))
    assert problems == []
    assert entries[0].title == "Council Delays Vote"
    assert "The committee met" in entries[0].body


def test_broken_paragraph_is_joined_and_glued_list_split() -> None:
    text = f"""A Headline for the Repair Test

By Maria Lopez

{P1} The plan was approved with a

narrow majority of the members present.

{P2}

*  First item of the list, Reuters, June 1, 2018*  Second item of the list, AP, June 2, 2018

{P3}
"""
    entries, _ = run(doc(text))
    body = entries[0].body
    assert "approved with a narrow majority" in body
    assert "- First item of the list" in body and "- Second item of the list" in body


def test_dates_in_five_languages() -> None:
    assert parse_date("March 13, 2019") == dt.date(2019, 3, 13)
    assert parse_date("2 February 2018") == dt.date(2018, 2, 2)
    assert parse_date("13 de marzo de 2019") == dt.date(2019, 3, 13)
    assert parse_date("le 18 février 2020") == dt.date(2020, 2, 18)
    assert parse_date("13. März 2019") == dt.date(2019, 3, 13)
    assert parse_date("5 de setembro de 2017") == dt.date(2017, 9, 5)
    assert parse_date("2018-10-26") == dt.date(2018, 10, 26)
    assert parse_date("no date here") is None


SIDEBAR_WITH_NAME_LISTS = f"""Council Delays Vote on Harbour Plan

A short dek that explains why the vote was delayed by the council this week.

By Maria Lopez

March 13, 2019
Share this article: Facebook Twitter Email

{P1}

{P2}

{P3}

Related articles

Harbour Workers Strike Again

A summary of the other story, which the dump shows under its headline.

Ann Other, Bo Jensen

January 2, 2019


Climate Strike Draws Thousands

A second summary, for a headline in title case that reads like a name.

Cy Young, Di Prince, Ed Norton

January 3, 2019
"""


def test_sidebar_teasers_with_listed_authors_and_a_name_like_headline() -> None:
    entries, problems = run(doc(SIDEBAR_WITH_NAME_LISTS))
    assert problems == []
    assert [(e.kind, e.title, e.authors) for e in entries] == [
        ("article", "Council Delays Vote on Harbour Plan", ("Maria Lopez",)),
        ("teaser", "Harbour Workers Strike Again", ("Ann Other", "Bo Jensen")),
        ("teaser", "Climate Strike Draws Thousands", ("Cy Young", "Di Prince", "Ed Norton")),
    ]
    assert entries[2].summary.startswith("A second summary")
    assert "Share" not in entries[0].body


def test_authors_one_per_line_in_a_listing_stay_authors() -> None:
    listing = "\n\n\n".join(
        f"Story Number {n} About the Harbour\n\nMay 0{n}, 2020 | A summary of story {n} that was cut off (...)"
        f"\n\nAnn Other\nBo Jensen" for n in range(1, 4))
    entries, _ = run(doc(listing))
    assert [e.authors for e in entries] == [("Ann Other", "Bo Jensen")] * 3
