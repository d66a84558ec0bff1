"""Where ``pcnb report`` may write, checked before a notebook runs, and how it writes there.

Why before: a report can take minutes to execute; a path that cannot be written (a folder that does
not exist, ``/proc/...``) used to fail only afterwards, with a traceback. Why so strict: ``-o``
used to follow a symlink onto the file it pointed to, and overwrote ``notes.txt`` or an existing
script with HTML. So a target is refused unless it ends in .html or .pdf, is no symlink, and is
either new or a previous pcnb report (the HTML's generator mark, the executed notebook's ``pcnb``
metadata, a PDF beside a pcnb HTML report). Files are written user-only (0600) unless asked
otherwise: a report shows a program's projects, and its notebook the code that read them.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat

from pcnb.errors import PowerClerkError

SUFFIXES = (".html", ".pdf")
#: in the head of every report (pcnb.reportview.render); an existing file with it may be replaced
GENERATOR = '<meta name="generator" content="pcnb report">'
#: what reports written before the generator mark carry (reportprint.PRINT_ALL_ROWS)
LEGACY_MARK = 'window.addEventListener("beforeprint", all);'
NOTEBOOK_KEY = "pcnb"  # executed notebooks: metadata.pcnb.report = the source notebook's name
DEFAULT_MODE = 0o600


class ReportError(PowerClerkError):
    """A report could not be produced safely."""


@dataclass(frozen=True)
class Target:
    """The files one report run writes: the HTML, the executed notebook beside it, maybe a PDF."""

    html: Path
    executed: Path
    pdf: Path | None
    mode: int
    created: tuple[Path, ...] = ()  # folders made for it, innermost first (removed again if nothing is written)

    def discard(self) -> None:
        """A run that writes nothing leaves no folder behind either."""
        for folder in self.created:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or gone): leave it and its parents


def parse_mode(text: str) -> int:
    """``--mode 644`` -> 0o644; a one-line error for anything that is not an octal file mode."""
    hint = "write three octal digits, e.g. --mode 600 (you only) or --mode 644 (readable by all)"
    if not re.fullmatch(r"0?o?[0-7]{3}", text.strip()):
        raise ReportError(f"--mode {text!r} is not an octal file mode", hint)
    mode = int(text.strip()[-3:], 8)
    if mode & 0o600 != 0o600:
        raise ReportError(f"--mode {text.strip()} would not let you read and write your own report", hint)
    return mode


def _is_report_html(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("utf-8", "replace")
    if GENERATOR in head:
        return True
    with open(path, "rb") as fh:  # reports before the mark: ~3 MB; a bigger file is not one
        return LEGACY_MARK in fh.read(16 * 2**20).decode("utf-8", "replace")


def _is_report_notebook(path: Path) -> bool:
    try:
        meta = nbformat.read(path, as_version=4).metadata
    except Exception:  # noqa: BLE001 - anything unreadable as a notebook is not ours
        return False
    if isinstance(meta.get(NOTEBOOK_KEY), dict) and meta[NOTEBOOK_KEY].get("report"):
        return True
    # written before the mark: papermill executed it in run_report's private folder
    return "pcnb-report-" in str((meta.get("papermill") or {}).get("output_path", ""))


def _is_report_pdf(path: Path, html: Path) -> bool:
    with open(path, "rb") as fh:
        magic = fh.read(5)
    return magic == b"%PDF-" and html.is_file() and not html.is_symlink() and _is_report_html(html)


def _check_file(path: Path, kind: str, target: Target) -> None:
    if path.is_symlink():
        raise ReportError(f"{path} is a symbolic link; pcnb report does not write through links",
                          "pass the real path (-o /where/it/points.html) or remove the link")
    if not path.exists():
        return
    if not stat.S_ISREG(path.stat().st_mode):
        raise ReportError(f"{path} exists and is not a file", "choose another name with -o NAME.html")
    try:
        ours = (_is_report_html(path) if kind == "html" else _is_report_notebook(path) if kind == "notebook"
                else _is_report_pdf(path, target.html))
    except OSError as exc:
        raise ReportError(f"cannot read {path} to check it is a previous report ({exc.strerror})",
                          "choose another name with -o NAME.html") from None
    if not ours:
        raise ReportError(f"{path} exists and is not a previous pcnb report; it is left as it is",
                          "choose another name with -o NAME.html, or move that file away first")


def plan(output: str | Path, notebook: Path, *, create_folder: bool = False, pdf: bool = False,
         mode: int = DEFAULT_MODE) -> Target:
    """Check every file of a report run before anything runs; ``create_folder``: make a missing
    folder (the default ``reports/``) instead of refusing it. ``output`` may name the PDF (then the
    HTML is written beside it, as with ``pdf=True``)."""
    out = Path(output)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"a report is written as .html or .pdf, not {out.name!r}",
                          f"-o {out.with_suffix('.html')} (add --pdf, or name a .pdf, for a PDF too)")
    html, executed = out.with_suffix(".html"), out.with_suffix(".ipynb")
    if executed.resolve() == notebook.resolve():
        raise ReportError(f"the executed notebook would overwrite {notebook} itself",
                          "write the report into another folder (-o reports/NAME.html)")
    folder = out.parent
    created: list[Path] = []
    if not folder.is_dir():
        if folder.exists() or not create_folder:
            raise ReportError(f"cannot write {out}: the folder {str(folder)!r} does not exist",
                              "create it first, or pass a path in an existing folder")
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:  # made now, so a folder that cannot be made is found before the notebook runs
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"cannot create the folder {folder} for {out.name}: {exc.strerror}",
                              "pass -o a path in a folder you can write") from None
        created = missing
    target = Target(html, executed, out if suffix == ".pdf" else (out.with_suffix(".pdf") if pdf else None),
                    mode, tuple(created))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ReportError(f"cannot write into {folder}: permission denied", "pass -o a path in a folder you can write")
    try:
        for path, kind in ((target.html, "html"), (target.executed, "notebook"), (target.pdf, "pdf")):
            if path is not None:
                _check_file(path, kind, target)
    except ReportError:
        target.discard()
        raise
    return target


def write(path: Path, data: str | bytes, mode: int) -> Path:
    """Write ``data`` to ``path`` with ``mode`` (also when it existed with another), never through a
    symlink (O_NOFOLLOW: a link made after the check is refused too)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}",
                          "pass -o a new path in a folder you can write") from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), mode)
        fh.write(raw)
    return path
