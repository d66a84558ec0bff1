"""A pack's report (pcnb.compliance.pack_report): notebook 07 run on the pack's data into its folder,
reproduced byte for byte (HTML and PDF), saying what its tables say."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
import yaml

from pcnb.commands import CommandError, Session, parse, run
from pcnb.compliance.pack_report import _dated
from pcnb.reportview import stable_ids
from tests.compliance.test_pack import RULES, _quarter


def test_random_element_ids_are_numbered_and_data_left_alone():
    chart, grid = "3beda1c7-eba3-48d8-b5ec-6ac561a7c05e", "pcnb_0123456789ab"
    datum = "0ad76b97-600c-4188-aa30-82d918c1a386"
    page = (f'<div class="plotly-graph-div" id="{chart}"></div><script>Plotly.newPlot("{chart}")</script>'
            f'<table id="{grid}"></table><style>#{grid} td {{}}</style><td>{datum}</td>')
    fixed = stable_ids(page)
    assert chart not in fixed and grid not in fixed and datum in fixed  # a UUID in a cell is data
    assert fixed.count("pcnb-id-1") == 2 and fixed.count("pcnb-id-2") == 2


def test_a_pdf_is_dated_by_the_data_not_the_printing(tmp_path):
    pdf = tmp_path / "r.pdf"
    body = b"%PDF-1.4\n1 0 obj <</CreationDate (D:20261206131506+00'00')\n/ModDate (D:20261206131506+00'00')>>\n"
    pdf.write_bytes(body)
    _dated(pdf, datetime(2025, 10, 1, 6, 59, 59, tzinfo=UTC))
    out = pdf.read_bytes()
    assert out.count(b"D:20251001065959+00'00'") == 2 and b"2026" not in out and len(out) == len(body)


def test_structure_node_ids_are_numbered_by_rank_whatever_order_the_page_built_them_in():
    """Two prints of one pack's page differed only in these ids (1 in 18 under load): the order the
    page's scripts built its nodes in. Numbered by rank, both prints are the same bytes, the same length,
    and the ids keep their order (the name tree of ids stays sorted)."""
    from pcnb.compliance.pack_report import canonical_node_ids

    first = (b"/S /TH /ID (node00000005)>> /S /TH /ID (node00000112)>> /S /TD /Headers [(node00000005)]"
             b" /IDTree <</Names [(node00000005) 94 0 R (node00000112) 96 0 R]>>")
    second = first.replace(b"node00000005", b"node00000004").replace(b"node00000112", b"node00000110")
    assert first != second and canonical_node_ids(first) == canonical_node_ids(second)
    out = canonical_node_ids(first)
    assert len(out) == len(first) and out.count(b"node00000001") == 3 and out.count(b"node00000002") == 2
    assert out.index(b"(node00000001) 94") < out.index(b"(node00000002) 96")  # sorted as before


def test_report_flags_need_a_pack(ws, tmp_path):
    s = Session()
    s.workspace = ws
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(RULES), encoding="utf-8")
    for flag in ("--pdf", "--no-report"):
        with pytest.raises(CommandError, match=f"{flag} is about the pack's report"):
            run(parse(f"compliance {tmp_path / 'rules.yaml'} --period {_quarter(1)} {flag}"), s)


@pytest.mark.slow
def test_the_pack_holds_its_report_reproduced_byte_for_byte(ws, fresh_sandbox, tmp_path):
    """The notebook runs in its own kernel on the pack's store, without a sync: it says the table's
    figures, and the same command renders the same HTML and PDF (the manifest's hashes too)."""
    ws.sandbox_handle = fresh_sandbox  # as Workspace.sandbox: the kernel reaches this sandbox through it
    s = Session()
    s.workspace = ws
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(RULES), encoding="utf-8")
    label = _quarter(1)
    generation = ws.store.generation()
    for name in ("a", "b"):
        said = run(parse(f"compliance {tmp_path / 'rules.yaml'} --period {label} --pack {tmp_path / name} --pdf"), s)
        assert "report.html, report.pdf" in said
    assert ws.store.generation() == generation  # the report read the cache, it did not sync
    for name in ("table.csv", "cases.csv", "report.html", "report.pdf", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert not (tmp_path / "a" / "report.ipynb").exists()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"report.html", "report.pdf"}
    page = (tmp_path / "a" / "report.html").read_text()
    table = pl.read_csv(tmp_path / "a" / "table.csv")
    assert table["A"].sum() > 0
    for row in table.iter_rows(named=True):  # the page's sentences are the table's figures
        assert f"{row['step']}: {row['E']:.0%} late in {label} ({row['B']} finished late" in page
    assert "Residential timelines" in page and " ago)" not in page and "just now" not in page
    assert (tmp_path / "a" / "report.pdf").read_bytes().startswith(b"%PDF")
