"""Settings resolution: explicit arguments > ``PCNB_*`` environment > ``[tool.pcnb]`` > defaults.

The notebook front end's own options (``MAGIC_OPTIONS``: display_limit, default_environment,
progress, short_errors) layer the same way, with ``%config PowerClerkMagic.<name>`` as the explicit
argument: %config > ``PCNB_<NAME>`` > ``[tool.pcnb] <name>`` > default. A %config line is typed in
the notebook at hand, so it is the most specific choice; the environment is the machine's; the
pyproject is the team's.

Environments: ``sandbox`` (the embedded server; URLs come from its connection), ``trial`` and
``production`` (documented hosts), or ``custom`` (explicit URLs). Secrets are never settings: they
live in pcnb.api.auth.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from pcnb import redact
from pcnb.contract import ENVIRONMENTS, MAX_PAGE_LIMIT, RATE_LIMIT_PER_MINUTE
from pcnb.errors import ConfigError

ENV_NAMES = ("sandbox", "trial", "production", "custom")


#: the prebuilt notebooks of a source checkout (pip install -e .): `pcnb demo` and a compliance pack's
#: report run them
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def cache_dir() -> Path:
    return Path(os.environ.get("PCNB_CACHE_DIR") or platformdirs.user_cache_dir("pcnb"))


def data_dir() -> Path:
    return Path(os.environ.get("PCNB_DATA_DIR") or platformdirs.user_data_dir("pcnb"))


@dataclass
class Settings:
    environment: str = "sandbox"
    base_url: str | None = None
    token_url: str | None = None
    program: str | None = None
    rate_limit: int = RATE_LIMIT_PER_MINUTE  # operations per rate_period on this key
    rate_period: float = 60.0
    timeout: float = 30.0
    format: str = "json"
    timezone: str | None = None  # the program's IANA zone, if you know it better than the inference
    store_path: str | None = None
    #: team mode (issue #28): a shared PostgreSQL store, postgresql://ROLE:PASSWORD@HOST:PORT/DATABASE
    #: (PCNB_STORE_URL or [tool.pcnb] store_url); unset, the store is this user's SQLite file
    store_url: str | None = field(default=None, repr=False)
    #: contract facts a real server may answer differently (README: "First contact"): the token path
    #: and API prefix are token_url / base_url above; these are the rest, one setting away
    page_limit: int = MAX_PAGE_LIMIT  # GetProjects' largest `limit`; sync asks for pages this big
    changed_since_format: str | None = None  # strftime pattern; None: the documented yyyy-MM-ddTHH:mm:sszzz
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr}
        shown.update({k: redact.redact_url(shown[k]) for k in ("base_url", "token_url") if shown[k]})
        if self.store_url:
            shown["store_url"] = redact.redact_store_url(self.store_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def __post_init__(self) -> None:
        if self.environment not in ENV_NAMES:
            raise ConfigError(f"unknown environment {self.environment!r}",
                              f"use one of {', '.join(ENV_NAMES)}")
        if self.format not in ("json", "xml"):
            raise ConfigError(f"unknown format {self.format!r}", "use json or xml")
        if self.environment in ENVIRONMENTS:
            self.base_url = self.base_url or ENVIRONMENTS[self.environment]["base_url"]
            self.token_url = self.token_url or ENVIRONMENTS[self.environment]["token_url"]
        # a gateway's password (user-info) or key (query) in a URL: masked, in every form, wherever pcnb writes
        redact.register(*redact.url_secrets(self.base_url or ""), *redact.url_secrets(self.token_url or ""))
        if self.store_url:
            shown = redact.redact_store_url(self.store_url)  # registers its password for every redaction
            if not self.store_url.startswith(("postgresql://", "postgres://")):
                raise ConfigError(f"store_url {shown!r} is not a PostgreSQL URL",
                                  "write it as postgresql://HOST:PORT/DATABASE with ROLE:PASSWORD@ in front of the "
                                  "host, or unset it to keep this user's SQLite file (store_path)")
        if self.page_limit < 1:
            raise ConfigError(f"page_limit={self.page_limit} must be at least 1", "the documented maximum is 1000")
        if self.rate_limit < 1 or self.rate_period <= 0:
            raise ConfigError("rate_limit must be >= 1 operation per positive period")
        if self.timezone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"timezone {self.timezone!r} is not an IANA time zone",
                                  "e.g. America/New_York (PCNB_TIMEZONE or [tool.pcnb] timezone)") from None


def _pyproject(start: Path) -> dict[str, Any]:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                section: dict[str, Any] = tomllib.loads(candidate.read_text()).get("tool", {}).get("pcnb", {})
                return section
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{candidate} is not valid TOML: {exc}") from exc
    return {}


def load_settings(cwd: Path | None = None, **explicit: Any) -> Settings:
    """Resolve every Settings field and record where each value came from."""
    names = {f.name: f.type for f in fields(Settings) if f.name != "sources"}
    project = _pyproject(cwd or Path.cwd())
    unknown = set(project) - set(names) - set(MAGIC_OPTIONS)
    if unknown:
        raise ConfigError(f"[tool.pcnb] has unknown key(s) {sorted(unknown)}",
                          f"known: {sorted([*names, *MAGIC_OPTIONS])}")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in names:
        env = os.environ.get(f"PCNB_{name.upper()}")
        if explicit.get(name) is not None:
            values[name], sources[name] = explicit[name], "argument"
        elif env is not None:
            values[name], sources[name] = env, f"PCNB_{name.upper()}"
        elif name in project:
            values[name], sources[name] = project[name], "[tool.pcnb]"
    for key in ("rate_limit", "page_limit"):
        if key in values:
            values[key] = _number(key, values[key], int)
    for key in ("rate_period", "timeout"):
        if key in values:
            values[key] = _number(key, values[key], float)
    return Settings(**values, sources=sources)


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}={value!r} is not a number", f"set {name} to e.g. 60") from exc


#: the magic's options: name -> (default, help). Resolved by ``magic_option``.
MAGIC_OPTIONS: dict[str, tuple[Any, str]] = {
    "display_limit": (0, "rows of a frame shown by a %powerclerk command (the value keeps every row; 0: polars' "
                         "own limit, 10)"),
    "default_environment": ("sandbox", "environment of a bare `%powerclerk connect`: sandbox or trial "
                                       "(production is never a default: it is a live system)"),
    "progress": (True, "progress bars on long commands (sync, write-back)"),
    "short_errors": (True, "one-line errors with the fix; False shows the full traceback (as --debug does)"),
}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def check_magic_option(name: str, value: Any, where: str) -> Any:
    """``value`` converted to the option's type, or a ConfigError saying what is allowed."""
    default = MAGIC_OPTIONS[name][0]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ConfigError(f"{where}={value!r} is not a yes/no value", f"use True or False ({'/'.join(_TRUE + _FALSE)})")
    if name == "display_limit":
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or number < 0:
            raise ConfigError(f"{where}={value!r} is not a number of rows",
                              "use a whole number such as 20 (0: no limit)")
        return number
    if value not in ("sandbox", "trial"):
        why = " (never a default: it is a live system; name it: connect --env production)" \
            if value == "production" else ""
        raise ConfigError(f"{where}={value!r} is not a default environment{why}", "use 'sandbox' or 'trial'")
    return value


def magic_options(cwd: Path | None = None, names: Iterable[str] | None = None) -> dict[str, tuple[Any, str]]:
    """name -> (value, source) of every magic option from PCNB_<NAME>, then [tool.pcnb], then the
    default (a %config value, when set, is the magic's and wins before this is asked). The
    pyproject is read once for all of them: this runs on every %powerclerk line."""
    project: dict[str, Any] | None = None
    out: dict[str, tuple[Any, str]] = {}
    wanted = set(MAGIC_OPTIONS if names is None else names)  # only those: a %config value wins unchecked
    for name, (default, _) in MAGIC_OPTIONS.items():
        if name not in wanted:
            continue
        env = f"PCNB_{name.upper()}"
        if os.environ.get(env) is not None:
            out[name] = check_magic_option(name, os.environ[env], env), env
            continue
        project = _pyproject(cwd or Path.cwd()) if project is None else project
        if name in project:
            out[name] = check_magic_option(name, project[name], f"[tool.pcnb] {name}"), "[tool.pcnb]"
        else:
            out[name] = default, "default"
    return out
