"""One redaction path for every text that leaves the process: support tickets, doctor output,
error messages, log records, reports (HTML and the executed notebook) and doctor recordings.

Why one module: each of those used to carry its own list of "secret forms", and each list missed
something another had (the ticket printed a base URL's password raw; the report's notebook kept
``secret.encode().hex()``). Here a :class:`Redactor` is built from the secret values a caller knows
(credentials, the bearer token, the ``PCNB_*`` variables) plus every value registered in this
process (:func:`register`: credentials when a client is made, tokens when fetched), and masks

- URL user-info (``http://user:PASS@host``) and query parameters whose name or value looks secret
  (``?subscription-key=KEY``, a JWT, a long mixed-case token), in any URL inside a text;
- every known secret in each form a program prints it in: raw, URL-encoded, base64 (standard and
  URL-safe, at each of the three byte alignments, so inside ``Basic base64(id:secret)`` too), hex
  (``.hex()``, ``\\x73\\x33``, ``0x73, 0x33``), a list of its bytes (``[115, 51, ...]``, also as
  pprint wraps it over lines), JSON-/Python-/HTML-escaped; each form also when it is split over
  lines (``textwrap.fill``, MIME's 76 columns, a ``<br>`` in a chart's hover text);
- optionally (``tokens=True``) live credentials whose value nobody told us: an Authorization
  header's value, a long bearer token, an OAuth answer's ``access_token``.

This module imports nothing from pcnb, so errors, logs and the transport can all use it.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"
#: shorter values are not treated as secrets (they would mask ordinary words and numbers)
MIN_SECRET = 6
#: the credential variables a process may hold (the report process masks them in every report)
SECRET_ENV = ("PCNB_API_KEY", "PCNB_CLIENT_ID", "PCNB_CLIENT_SECRET", "PCNB_MFA_TOTP_SECRET",
              "PCNB_MFA_SESSION_TOKEN")

#: variables holding a URL whose password is a secret: a team's store (postgresql://ROLE:PASSWORD@...)
SECRET_URL_ENV = ("PCNB_STORE_URL",)

#: query parameter names that carry credentials (gateways: subscription-key, sig, access_token, ...)
SECRET_PARAMS = re.compile(r"(token|secret|password|passwd|pwd|key|otp|code|auth|sig|session|credential)", re.I)

#: live credentials whose value the caller may not know: an Authorization header's value, a long
#: bearer token, an OAuth token answer's tokens
TOKEN_PATTERNS = (
    re.compile(r"""(Authorization['"]?\s*[:=]\s*['"]?(?:Basic|Bearer)\s+)[A-Za-z0-9._~+/=-]{6,}""", re.I),
    re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/-]{20,}=*"),
    re.compile(r"""((?:access|refresh|id)_token['"]?\s*[:=]\s*['"]?)[A-Za-z0-9._~+/=-]{8,}""", re.I),
)

#: what may sit between two characters of a secret printed over several lines: whitespace, an
#: escaped line break (JSON, a repr) or an HTML line break (plotly hover text)
_SPLIT = r"(?:\s|\\[nrt]|<br\s*/?>)*"
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"'`\\]+")


# ---- URLs --------------------------------------------------------------------------------------
def looks_secret(value: str) -> bool:
    """A query value that is a credential whatever its parameter's name: a JWT, or a long token
    mixing upper and lower case and digits (ids, dates and numbers do not)."""
    v = unquote_plus(value)
    if re.fullmatch(r"eyJ[\w-]{4,}\.[\w-]+\.?[\w-]*", v):
        return True
    return (len(v) >= 20 and " " not in v and bool(re.search(r"[a-z]", v)) and bool(re.search(r"[A-Z]", v))
            and bool(re.search(r"\d", v)))


def _secret_param(name: str, value: str) -> bool:
    return bool(SECRET_PARAMS.search(name)) or looks_secret(value)


def redact_url(url: str) -> str:
    """Hide credentials in user-info and in query parameters whose name or value looks secret (of
    any text: a URL that does not parse, e.g. "http://[::1/...", loses its user-info and query
    instead of raising)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/?#]*@", "//", url.split("?", 1)[0])
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, MASK if _secret_param(k, v) else v) for k, v in pairs]) if pairs else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The secrets a URL carries: its user-info password and the values of its secret query
    parameters (register them, and every form of them is masked, not only the URL)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    values = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _secret_param(k, v)]
    return [v for v in (password, *values) if v]


def redact_store_url(url: str) -> str:
    """A database URL (the team store's ``postgresql://ROLE:PASSWORD@HOST/DB``) as it may be shown:
    its password is registered (raw and URL-decoded, so a driver's message quoting either is masked
    too) and the URL loses its user-info and secret query parameters."""
    secrets = url_secrets(url)
    register(*secrets, *(unquote(s) for s in secrets))
    return redact_url(url)


def redact_urls(text: str) -> str:
    """Every URL inside ``text`` through :func:`redact_url`; URLs with nothing secret keep their spelling."""
    def one(m: re.Match[str]) -> str:
        url = m.group(0)
        parts = url.split("?", 1)
        risky = "@" in parts[0] or (len(parts) > 1 and any(
            _secret_param(k, v) for k, v in parse_qsl(parts[1].split("#", 1)[0], keep_blank_values=True)))
        return redact_url(url) if risky else url
    return _URL_IN_TEXT.sub(one, text)


# ---- the forms of a known secret ---------------------------------------------------------------
def _split_tolerant(literal: str) -> str:
    """A regex of ``literal`` that also matches it split over lines."""
    return _SPLIT.join(re.escape(ch) for ch in literal)


def _b64_cores(raw: bytes) -> set[str]:
    """The base64 characters made of the secret's bits only, at each of the 3 byte alignments,
    standard and URL-safe: found inside any longer base64 text that contains the secret."""
    out = set()
    for k in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * k + raw).decode()
            core = text[(8 * k + 5) // 6: (8 * (k + len(raw))) // 6]
            if len(core) >= 8:
                out.add(core)
    return out


def _literal_forms(value: str) -> set[str]:
    """Texts the value becomes: raw, URL-encoded (either case of %XX), escaped for JSON, a Python
    repr or HTML, and base64."""
    encoded = {quote(value, safe=""), quote_plus(value), quote(value)}
    encoded |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), e) for e in encoded}
    as_json = json.dumps(value)[1:-1]
    escaped = {as_json, json.dumps(value, ensure_ascii=False)[1:-1], as_json.replace("/", "\\/"),
               repr(value)[1:-1], repr(value.encode())[2:-1], html.escape(value), html.escape(value, quote=False)}
    whole = {enc(value.encode()).decode() for enc in (base64.b64encode, base64.urlsafe_b64encode)}
    whole |= {w.rstrip("=") for w in whole}  # the aligned encodings whole, so no edge character is left
    forms = {value, *encoded, *escaped, *whole, *_b64_cores(value.encode())}
    return {f for f in forms if len(f) >= MIN_SECRET}


def _hex_pattern(raw: bytes) -> str:
    """``.hex()`` (either case), ``\\x73\\x33``, ``73 33``, ``0x73, 0x33``: bytes as hex digits."""
    def byte(b: int) -> str:
        return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in f"{b:02x}")
    return r"(?:\\x|0x)?" + r"(?:[\s,:'\"-]|\\[nrt])*(?:\\x|0x)?".join(byte(b) for b in raw)


def _byte_list_pattern(raw: bytes) -> str:
    """``list(secret.encode())`` as Python, numpy or pprint (one per line) print it."""
    return r"(?<![\d.])" + r"(?:\s*,\s*|\s+|\\[nrt])+".join(str(b) for b in raw) + r"(?!\d)"


#: the views a text is searched in before any regex runs (a form absent from its view is skipped):
#: without line breaks; hex digits only; byte lists with one comma between numbers
_VIEWS: dict[str, tuple[re.Pattern[str], str]] = {
    "text": (re.compile(r"\s+|\\[nrt]|<br\s*/?>"), ""),
    "hex": (re.compile(r"\\x|0x|[^0-9a-fA-F]"), ""),
    "byte list": (re.compile(r"(?:\s*,\s*|\s+|\\[nrt])+"), ","),
}


def _view(kind: str, text: str) -> str:
    pattern, joiner = _VIEWS[kind]
    squeezed = pattern.sub(joiner, text)
    return squeezed.lower() if kind == "hex" else squeezed


@dataclass(frozen=True)
class _Form:
    secret: int  # which secret (its position), for a leak report that names no value
    kind: str  # the view it is probed in: text, hex, byte list
    probe: str  # what the view holds wherever the form occurs (a cheap substring test first)
    source: str  # the regex that finds (and masks) the form itself

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Compiled when first needed: most forms never occur, and a process that knows 30 secrets
        would otherwise compile hundreds of patterns each time it learns another."""
        return re.compile(self.source)


def _compile(values: list[str]) -> list[_Form]:
    forms: list[tuple[int, _Form]] = []
    for n, value in enumerate(values, start=1):
        raw = value.encode()
        for literal in _literal_forms(value):
            forms.append((len(literal), _Form(n, "text", _view("text", literal), _split_tolerant(literal))))
        forms.append((2 * len(raw), _Form(n, "hex", raw.hex(), _hex_pattern(raw))))
        forms.append((3 * len(raw), _Form(n, "byte list", ",".join(map(str, raw)), _byte_list_pattern(raw))))
    forms.sort(key=lambda f: f[0], reverse=True)  # a longer form is masked before a part of it
    return [f for _, f in forms]


def _present(forms: list[_Form], text: str) -> list[_Form]:
    """The forms whose probe is in the text's view: the only ones worth a regex (a 3 MB report
    holds plotly.js; a regex per form over it would cost seconds per secret)."""
    views: dict[str, str] = {}
    out = []
    for form in forms:
        if form.kind not in views:
            views[form.kind] = _view(form.kind, text)
        if form.probe in views[form.kind]:
            out.append(form)
    return out


def _usable(values: Iterable[str | None]) -> list[str]:
    """Distinct values long enough to be secrets; short all-digit ones (a 6-digit one-time code)
    are left out: they would mask ordinary numbers and expire in 30 s anyway."""
    out: list[str] = []
    for v in values:
        if v and len(v) >= MIN_SECRET and not (v.isdigit() and len(v) < 10) and v not in out:
            out.append(v)
    return out


class Redactor:
    """Masks URL credentials and every form of ``values`` (and of every registered secret) in texts.

    ``pairs`` (client id, secret) are masked as their ``id:secret`` too (the Basic header's form);
    ``tokens``: also mask live tokens found by shape (TOKEN_PATTERNS); ``mask``: the replacement."""

    def __init__(self, values: Iterable[str | None] = (), pairs: Iterable[tuple[str | None, str | None]] = (),
                 *, mask: str = MASK, tokens: bool = False, registered: bool = True):
        joined = [f"{a}:{b}" for a, b in pairs if a and b]
        self.values = _usable([*values, *joined, *(known() if registered else ())])
        self.mask, self.tokens = mask, tokens
        self._forms = _compile(self.values)

    def __repr__(self) -> str:
        return f"Redactor({len(self.values)} secret(s), {len(self._forms)} form(s))"

    def redact(self, text: str) -> str:
        text = redact_urls(text)
        for form in _present(self._forms, text):
            text = form.pattern.sub(self.mask, text)
        if self.tokens:
            for pattern in TOKEN_PATTERNS:
                text = pattern.sub(lambda m: m.group(1) + self.mask, text)
        return text

    def leaks(self, text: str) -> list[str]:
        """What of ``text`` is still secret, described without the value ("secret 2 as hex")."""
        found = [f"secret {f.secret} as {f.kind}" for f in _present(self._forms, text) if f.pattern.search(text)]
        if self.tokens:
            found += [m.group(0)[:12] + "..." for p in TOKEN_PATTERNS for m in p.finditer(text)
                      if not m.group(0).endswith(self.mask)]
        if redact_urls(text) != text:
            found.append("a URL with credentials")
        return list(dict.fromkeys(found))


# ---- secrets known to this process -------------------------------------------------------------
class _Known:
    """The secrets this process has seen (credentials in use, fetched tokens), newest last; bounded,
    so a long-lived kernel that connects many times does not make every error slower."""

    def __init__(self, size: int = 32):
        self._values: deque[str] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.version = 0

    def __repr__(self) -> str:
        return f"<{len(self._values)} known secret(s)>"

    def add(self, values: Iterable[str | None]) -> None:
        with self._lock:
            for v in _usable(values):
                if v in self._values:
                    continue
                self._values.append(v)
                self.version += 1

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self._values)


_KNOWN = _Known()
_CACHE: dict[str, tuple[int, Redactor]] = {}


def register(*values: str | None) -> None:
    """Remember secrets in use in this process: errors and log records are masked for them."""
    _KNOWN.add(values)


def env_url_secrets() -> list[str]:
    """The passwords in the SECRET_URL_ENV variables' URLs, as written (URL-encoded) and decoded."""
    out: list[str] = []
    for name in SECRET_URL_ENV:
        found = url_secrets(os.environ.get(name) or "")
        out += [*found, *(unquote(v) for v in found)]
    return out


def known() -> list[str]:
    """Registered secrets plus the PCNB_* credential variables of the environment (and the
    passwords of the PCNB_* URLs that carry one)."""
    return _usable([*_KNOWN.snapshot(), *(os.environ.get(v) for v in SECRET_ENV), *env_url_secrets()])


def default() -> Redactor:
    """The redactor of every known secret (cached until a new one is registered or the environment
    changes)."""
    key = "|".join(known())
    cached = _CACHE.get("default")
    if cached is None or cached[0] != hash(key):
        _CACHE["default"] = (hash(key), Redactor())
    return _CACHE["default"][1]


def redact(text: str) -> str:
    """``text`` with URL credentials and every form of every known secret masked."""
    return default().redact(text)


# ---- log records -------------------------------------------------------------------------------
class RedactingFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` (urllib3 logs each request's path and query,
    a gateway's ``?subscription-key=`` included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


#: loggers that print request lines or URLs (their records are filtered where they are made)
LOGGERS = ("pcnb", "pcnb.http", "urllib3.connectionpool", "requests_oauthlib", "authlib",
           "authlib.integrations.requests_client", "authlib.integrations.requests_client.oauth2_session")


def install_log_filter() -> None:
    """Put one RedactingFilter on each logger of LOGGERS (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
