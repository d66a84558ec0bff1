"""Execute a notebook with parameters and export a self-contained, secret-free HTML report.

Order of defences: parameters that look like secrets are refused before execution, and the others
are checked against the notebook's own ``parameters`` cell (unknown names and unparseable dates are
refused before a kernel starts); so is every output file (pcnb.reportout: .html/.pdf, no symlink, an
existing folder, nothing overwritten but a previous report); the notebook executes in a private
(0700) temporary folder, so a run that fails half-way leaves nothing unscrubbed on disk; after
execution, widget state is stripped and every string of the notebook masked (pcnb.redact: each form
of every known secret -- PCNB_* environment values, sandbox credentials -- and live tokens);
finally the notebook (each string, parsed) and the HTML are scanned again and nothing is written if
anything is found. A failed run's notebook is written only once it has passed the same scrub and
scan. Files are written 0600 unless the caller asks for another mode.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import nbformat

from pcnb import reportout
from pcnb.bidi import visible_data
from pcnb.redact import SECRET_ENV, Redactor, env_url_secrets
from pcnb.reportout import ReportError as ReportError  # re-exported: callers catch it from here

SECRET_NAME = re.compile(r"(secret|token|password|passwd|api_?key|otp|totp|credential)", re.I)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def known_secrets(extra: Iterable[str] = ()) -> list[str]:
    """What the notebook's kernel can read and print: the PCNB_* credential variables, the team
    store's database password (PCNB_STORE_URL), the demo credentials (and control token) of a running
    sandbox's connection file, and ``extra``."""
    values = [os.environ.get(v) for v in SECRET_ENV] + env_url_secrets() + _sandbox_secrets() + list(extra)
    return [v for v in values if v and len(v) >= 6]


def _sandbox_secrets() -> list[str]:
    """The credentials in the sandbox connection file a notebook would connect with (if any)."""
    import json

    from pcnb.config import cache_dir

    path = os.environ.get("PCNB_SANDBOX_CONNECTION") or str(cache_dir() / "sandbox.json")
    try:
        info = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(info, dict):
        return []
    users = info.get("users")
    found = [v for u in (users.values() if isinstance(users, dict) else ()) if isinstance(u, dict)
             for v in u.values() if isinstance(v, str)]
    return found + ([info["control_token"]] if isinstance(info.get("control_token"), str) else [])


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


def redactor(secrets: Iterable[str]) -> Redactor:
    """The report's redactor: every known secret in each form pcnb.redact knows, and live tokens
    (fetched inside the kernel, so unknown to this process) by their shape."""
    return Redactor(secrets, tokens=True)


def _masked(value: Any, mask: Redactor) -> Any:
    """Every string of a notebook value (dicts and lists too: JSON and plotly outputs) masked."""
    if isinstance(value, str):
        return mask.redact(value)
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, mask) for k, v in value.items()}
    return value


def strings(value: Any) -> Iterable[str]:
    """Every string of a notebook value, keys included (what the leak scan reads)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)


def leaks(nb: nbformat.NotebookNode, page: str, mask: Redactor) -> list[str]:
    """What of the notebook (each string, parsed: a split line is whole there) and of the page is still secret."""
    found = [leak for text in strings(nb) for leak in mask.leaks(text)] + mask.leaks(page)
    return list(dict.fromkeys(found))


def scrub(nb: nbformat.NotebookNode, secrets: Iterable[str]) -> nbformat.NotebookNode:
    """Remove widget state/outputs and mask secrets (every form pcnb.redact knows) and live tokens
    in every string of the notebook: sources, outputs of any MIME type (JSON and plotly data
    included), error messages, tracebacks and metadata (papermill's parameters)."""
    nb.metadata.pop("widgets", None)
    mask = redactor(secrets)
    for cell in nb.cells:
        cell.metadata.pop("widgets", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(rf"^(\s*\w*{SECRET_NAME.pattern}\w*\s*=\s*).*$", r"\1'***'", cell.source,
                                 flags=re.M | re.I)
        if "outputs" in cell:  # a widget's output (a progress bar) means nothing on paper, nor its text fallback
            cell.outputs = [out for out in cell.outputs if WIDGET_MIME not in out.get("data", {})]
    clean: nbformat.NotebookNode = nbformat.from_dict(_masked(nb, mask))
    return clean


def run_report(notebook: str | Path, output: str | Path | None = None, parameters: dict[str, Any] | None = None,
               secrets: Iterable[str] = (), timeout: int = 600, with_code: bool = False, *,
               create_folder: bool = True, pdf: bool = False, mode: int = reportout.DEFAULT_MODE) -> Path:
    """Execute ``notebook`` with papermill, scrub it, and write ``output`` (.html) beside its .ipynb.

    The HTML is a report (pcnb.reportview: no code, title block and summary first, readable tables)
    unless ``with_code``; the executed .ipynb keeps the code either way. Every file is checked
    before the notebook runs (pcnb.reportout: .html/.pdf, no symlink, an existing folder unless
    ``create_folder``, nothing overwritten but a previous report) and written with ``mode``
    (default 0600). ``pdf`` (or an ``output`` ending in .pdf): also print the HTML to PDF."""
    import papermill

    from pcnb import reportview

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError(f"notebook {notebook} does not exist", "pass a path like notebooks/01_getting_started.ipynb")
    parameters = check_parameters(parameters or {}, declared_parameters(notebook))
    target = reportout.plan(output or Path("reports") / notebook.with_suffix(".html").name, notebook,
                            create_folder=create_folder, pdf=pdf, mode=mode)
    values = known_secrets(secrets)
    mask = redactor(values)
    private = Path(tempfile.mkdtemp(prefix="pcnb-report-"))  # mkdtemp: 0700, this user only
    written = False
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
                                  f"{mask.redact(str(exc.evalue))}", f"open {target.executed} to see the traceback")
        except Exception as exc:  # the kernel did not start or died: no notebook to show, its log says why
            log = (private / "kernel.log").read_text(errors="replace") if (private / "kernel.log").exists() else ""
            raise ReportError(f"{notebook.name} could not run: {type(exc).__name__}: {mask.redact(str(exc))}",
                              "the kernel's last words: " + (mask.redact(log).strip().splitlines() or ["(none)"])[-1]
                              + "; check that ipykernel is installed in this environment") from None
        nb = scrub(nbformat.read(raw, as_version=4), values)
        nb.cells = [c for c in nb.cells if reportview.SETUP_TAG not in c.metadata.get("tags", [])]
        for cell in nb.cells:  # what the program named (statuses, choices...) shows its bidi controls
            if cell.get("outputs"):
                cell.outputs = nbformat.from_dict(visible_data(list(cell.outputs)))
        nb.metadata[reportout.NOTEBOOK_KEY] = {"report": notebook.name}  # a later run may replace this file
        text = nbformat.writes(nb)
        html = "" if failure else mask.redact(reportview.render(nbformat.reads(text, as_version=4), with_code))
        leaked = leaks(nbformat.reads(text, as_version=4), html, mask)
        if leaked:
            raise ReportError(f"{len(leaked)} secret form(s) would be saved in the report ({', '.join(leaked[:3])}); "
                              "nothing was written", "print less of the credentials in the notebook")
        reportout.write(target.executed, text, target.mode)
        written = True
        if failure:
            raise failure
        reportout.write(target.html, html, target.mode)
        if target.pdf is not None:
            _print_pdf(target, private)
        return target.html
    finally:
        shutil.rmtree(private, ignore_errors=True)
        if not written:
            target.discard()


def _print_pdf(target: reportout.Target, private: Path) -> None:
    """Chromium prints into the private folder; the PDF is then written like the HTML (mode, no link)."""
    from pcnb.reportview import to_pdf

    assert target.pdf is not None
    try:
        printed = to_pdf(target.html, private / "report.pdf")
    except (RuntimeError, OSError) as exc:
        raise ReportError(f"the HTML report is written ({target.html}); the PDF is not: {exc}",
                          "install Chromium (apt-get install chromium) or set PCNB_CHROMIUM") from None
    reportout.write(target.pdf, printed.read_bytes(), target.mode)


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
