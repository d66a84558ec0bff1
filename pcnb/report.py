"""Execute a notebook with parameters and export a self-contained, secret-free HTML report.

Order of defences: parameters that look like secrets are refused before execution; after
execution, widget state and metadata are stripped and secret-looking values in the injected
parameter cell are masked; finally the .ipynb and HTML texts are scanned for every known secret
value (PCNB_* environment values, sandbox credentials) and nothing is written if one is found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from pcnb.errors import PowerClerkError

SECRET_NAME = re.compile(r"(secret|token|password|passwd|api_?key|otp|totp|credential)", re.I)
SECRET_ENV = ("PCNB_API_KEY", "PCNB_CLIENT_ID", "PCNB_CLIENT_SECRET", "PCNB_MFA_TOTP_SECRET", "PCNB_MFA_SESSION_TOKEN")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class ReportError(PowerClerkError):
    """A report could not be produced safely."""


def known_secrets(extra: Iterable[str] = ()) -> list[str]:
    values = [os.environ.get(v) for v in SECRET_ENV] + list(extra)
    return [v for v in values if v and len(v) >= 6]


def check_parameters(parameters: dict[str, Any]) -> None:
    for name in parameters:
        if SECRET_NAME.search(name):
            raise ReportError(f"parameter {name!r} looks like a secret and would be saved in the report",
                              "put credentials in PCNB_* environment variables or the keyring, not parameters")


def scrub(nb: nbformat.NotebookNode, secrets: Iterable[str]) -> nbformat.NotebookNode:
    """Remove widget state/outputs and mask secrets anywhere in cell sources and text outputs."""
    nb.metadata.pop("widgets", None)
    values = list(secrets)
    for cell in nb.cells:
        cell.metadata.pop("widgets", None)
        for value in values:
            cell.source = cell.source.replace(value, "***")
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(rf"^(\s*\w*{SECRET_NAME.pattern}\w*\s*=\s*).*$", r"\1'***'", cell.source,
                                 flags=re.M | re.I)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            data.pop(WIDGET_MIME, None)
            for key, text in list(data.items()) + ([("text", out["text"])] if "text" in out else []):
                if isinstance(text, str) and any(v in text for v in values):
                    for value in values:
                        text = text.replace(value, "***")
                    if key == "text":
                        out["text"] = text
                    else:
                        data[key] = text
    return nb


def run_report(notebook: str | Path, output: str | Path | None = None, parameters: dict[str, Any] | None = None,
               secrets: Iterable[str] = (), timeout: int = 600) -> Path:
    """Execute ``notebook`` with papermill, scrub it, and write ``output`` (.html) beside its .ipynb."""
    import papermill
    from nbconvert import HTMLExporter

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError(f"notebook {notebook} does not exist", "pass a path like notebooks/01_getting_started.ipynb")
    parameters = parameters or {}
    check_parameters(parameters)
    output = Path(output or Path("reports") / notebook.with_suffix(".html").name)
    output.parent.mkdir(parents=True, exist_ok=True)
    executed = output.with_suffix(".ipynb")
    try:
        papermill.execute_notebook(str(notebook), str(executed), parameters=parameters, kernel_name="python3",
                                   cwd=str(notebook.parent), progress_bar=False, execution_timeout=timeout)
    except papermill.PapermillExecutionError as exc:
        raise ReportError(f"{notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                          f"open {executed} to see the traceback") from None
    values = known_secrets(secrets)
    nb = scrub(nbformat.read(executed, as_version=4), values)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    text = nbformat.writes(nb)
    leaked = [v for v in values if v in html or v in text]
    if leaked:
        executed.unlink(missing_ok=True)
        raise ReportError(f"{len(leaked)} secret value(s) would be saved in the report; nothing was written")
    nbformat.write(nb, executed)
    output.write_text(html, encoding="utf-8")
    return output
