"""Test helpers for the rendered site: sample entries, writing a RenderResult
to disk, and a link checker that resolves every internal href/src/#anchor.

Importable from any test because tests/ (conftest.py's directory) is on
sys.path under pytest's default import mode.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html

from generator.models import TEASER, Entry, OutputFile, SourceRef
from generator.urls import content_path_for, slugify

# The facts of https://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd, restated.
SITEMAP_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" elementFormDefault="qualified">
  <xsd:element name="urlset"><xsd:complexType><xsd:sequence>
    <xsd:element name="url" type="tUrl" maxOccurs="50000"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:complexType name="tUrl"><xsd:sequence>
    <xsd:element name="loc" type="tLoc"/>
    <xsd:element name="lastmod" type="tLastmod" minOccurs="0"/>
    <xsd:element name="changefreq" type="tChangeFreq" minOccurs="0"/>
    <xsd:element name="priority" type="tPriority" minOccurs="0"/>
  </xsd:sequence></xsd:complexType>
  <xsd:simpleType name="tLoc"><xsd:restriction base="xsd:anyURI">
    <xsd:minLength value="12"/><xsd:maxLength value="2048"/></xsd:restriction></xsd:simpleType>
  <xsd:simpleType name="tLastmod"><xsd:union memberTypes="xsd:date xsd:dateTime"/></xsd:simpleType>
  <xsd:simpleType name="tChangeFreq"><xsd:restriction base="xsd:string">
    <xsd:enumeration value="always"/><xsd:enumeration value="hourly"/><xsd:enumeration value="daily"/>
    <xsd:enumeration value="weekly"/><xsd:enumeration value="monthly"/><xsd:enumeration value="yearly"/>
    <xsd:enumeration value="never"/></xsd:restriction></xsd:simpleType>
  <xsd:simpleType name="tPriority"><xsd:restriction base="xsd:decimal">
    <xsd:minInclusive value="0.0"/><xsd:maxInclusive value="1.0"/></xsd:restriction></xsd:simpleType>
</xsd:schema>"""


def make_entry(title: str, date: dt.date | None, **fields: object) -> Entry:
    """An entry as the content store would hand it over (slug and path set)."""
    draft = Entry(title=title, date=date, **fields)  # type: ignore[arg-type]
    slug = str(fields.pop("slug", "")) or slugify(title)
    return Entry(title=title, date=date, slug=slug, path=content_path_for(draft, slug), **fields)  # type: ignore[arg-type]


def sample_entries() -> list[Entry]:
    """A small archive touching every feature: teasers, undated, CJK, clashes, hostile text."""
    return [
        make_entry(
            "The Caravan that Defies Borders", dt.date(2018, 11, 2),
            authors=("Elena Zeledon",), publication="Left Voice", tags=("Borders", "Migration"),
            summary="A caravan of thousands crosses Central America.",
            body="# A heading\n\nSome **text**.[^1]\n\n## Next part\n\nMore text, <script>alert(1)</script>.\n\n"
                 "[bad](javascript:alert(1)) [good](https://example.com/)\n\n[^1]: A footnote.",
            sources=(SourceRef("seeds/002.txt", (3, 40)),), translator="Oscar Fernandez",
            original_publication="La Izquierda Diario", image_credit="John Moore / Getty Images", language="en",
            url="https://www.leftvoice.org/caravan",
        ),
        make_entry(
            "Trump Cancels DACA", dt.date(2017, 9, 5), kind=TEASER,
            authors=("Robert Belano", "Shreya Mahajan"), publication="Left Voice", tags=("Migration",),
            summary="A teaser summary.", url="https://www.leftvoice.org/daca",
            sources=(SourceRef("seeds/001.txt", (10, 12)),),
        ),
        make_entry(
            "UK Protest: Shut Down </script><img src=x onerror=alert(1)> Deportation Center!", dt.date(2016, 12, 3),
            kind=TEASER, authors=("Alejandra Ríos",), tags=("Deportations", "Migration"),
            summary="Say \"no\" & <b>mean</b> it",
        ),
        make_entry("Another by Rios", dt.date(2016, 12, 3), authors=("Alejandra Rios",), body="Short body."),
        make_entry("An undated note", None, body="Hello world, undated."),
        make_entry("中文 访谈", dt.date(2018, 7, 1), language="zh", body="佳士 工人 的 斗争。", tags=("China",)),
        *[
            make_entry(f"Migration story {n:02d}", dt.date(2015, 1 + n % 12, 1 + n), tags=("Migration",),
                       authors=("Elena Zeledon",), body="Word " * 50)
            for n in range(12)
        ],
    ]


def write_files(files: Iterable[OutputFile], out: Path) -> Path:
    """Write rendered files under `out` (a test stand-in for write.py)."""
    for output in files:
        target = out / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.data)
    return out


@dataclass(frozen=True)
class Broken:
    page: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.target} ({self.reason})"


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        tree = lxml.html.fromstring(path.read_bytes())
        cache[path] = {str(e.get("id")) for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
        cache[path] |= {str(e.get("name")) for e in tree.iter("a") if e.get("name")}
    return cache[path]


def check_links(site: Path, base_url: str = "", skip: Sequence[str] = ()) -> tuple[int, list[Broken]]:
    """Resolve every internal link of every HTML page; returns (links checked, broken ones).

    Directory links resolve to their index.html; links starting with
    `base_url` (404.html uses them) are treated as internal.
    """
    checked = 0
    broken: list[Broken] = []
    ids: dict[Path, set[str]] = {}
    for page in html_pages(site):
        rel_page = page.relative_to(site).as_posix()
        if rel_page in skip:
            continue
        tree = lxml.html.fromstring(page.read_bytes())
        targets: list[str] = []
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in ("href", "src", "action"):
                value = element.get(attribute)
                if value is not None:
                    targets.append(value)
        for target in targets:
            if base_url and target.startswith(base_url):
                resolved_root = True
                target_path = target[len(base_url):]
            else:
                resolved_root = False
                target_path = target
            parts = urlsplit(target_path)
            if parts.scheme or parts.netloc:
                continue  # external
            checked += 1
            if resolved_root:
                path = posixpath.normpath("/" + unquote(parts.path)) if parts.path else "/"
            elif parts.path:
                path = posixpath.normpath(posixpath.join("/" + posixpath.dirname(rel_page), unquote(parts.path)))
                if parts.path.endswith("/"):
                    path += "/"
            else:
                path = "/" + rel_page
            if path.startswith("/.."):
                broken.append(Broken(rel_page, target, "leaves the site"))
                continue
            file = site / path.lstrip("/")
            if path.endswith("/") or file.is_dir():
                file = file / "index.html"
            if not file.is_file():
                broken.append(Broken(rel_page, target, "no such file"))
                continue
            if parts.fragment and file.suffix == ".html" and unquote(parts.fragment) not in _ids(file, ids):
                broken.append(Broken(rel_page, target, "no such anchor"))
    return checked, broken
