"""OPML import and export of feed lists (parsing with defusedxml, writing with ElementTree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException

from bot.errors import UserInputError


def parse_opml(data: bytes) -> list[tuple[str, str]]:
    """(url, title) of every feed outline, in document order, each URL once.

    Raises UserInputError for documents that are not OPML or use entities/DTDs.
    """
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UserInputError(f"OPML refused: {exc}") from exc
    except ET.ParseError as exc:
        raise UserInputError(f"not a valid OPML file: {exc}") from exc
    if root.tag.lower() != "opml":
        raise UserInputError(f"not an OPML file: the root element is <{root.tag}>")
    feeds: list[tuple[str, str]] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip()
        feeds.append((url, title))
    return feeds


def write_opml(feeds: Sequence[tuple[str, str]], title: str) -> str:
    """An OPML 2.0 document listing ``feeds`` as (url, title) pairs."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for url, feed_title in feeds:
        name = feed_title or url
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
