"""Chart structure on real sandbox data (synced over HTTP into a real store)."""

from __future__ import annotations

import polars as pl
import pytest

import pcnb.analytics  # noqa: F401 - registers df.pc
from pcnb import charts, palette
from pcnb.analytics import Calendar, aging_wip, sla_compliance, throughput, wip_by_day
from pcnb.analytics.backlog import backlog_over_time, thread_state
from pcnb.analytics.cohorts import bottlenecks
from pcnb.cache import frames
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.sandbox import running
from tests.conftest import END, FAST


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    from pcnb.api.budget import RateBudget
    from pcnb.api.client import PowerClerkClient
    from pcnb.config import Settings
    from tests.conftest import creds_for

    path = tmp_path_factory.mktemp("charts")
    with running(projects=250, seed=13, rate_limit=FAST, end=END) as sb:
        creds = creds_for(sb)
        client = PowerClerkClient(Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url,
                                           rate_limit=100000), creds,
                                  budget=RateBudget("x", 100000, 60, path=path / "b.sqlite"))
        store = Store(path / "s.sqlite")
        sync(client, store, sb.program_id, progress=False)
    return store


def test_charts_state_as_of_n_and_axes(synced):
    cal = Calendar.us_federal("America/Los_Angeles")
    ev = frames.status_events(synced)
    iv = ev.pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    assert iv.height > ev.height * 0.9
    checks = [
        (charts.throughput_chart(throughput(iv, ["Application Submitted", "Permission to Operate"], "1mo",
                                            calendar=cal), END), "Month", "Projects"),
        (charts.cumulative_flow_chart(wip_by_day(iv, calendar=cal, terminal=FINAL), END), "Date", "Projects in status"),
        (charts.time_in_status_chart(iv, END, cal), "Business days in the status (finished stays)", ""),
        (charts.aging_chart(iv, END, cal, terminal=FINAL), "Business days in the current status", ""),
        (charts.sla_chart(sla_compliance(iv, {"Application Review": 10, "Application Submitted": 3}), END, cal),
         "Share of projects counted", ""),
        (charts.backlog_chart(thread_state(frames.inquiry_threads(synced), frames.inquiry_notes(synced), cal, END),
                              END, cal), "Waiting so far (business days)", "Open threads"),
        (charts.backlog_trend_chart(backlog_over_time(frames.inquiry_threads(synced), frames.inquiry_notes(synced),
                                                      cal, END), END, cal), "Date", "Open threads"),
    ]
    for fig, x, y in checks:
        title = fig.layout.title.text
        assert f"as of {END:%Y-%m-%d %H:%M} UTC" in title and "n = " in title
        assert fig.layout.xaxis.title.text == x and fig.layout.yaxis.title.text == y
        assert len(fig.data) >= 1 and any(len([v for v in (t.x or t.y or []) if v is not None]) for t in fig.data)
    slowest = charts.bottleneck_chart(bottlenecks(iv), END)
    drawn = [t for t in slowest.data if t.type == "bar" and t.orientation == "h" and t.y[0] is not None]
    assert drawn and not [t for t in slowest.data if t.type == "sankey"]  # bars with their numbers, on paper too
    slow = slowest.table  # every transition, as a grid beneath the chart (not a cut-off plotly table)
    assert slow.columns[:3] == ["From", "To", "n"]
    assert slow.height == bottlenecks(iv).height > 8
    tis = charts.time_in_status_chart(iv, END, cal)
    table = tis.table  # shown as a grid beneath the figure, not as a plotly table trace that cuts cells
    assert not [t for t in tis.data if t.type in ("table", "box")]
    rows = list(dict.fromkeys(t.name.split(" (suppressed")[0] for t in tis.data if (t.type == "bar" and t.y[0])
                              or (t.type == "scatter" and t.mode == "text")))
    assert rows == table["Status"].to_list()  # one row of the chart per row of the table
    assert table.columns == ["Status", "n closed", "n open", "median", "p85", "p90", "p95", "KM median", "KM p90"]
    assert table["n open"].sum() > 0  # open stays are counted beside the closed ones
    assert "n = " in slowest.layout.title.text
    assert aging_wip(iv, terminal=FINAL)["count"].sum() == iv.filter(
        pl.col("is_open") & ~pl.col("status").is_in(["Permission to Operate", "Withdrawn", "Rejected"])).height


FINAL = ["Permission to Operate", "Withdrawn", "Rejected"]


def test_aging_chart_shows_only_work_in_progress(synced):
    cal = Calendar.us_federal("America/Los_Angeles")
    iv = frames.status_events(synced).pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    fig = charts.aging_chart(iv, END, cal, terminal=FINAL)  # the final statuses are excluded by default
    dots = [t for t in fig.data if t.type == "scatter" and t.mode == "markers"]
    shown = {t.name for t in dots}
    assert shown and not shown & set(FINAL)  # finished projects are not work in progress
    wip = iv.filter(pl.col("is_open") & ~pl.col("status").is_in(FINAL))
    assert sum(len(t.x) for t in dots) == wip.height
    assert max(max(t.x) for t in dots) == wip["age_business_days"].max()


def test_suppressed_statistics_are_labelled_in_charts(synced):
    cal = Calendar.us_federal("America/Los_Angeles")
    iv = frames.status_events(synced).pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    tis = charts.time_in_status_chart(iv, END, cal, min_n=10_000)
    assert all(str(v).startswith("suppressed (n=") for v in tis.table["median"])
    sla = sla_compliance(iv, {"Application Review": 10}, min_n=10_000)
    fig = charts.sla_chart(sla, END, cal)
    assert all(t.x == (None,) for t in fig.data if t.type == "bar")  # no bar for a suppressed rate
    notes = [t.text[0].strip() for t in fig.data if t.type == "scatter" and t.mode == "text"]
    assert notes[0].startswith("suppressed (n=")
    dfg = bottlenecks(iv, min_n=10_000)
    table = charts.bottleneck_chart(dfg, END).table
    assert all(str(v).startswith("suppressed (n=") for v in table["median business days"])


def status_colors(fig) -> dict[str, set[str]]:
    """Each status's colour(s) as a figure draws it: bars, stacked areas, boxes, dots, Sankey nodes."""
    seen: dict[str, set[str]] = {}
    for t in fig.data:
        if t.type == "sankey":
            for label, color in zip(t.node.label, t.node.color or [None] * len(t.node.label), strict=True):
                seen.setdefault(label, set()).add(color)
        elif t.type in ("bar", "box") or (t.type == "scatter" and (t.stackgroup or t.mode == "markers")):
            if all(v is None for v in (t.x or ())):  # a legend entry only ("solid: median ...")
                continue
            color = t.marker.color if t.type != "scatter" or t.mode == "markers" else t.line.color
            seen.setdefault(t.name.split(" (suppressed")[0], set()).add(color)
    return seen


def same_colour_everywhere(figs, statuses=None) -> dict[str, str]:
    """Assert no status has two colours within or across ``figs``, and no two statuses share one
    (``statuses``: which trace names are statuses, when some figures also draw other series)."""
    merged: dict[str, set[str]] = {}
    for fig in figs:
        for status, colors in status_colors(fig).items():
            if statuses is None or status in statuses:
                merged.setdefault(status, set()).update(colors)
    bad = {k: v for k, v in merged.items() if len(v) != 1 or None in v}
    assert merged and not bad, bad
    flat = {status: next(iter(c)) for status, c in merged.items()}
    assert len(set(flat.values())) == len(flat), flat
    return flat


def test_a_status_has_one_colour_in_every_chart(synced):
    cal = Calendar.us_federal("America/Los_Angeles")
    iv = frames.status_events(synced).pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    figs = [charts.throughput_chart(throughput(iv, ["Application Submitted", "Permission to Operate"], calendar=cal),
                                    END),
            charts.cumulative_flow_chart(wip_by_day(iv, calendar=cal, terminal=FINAL), END),
            charts.time_in_status_chart(iv, END, cal), charts.aging_chart(iv, END, cal, terminal=FINAL),
            charts.bottleneck_chart(bottlenecks(iv), END)]
    flat = same_colour_everywhere(figs, set(iv["status"].to_list()))
    assert {"Application Submitted", "Permission to Operate", "Application Review"} <= set(flat)
    # a palette from a status order gives the same answer whichever chart asks first
    pal = palette.Palette(["Unsubmitted", "Application Submitted", "Application Review"])
    tis = status_colors(charts.time_in_status_chart(iv, END, cal, colors=pal))
    cfd = status_colors(charts.cumulative_flow_chart(wip_by_day(iv, calendar=cal, terminal=FINAL), END, colors=pal))
    assert tis["Application Review"] == cfd["Application Review"] == {palette.COLORS[2]}


def test_time_in_status_shows_its_table_as_a_grid_beneath_the_figure(synced):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from pcnb import grids

    cal = Calendar.us_federal("America/Los_Angeles")
    iv = frames.status_events(synced).pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    tis = charts.time_in_status_chart(iv, END, cal)
    InteractiveShell.instance()
    grids._state["carrier"] = None
    with capture_output() as shown:
        tis._ipython_display_()
    kinds = ["plotly" if "application/vnd.plotly.v1+json" in o.data else "grid" if "new ITable(" in
             o.data.get("text/html", "") else "other" for o in shown.outputs]
    assert kinds[-2:] == ["plotly", "grid"], kinds  # the figure, then its table as a grid beneath it
    grid = shown.outputs[-1]
    html = grid.data["text/html"]
    assert "new ITable(" in html and '"ordering": true' in html and "Application Review" in html
    assert "Kaplan-Meier" in html and f"shape: ({tis.table.height}, 9)" in grid.data["text/plain"]
