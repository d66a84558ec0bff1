"""Execute a notebook with parameters and export a self-contained, secret-free HTML report.

Order of defences: parameters that look like secrets are refused before execution, and the others
are checked against the notebook's own ``parameters`` cell (unknown names and unparseable dates are
refused before a kernel starts); the notebook executes in a private (0700) temporary folder, so a
run that fails half-way leaves nothing unscrubbed on disk; after execution, widget state and
metadata are stripped and secret values masked; finally the .ipynb and HTML texts are scanned for
every known secret value (PCNB_* environment values, sandbox credentials) and nothing is written if
one is found. A failed run's notebook is written only once it has passed the same scrub and scan.
"""

from __future__ import annotations

import ast
import base64
import difflib
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterable
from datetime import date, datetime
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


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """Names and default values of the notebook's ``parameters`` cell (papermill's own reading of it)."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    defaults: dict[str, Any] = {}
    for name, info in declared.items():
        try:
            defaults[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            defaults[name] = None  # an expression: no type to check against
    return defaults


def _is_date_name(name: str) -> bool:
    return name == "as_of" or name.endswith(("_date", "_at"))


def _coerce(name: str, value: Any, default: Any) -> Any:
    """A CLI value (text) as the type of the notebook's default; dates must be real ISO dates."""
    if _is_date_name(name) and isinstance(value, str) and value:
        try:
            (datetime if "T" in value or " " in value else date).fromisoformat(value)
        except ValueError as exc:
            raise ReportError(f"parameter {name} = {value!r} is not a valid ISO date or date-time ({exc})",
                              f"write it as yyyy-mm-dd (e.g. -p {name} 2025-03-31) or yyyy-mm-ddTHH:MM") from None
        return value
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    if isinstance(default, bool):
        if value.lower() not in ("true", "false"):
            raise ReportError(f"parameter {name} = {value!r} must be true or false", f"-p {name} true")
        return value.lower() == "true"
    kind: type = type(default)
    if kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            raise ReportError(f"parameter {name} = {value!r} must be a number ({kind.__name__})",
                              f"-p {name} {default}") from None
    return value


def check_parameters(parameters: dict[str, Any], declared: dict[str, Any] | None = None) -> dict[str, Any]:
    """Refuse secret-looking names, and names or values the notebook's parameters cell does not accept.

    Returns the parameters converted to the types of the notebook's defaults (the CLI passes text).
    """
    for name in parameters:
        if SECRET_NAME.search(name):
            raise ReportError(f"parameter {name!r} looks like a secret and would be saved in the report",
                              "put credentials in PCNB_* environment variables or the keyring, not parameters")
    if declared is None:
        return dict(parameters)
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            raise ReportError(f"the notebook has no parameter {name!r}"
                              + (f" (did you mean {close[0]!r}?)" if close else ""),
                              f"its parameters are: {', '.join(declared) or 'none'}")
        checked[name] = _coerce(name, value, declared[name])
    return checked


#: live credentials whose value the report process cannot know (tokens fetched inside the kernel):
#: an Authorization header's value, a long bearer token, an OAuth token response's tokens
TOKEN_PATTERNS = (
    re.compile(r"""(Authorization['"]?\s*[:=]\s*['"]?(?:Basic|Bearer)\s+)[A-Za-z0-9._~+/=-]{6,}""", re.I),
    re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/-]{20,}=*"),
    re.compile(r"""((?:access|refresh|id)_token['"]?\s*[:=]\s*['"]?)[A-Za-z0-9._~+/=-]{8,}""", re.I),
)


def secret_forms(values: Iterable[str]) -> list[str]:
    """Every form a secret takes in logs: raw, URL-encoded, and base64 at each of the 3 byte
    alignments (so it is found inside a longer encoded text such as ``Basic b64(id:secret)``);
    longest first, so a longer form is masked before a part of it."""
    forms: set[str] = set()
    for value in values:
        forms.update({value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value),
                      urllib.parse.quote(value)})
        raw = value.encode()
        for k in range(3):
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                text = encode(b"\0" * k + raw).decode()
                core = text[(8 * k + 5) // 6: (8 * (k + len(raw))) // 6]  # chars made of the secret's bits only
                if len(core) >= 8:
                    forms.add(core)
    return sorted((f for f in forms if len(f) >= 6), key=len, reverse=True)


def _mask(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, "***")
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def leaks(text: str, forms: list[str]) -> list[str]:
    """What of a text is still secret: any form of a known secret, any live token."""
    found = [f for f in forms if f in text]
    return found + [m.group(0)[:12] + "..." for p in TOKEN_PATTERNS for m in p.finditer(text)
                    if not m.group(0).endswith("***")]


def scrub(nb: nbformat.NotebookNode, secrets: Iterable[str]) -> nbformat.NotebookNode:
    """Remove widget state/outputs and mask secrets (every form, see secret_forms) and live tokens
    anywhere in cell sources, text outputs and error outputs (message and traceback)."""
    nb.metadata.pop("widgets", None)
    forms = secret_forms(secrets)
    for cell in nb.cells:
        cell.metadata.pop("widgets", None)
        cell.source = _mask(cell.source, forms)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(rf"^(\s*\w*{SECRET_NAME.pattern}\w*\s*=\s*).*$", r"\1'***'", cell.source,
                                 flags=re.M | re.I)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            data.pop(WIDGET_MIME, None)
            for key, text in list(data.items()):
                if isinstance(text, str):
                    data[key] = _mask(text, forms)
            if isinstance(out.get("text"), str):
                out["text"] = _mask(out["text"], forms)
            if isinstance(out.get("evalue"), str):
                out["evalue"] = _mask(out["evalue"], forms)
            if isinstance(out.get("traceback"), list):
                out["traceback"] = [_mask(line, forms) if isinstance(line, str) else line for line in out["traceback"]]
    return nb


def run_report(notebook: str | Path, output: str | Path | None = None, parameters: dict[str, Any] | None = None,
               secrets: Iterable[str] = (), timeout: int = 600, with_code: bool = False) -> Path:
    """Execute ``notebook`` with papermill, scrub it, and write ``output`` (.html) beside its .ipynb.

    The HTML is a report (pcnb.reportview: no code, title block and summary first, readable tables)
    unless ``with_code``; the executed .ipynb keeps the code either way."""
    import papermill

    from pcnb import reportview

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError(f"notebook {notebook} does not exist", "pass a path like notebooks/01_getting_started.ipynb")
    parameters = check_parameters(parameters or {}, declared_parameters(notebook))
    output = Path(output or Path("reports") / notebook.with_suffix(".html").name)
    executed = output.with_suffix(".ipynb")
    if executed.resolve() == notebook.resolve():
        raise ReportError(f"the executed notebook would overwrite {notebook} itself",
                          "write the report into another folder (-o reports/NAME.html)")
    values = known_secrets(secrets)
    private = Path(tempfile.mkdtemp(prefix="pcnb-report-"))  # mkdtemp: 0700, this user only
    try:
        raw, source = private / notebook.name, private / f"input-{notebook.name}"
        prepared = nbformat.read(notebook, as_version=4)
        nbformat.write(prepared if with_code else reportview.prepare(prepared), source)
        failure: ReportError | None = None
        try:
            papermill.execute_notebook(str(source), str(raw), parameters=parameters, kernel_name="python3",
                                       cwd=str(notebook.parent), progress_bar=False, execution_timeout=timeout,
                                       kernel_manager_class=_ipc_kernel_manager(private))
        except papermill.PapermillExecutionError as exc:
            cell = exc.exec_count - (0 if with_code else 1)  # report mode ran one setup cell first
            failure = ReportError(f"{notebook.name} failed in cell {cell}: {exc.ename}: "
                                  f"{_mask(str(exc.evalue), secret_forms(values))}",
                                  f"open {executed} to see the traceback")
        except Exception as exc:  # the kernel did not start or died: no notebook to show, its log says why
            log = (private / "kernel.log").read_text(errors="replace") if (private / "kernel.log").exists() else ""
            log = _mask(log, secret_forms(values))
            raise ReportError(f"{notebook.name} could not run: {type(exc).__name__}: {exc}",
                              "the kernel's last words: " + (log.strip().splitlines() or ["(none)"])[-1]
                              + "; check that ipykernel is installed in this environment") from None
        nb = scrub(nbformat.read(raw, as_version=4), values)
        nb.cells = [c for c in nb.cells if reportview.SETUP_TAG not in c.metadata.get("tags", [])]
        text = nbformat.writes(nb)
        html = "" if failure else reportview.render(nbformat.reads(text, as_version=4), with_code)
        forms = secret_forms(values)
        leaked = leaks(html, forms) + leaks(text, forms)
        if leaked:
            raise ReportError(f"{len(leaked)} secret value(s) would be saved in the report; nothing was written")
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed)
        if failure:
            raise failure
        output.write_text(html, encoding="utf-8")
        return output
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _ipc_kernel_manager(folder: Path) -> type:
    """A kernel manager whose kernel listens on IPC sockets in ``folder`` and logs there.

    Over TCP ipykernel warns "Kernel is running over TCP without encryption" on every run; IPC
    sockets in a private folder are both quiet and closed to other local users. The kernel
    process's own log (start-up warnings, the interrupt it may report while shutting down) goes to
    ``folder/kernel.log`` instead of the user's terminal; a failed run's error quotes it.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = str(folder / "kernel")

        async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
            log = open(folder / "kernel.log", "ab")  # the kernel process holds it; closed when it exits
            kw.setdefault("stderr", log)
            kw.setdefault("stdout", log)
            return await super()._async_pre_start_kernel(**kw)

    return IPCKernelManager
