"""The forms a secret takes when a program prints it, written out independently of pcnb.redact (a
scan that reused the product's own list would miss what the product misses), and a scan of any
artefact's text for them."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

#: '/', '+', '=' change the URL-encoded and base64 forms; '"' and '\\' the JSON-escaped one
SECRET = 's3cr3t/Zq9+Xw"V8' + '\\tY7uR6=='
API_KEY = "apikey-" + "77aa88bb99cc"
PASSWORD = "gw-" + "Pa55word-9f8e7d"  # a gateway's password in a URL's user-info
SUB_KEY = "subkey" + "0123456789abcdef"  # a gateway's ?subscription-key=
DB_PASSWORD = "db:P@ss/" + "w0rd%7e-team"  # the team store's database password (URL-encoded in its URL)


def _b64_inner(value: str) -> set[str]:
    """base64 text made of the value's bits only, at each byte alignment (as inside a longer text)."""
    out = set()
    for pad in (b"", b"x", b"xy"):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(pad + value.encode()).decode()
            start = -(-len(pad) * 8 // 6)  # the first character without a bit of the padding
            out.add(text[start: (len(pad) + len(value)) * 8 // 6])
    return {t for t in out if len(t) >= 8}


def forms(value: str) -> dict[str, str]:
    """name -> form, for the forms a plain substring test finds."""
    raw = value.encode()
    found = {"raw": value, "url-encoded": quote(value, safe=""), "url-encoded plus": quote_plus(value),
             "json-escaped": json.dumps(value)[1:-1], "hex": raw.hex(), "HEX": raw.hex().upper(),
             "byte list": ", ".join(map(str, raw))}
    found.update({f"base64 {i}": b for i, b in enumerate(sorted(_b64_inner(value)))})
    return found


def squeezed(text: str) -> str:
    """The text without line breaks: a value printed over several lines is whole here."""
    return re.sub(r"\s+|\\[nrt]|<br\s*/?>", "", text)


def found_in(text: str, values: list[str]) -> list[str]:
    """Every form of every value still in ``text`` (named, never shown), as printed or joined again."""
    hits = []
    flat, numbers = squeezed(text), re.sub(r"(?:\s*,\s*|\s+|\\n)+", ",", text)
    for n, value in enumerate(values):
        for name, form in forms(value).items():
            if form in text or squeezed(form) in flat:
                hits.append(f"value {n} as {name}")
        if ",".join(map(str, value.encode())) in numbers:
            hits.append(f"value {n} as a byte list over lines")
    return hits
