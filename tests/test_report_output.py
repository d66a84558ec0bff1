"""Issue #25, item 3: ``pcnb report -o`` writes only where it should, checked before the notebook runs
(the notebook here leaves a marker file when it runs), and writes user-only files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pcnb.cli import main
from tests.conftest import parameters_notebook


@pytest.fixture
def notebook(tmp_path) -> tuple[Path, Path]:
    marker, src = tmp_path / "ran", tmp_path / "src"
    src.mkdir()
    nb = parameters_notebook(src / "r.ipynb", f"open({str(marker)!r}, 'a').write('x')\nprint('hello report')")
    return nb, marker


def _report(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _refused(capsys, notebook, output: str, message: str) -> str:
    nb, marker = notebook
    runs = marker.read_text() if marker.exists() else ""
    code, out, err = _report(capsys, str(nb), "-o", output)
    assert code == 1 and out == "", (out, err)
    assert err.startswith("pcnb report: ") and message in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 2 and "\n  fix: " in err  # what was wrong, then how to fix it
    assert (marker.read_text() if marker.exists() else "") == runs  # refused before the notebook ran
    return err


def test_a_folder_that_does_not_exist_is_refused_before_the_notebook_runs(notebook, capsys, tmp_path):
    _refused(capsys, notebook, "/proc/nope/y.html", "the folder '/proc/nope' does not exist")
    _refused(capsys, notebook, str(tmp_path / "missing" / "y.html"), "does not exist")
    assert not (tmp_path / "missing").exists()


def test_only_html_or_pdf_and_never_over_a_file_that_is_not_a_report(notebook, capsys, tmp_path):
    notes, script, page = tmp_path / "notes.txt", tmp_path / "evil.sh", tmp_path / "page.html"
    notes.write_text("my notes")
    script.write_text("#!/bin/sh\necho hi\n")
    page.write_text("<html><body>my own page</body></html>")
    _refused(capsys, notebook, str(notes), "a report is written as .html or .pdf, not 'notes.txt'")
    _refused(capsys, notebook, str(script), "not 'evil.sh'")
    _refused(capsys, notebook, str(page), f"{page} exists and is not a previous pcnb report")
    mine = tmp_path / "own.ipynb"  # the notebook the report would write beside own.html
    mine.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    _refused(capsys, notebook, str(tmp_path / "own.html"), f"{mine} exists and is not a previous pcnb report")
    assert notes.read_text() == "my notes" and script.read_text().endswith("echo hi\n")
    assert "my own page" in page.read_text() and mine.read_text().startswith('{"cells": []')


def test_a_symlink_is_never_followed(notebook, capsys, tmp_path):
    victim = tmp_path / "victim.html"
    victim.write_text("precious")
    linkdir = tmp_path / "linkdir"
    linkdir.mkdir()
    (linkdir / "r.html").symlink_to(victim)
    _refused(capsys, notebook, str(linkdir / "r.html"), "is a symbolic link")
    (linkdir / "s.ipynb").symlink_to(victim)  # the executed notebook beside s.html would go through it
    _refused(capsys, notebook, str(linkdir / "s.html"), f"{linkdir / 's.ipynb'} is a symbolic link")
    assert victim.read_text() == "precious"


def test_reports_are_user_only_replace_a_previous_report_and_take_a_mode(notebook, capsys, tmp_path):
    nb, marker = notebook
    out = tmp_path / "out"
    out.mkdir()
    code, printed, err = _report(capsys, str(nb), "-o", str(out / "r.html"), "--with-code")
    assert code == 0 and printed.strip() == str(out / "r.html"), err
    for path in (out / "r.html", out / "r.ipynb"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "hello report" in (out / "r.html").read_text()
    os.chmod(out / "r.html", 0o644)  # a previous report (whatever its mode) is replaced, and made 0644 as asked
    code, printed, err = _report(capsys, str(nb), "-o", str(out / "r.html"), "--mode", "644")
    assert code == 0, err
    for path in (out / "r.html", out / "r.ipynb"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert marker.read_text() == "xx"
    _refused(capsys, notebook, str(out / "q.htmlx"), "not 'q.htmlx'")
    code, _, err = _report(capsys, str(nb), "-o", str(out / "r.html"), "--mode", "rw")
    assert code == 1 and "--mode 'rw' is not an octal file mode" in err and marker.read_text() == "xx"
    code, _, err = _report(capsys, str(nb), "-o", str(out / "r.html"), "--mode", "400")
    assert code == 1 and "--mode 400 would not let you read and write your own report" in err
    assert marker.read_text() == "xx"


def test_a_pdf_output_is_printed_beside_its_html_user_only(notebook, capsys, tmp_path):
    import shutil

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    nb, _ = notebook
    code, printed, err = _report(capsys, str(nb), "-o", str(tmp_path / "r.pdf"))
    assert code == 0 and printed.split() == [str(tmp_path / "r.html"), str(tmp_path / "r.pdf")], err
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    for name in ("r.html", "r.ipynb", "r.pdf"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    code, _, err = _report(capsys, str(nb), "-o", str(tmp_path / "r.html"), "--pdf")  # a previous PDF: replaced
    assert code == 0, err
    (tmp_path / "other.pdf").write_bytes(b"%PDF-1.4 someone else's")
    _refused(capsys, notebook, str(tmp_path / "other.pdf"), "other.pdf exists and is not a previous pcnb report")
