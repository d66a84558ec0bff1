"""A pack's report: notebook 07 run in report mode into the pack's folder (``report.html``, and
``report.pdf`` when asked), on the same cache and the same instant as the pack's tables.

Why the notebook and not a second page builder: the report a manager reads beside the pack is the
one the compliance notebook shows (sentences, the table, counts, the trend across periods, whose
days, the late cases), so there is one layout to keep right. The notebook runs with ``sync=False``
(it reads the cache the tables were built from, nothing newer) and ``as_of`` at the period's last
local day, so the same command at the same as-of renders the same page.

The kernel is another process: it reaches the same store and server through the environment
(PCNB_ENVIRONMENT, PCNB_STORE_PATH or PCNB_STORE_URL, and for a sandbox its connection file).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcnb.compliance.period import end_instant, parse
from pcnb.config import NOTEBOOKS, cache_dir
from pcnb.errors import ConfigError

NOTEBOOK = NOTEBOOKS / "07_compliance.ipynb"


def write_report(ws: Any, rules_file: str | Path, label: str, folder: str | Path, pdf: bool = False) -> list[Path]:
    """Run notebook 07 for ``label`` into ``folder``/report.html (and .pdf); the files written.
    The executed notebook (report.ipynb) is left out of the pack: it repeats the page with code."""
    if not NOTEBOOK.is_file():
        raise ConfigError(f"the compliance notebook is not at {NOTEBOOK}, so the pack has no report",
                          "run from a source checkout (pip install -e .), or add --no-report")
    out = Path(folder) / "report.html"
    last_day = parse(label)[1]
    parameters = {"rules": str(Path(rules_file).resolve()), "period": label, "as_of": last_day.isoformat(),
                  "sync": False, "program": ws.program}
    from pcnb.report import run_report  # papermill and nbconvert: only when a report is written

    with _same_data(ws):
        html = run_report(NOTEBOOK, out, parameters, pdf=pdf, create_folder=False)
    html.with_suffix(".ipynb").unlink(missing_ok=True)
    if not pdf:
        return [html]
    printed = html.with_suffix(".pdf")
    _dated(printed, end_instant(last_day, ws.profile.calendar.timezone))
    return [html, printed]


#: Chromium stamps the time of printing into the PDF's information dictionary (the only bytes that
#: differ between two prints of the same page)
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def _dated(pdf: Path, instant: datetime) -> None:
    """Date the PDF by the data's as-of instead of the time of printing, and number its structure
    nodes in order (:func:`canonical_node_ids`): the same length, so the file's cross-reference offsets
    stay right, and the same pack prints byte for byte the same."""
    stamp = instant.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'").encode()
    data = pdf.read_bytes()
    fixed = canonical_node_ids(_PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (" + stamp + b")", data))
    if len(fixed) != len(data):  # another printer's date format: leave the file as it was printed
        return
    pdf.write_bytes(fixed)


#: the ids Chromium gives the tagged PDF's structure elements (table header cells, and the cells and
#: name tree that refer to them): its page nodes' ids, which depend on the order the page's scripts
#: happened to build them in (1 print in 18 differed under load, in these ids only)
_NODE_ID = re.compile(rb"node(\d{8})")


def canonical_node_ids(data: bytes) -> bytes:
    """Each structure node id replaced by its rank among the file's ids (node00000001, ...): the same
    length, the same order (the /IDTree's names stay sorted), and the same bytes whatever order the
    page built its nodes in."""
    ids = sorted(set(_NODE_ID.findall(data)), key=int)
    rank = {old: b"%08d" % k for k, old in enumerate(ids, 1)}
    return _NODE_ID.sub(lambda m: b"node" + rank[m.group(1)], data)


@contextmanager
def _same_data(ws: Any) -> Iterator[None]:
    """The kernel's environment names this workspace's store and server while the report runs."""
    settings = ws.client.settings
    values = {"PCNB_ENVIRONMENT": settings.environment}
    store_key = "PCNB_STORE_URL" if ws.store.shared else "PCNB_STORE_PATH"
    values[store_key] = str(ws.store.target)
    with tempfile.TemporaryDirectory(prefix="pcnb-pack-") as private:
        if settings.environment == "sandbox":
            values["PCNB_SANDBOX_CONNECTION"] = _sandbox_connection(ws, Path(private))
        saved = {k: os.environ.get(k) for k in (*values, "PCNB_STORE_URL", "PCNB_STORE_PATH")}
        os.environ.pop("PCNB_STORE_URL" if store_key == "PCNB_STORE_PATH" else "PCNB_STORE_PATH", None)
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _sandbox_connection(ws: Any, private: Path) -> str:
    """The sandbox this workspace talks to, as a connection file the kernel can open: an embedded
    one writes its own (into a private folder, 0600); a running one has its file already."""
    if ws.sandbox_handle is not None:
        return str(ws.sandbox_handle.write_connection(private / "sandbox.json"))
    named = os.environ.get("PCNB_SANDBOX_CONNECTION") or str(cache_dir() / "sandbox.json")
    if not Path(named).is_file():
        raise ConfigError("the pack's report cannot reach this sandbox (no connection file)",
                          "start it with `pcnb sandbox`, or add --no-report")
    return named


__all__ = ["NOTEBOOK", "write_report"]
