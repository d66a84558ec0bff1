"""XML <-> dict mapping of the V2 payload shapes.

V2 XML has no namespace, an ``<OperationResponse>`` root, scalars as attributes and collections as
wrapper elements [doc]. Both directions produce/consume the same dicts as the JSON API so that
callers never care which format travelled. Attributes can only hold strings, so types are restored
from the tables in :mod:`pcnb.contract`; a null scalar is an absent attribute (and parses back as
absent, which the client treats as null).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, cast

from pcnb.contract import XML_BOOLS, XML_LISTS, XML_NUMBERS


def _scalar_to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(elem: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            _fill(ET.SubElement(elem, key), value)
        elif isinstance(value, list):
            wrapper = ET.SubElement(elem, key)
            item_name = XML_LISTS.get(key, "Item")
            for item in value:
                child = ET.SubElement(wrapper, item_name)
                if isinstance(item, dict):
                    _fill(child, item)
                elif item is not None:
                    child.text = _scalar_to_text(item)
        else:
            elem.set(key, _scalar_to_text(value))


def dumps(data: dict[str, Any], root: str = "OperationResponse") -> bytes:
    """Serialise a V2 dict as XML with the given root element."""
    elem = ET.Element(root)
    _fill(elem, data)
    return bytes(ET.tostring(elem, encoding="utf-8", xml_declaration=True))


def _typed(key: str, text: str) -> Any:
    if key in XML_BOOLS:
        return text.strip().lower() == "true"
    if key in XML_NUMBERS:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number
    return text


def _read(elem: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {k: _typed(k, v) for k, v in elem.attrib.items()}
    for child in elem:
        if child.tag in XML_LISTS:
            items: list[Any] = []
            for item in child:
                if len(item) == 0 and not item.attrib:
                    items.append(item.text or "")
                else:
                    items.append(_read(item))
            out[child.tag] = items
        else:
            out[child.tag] = _read(child)
    return out


def loads(payload: bytes | str) -> dict[str, Any]:
    """Parse V2 XML into the JSON-shaped dict (root element dropped)."""
    try:
        root = ET.fromstring(payload)
    except ET.ParseError as exc:
        raise ValueError(f"malformed XML: {exc}") from exc
    return _read(root)


def encode(body: dict[str, Any], fmt: str, xml_root: str = "Request") -> tuple[bytes, str]:
    """A request body as (bytes, Content-Type) in the wire format ``fmt`` ("json" or "xml")."""
    if fmt == "xml":
        return dumps(body, xml_root), "application/xml"
    return json.dumps(body).encode(), "application/json"


def decode(content: bytes, content_type: str | None) -> dict[str, Any]:
    """A response body as the contract's dict, whichever format travelled (empty body -> {})."""
    if not content:
        return {}
    if "xml" in (content_type or ""):
        return loads(content)
    return cast(dict[str, Any], json.loads(content))
