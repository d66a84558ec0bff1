"""Notebooks 02-04 honour their parameters: ``start_date`` is the program's local midnight and every
analysis cell reads it; ``as_of`` is a point-in-time cut. The cells of the committed .ipynb files run
in-process against a synced sandbox workspace (nbmake runs them end to end elsewhere)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import nbformat
import polars as pl
import pytest

from pcnb.workspace import Workspace
from tests.conftest import END

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run(name: str, ws: Workspace, monkeypatch: pytest.MonkeyPatch, **params: Any) -> dict[str, Any]:
    monkeypatch.setattr(Workspace, "open", classmethod(lambda cls, *a, **k: ws))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    ns: dict[str, Any] = {"display": lambda *a, **k: None}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"{name}", "exec"), ns)  # noqa: S102
            if "parameters" in cell.metadata.get("tags", []):
                ns.update(params)
    return ns


def test_02_start_date_is_local_midnight(ws, monkeypatch):
    # a day whose local evening is already the next day in UTC, with a status change in that evening
    tz = "America/Los_Angeles"
    ev = ws.status_events().with_columns(pl.col("ts").dt.convert_time_zone(tz).dt.date().alias("local"))
    evening = ev.filter(pl.col("ts").dt.date() > pl.col("local")).sort("ts")
    assert evening.height > 0
    start = evening["local"][len(evening) // 2] + dt.timedelta(days=1)
    ns = run("02_pipeline_throughput", ws, monkeypatch, start_date=start.isoformat())
    assert ns["cal"].timezone == tz
    # stays entered that local evening (after UTC midnight of start) are before the period
    assert ns["flow"]["period"].min() >= start.replace(day=1) and ns["wip"]["date"].min() >= start
    assert ns["in_period"]["entered"].min() >= dt.datetime.combine(start, dt.time(), ZoneInfo(tz))
    utc_cut = ns["intervals"].filter(pl.col("entered") >= dt.datetime.combine(start, dt.time(), dt.UTC))
    assert utc_cut.height > ns["in_period"].height


def test_03_reads_start_date(ws, monkeypatch):
    start = (END - dt.timedelta(days=150)).date()  # the last five months of the history
    early = run("03_time_in_status", ws, monkeypatch, start_date=(END - dt.timedelta(days=3 * 366)).date().isoformat())
    late = run("03_time_in_status", ws, monkeypatch, start_date=start.isoformat())
    n = lambda ns: int(ns["sla"].select(pl.col("completed").sum() + pl.col("open").sum()).item())  # noqa: E731
    assert 0 < n(late) < n(early)
    assert late["in_period"]["entered"].min() >= dt.datetime.combine(start, dt.time(), ZoneInfo(late["cal"].timezone))


def test_04_as_of_is_a_point_in_time(ws, monkeypatch):
    tz = ZoneInfo("America/Los_Angeles")
    # a thread still being discussed two local days after it was opened: open and waiting at that as_of
    last = ws.inquiry_notes().group_by("thread_id").agg(pl.col("ts").max().alias("last"))
    busy = ws.inquiry_threads().join(last, on="thread_id").with_columns(
        (pl.col("created").dt.convert_time_zone(tz.key).dt.date() + dt.timedelta(days=2)).alias("day")).filter(
        pl.col("last") > (pl.col("day").cast(pl.Datetime("us")).dt.replace_time_zone(tz.key) + dt.timedelta(days=1))
        .dt.convert_time_zone("UTC"))
    assert busy.height > 0
    day = busy.sort("created")["day"][0]
    ns = run("04_inquiry_backlog", ws, monkeypatch, as_of=day.isoformat())
    end_of_day = dt.datetime.combine(day, dt.time.max, tz)
    assert ns["as_of_ts"] == end_of_day
    assert ns["state"]["created"].max() <= end_of_day and busy.sort("created")["thread_id"][0] in ns["state"][
        "thread_id"].to_list()
    waiting = ns["state"].filter(pl.col("waiting_on") != "none")
    assert waiting.height > 0 and waiting["waiting_bdays"].min() >= 0
    assert ns["rt"]["asked"].max() <= end_of_day


def test_08_process_reads_start_date_and_finds_the_workflow(ws, monkeypatch):
    early = run("08_process", ws, monkeypatch, start_date=(END - dt.timedelta(days=3 * 366)).date().isoformat())
    late = run("08_process", ws, monkeypatch, start_date=(END - dt.timedelta(days=150)).date().isoformat())
    assert 0 < late["pv"].height < early["pv"].height == early["process"]["project_id"].n_unique()
    assert early["every"]["projects"].sum() == early["pv"].height and early["pm"].edges.height > 3
    assert early["rw"].pairs.height and early["per"].height == early["pv"].height
    assert early["model"].order[0] == ws.profile.statuses[0].name and early["checks"].height >= 4
