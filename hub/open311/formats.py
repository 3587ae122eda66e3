"""Open311 wire formats: JSON arrays, or XML with the spec's root/item element names, UTF-8 everywhere.
Errors are the spec's list of ``{code, description}`` with the same HTTP status."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

FORMATS = ("json", "xml")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def w3(value: datetime | None) -> str | None:
    """W3C date-time with an explicit offset, as the spec requires (UTC, 'Z')."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_w3(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "+"))  # '+' arrives as a space if unescaped
    except ValueError:
        raise Open311Error(400, f"{what} must be a W3C date-time, e.g. 2024-06-03T09:00:00+08:00") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{what} needs a time zone (Z or +08:00)")
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def _xml(items: list[dict[str, Any]], root: str, item: str) -> bytes:
    top = ET.Element(root)
    for entry in items:
        element = ET.SubElement(top, item)
        for key, value in entry.items():
            child = ET.SubElement(element, key)
            if isinstance(value, list) and value and isinstance(value[0], dict):  # nested lists (attributes)
                for nested in value:
                    inner = ET.SubElement(child, key.rstrip("s"))
                    for k, v in nested.items():
                        ET.SubElement(inner, k).text = None if v is None else _text(v)
            elif value is not None:
                child.text = _text(value)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def render(items: list[dict[str, Any]], fmt: str, root: str, item: str, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(items, root, item), status_code=status, media_type="text/xml; charset=utf-8")
    body = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json; charset=utf-8")


def render_one(entry: dict[str, Any], fmt: str, root: str) -> Response:
    """A single object (a service definition): JSON object, XML with ``root`` as the element."""
    if fmt == "xml":
        xml = _xml([entry], "_", root)
        # unwrap the helper root: <_><root>...</root></_> -> <root>...</root>
        tree = ET.fromstring(xml)
        return Response(ET.tostring(tree[0], encoding="utf-8", xml_declaration=True),
                        media_type="text/xml; charset=utf-8")
    return Response(json.dumps(entry, ensure_ascii=False).encode("utf-8"),
                    media_type="application/json; charset=utf-8")


def error(status: int, description: str, fmt: str = "json") -> Response:
    return render([{"code": status, "description": description}], fmt if fmt in FORMATS else "json",
                  "errors", "error", status=status)
