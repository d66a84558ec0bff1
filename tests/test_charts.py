"""Chart structure on real sandbox data (synced over HTTP into a real store)."""

from __future__ import annotations

import re

import polars as pl
import pytest

import pcnb.analytics  # noqa: F401 - registers df.pc
from pcnb import charts, clock, palette
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
    # a chart given the program's calendar states the as-of in its local time, as the title block does;
    # one drawn without it (no calendar, no zone) in UTC
    LOCAL, UTC_STAMP = clock.local_time(END, cal.timezone), f"{END:%Y-%m-%d %H:%M} UTC"
    # every chart says its n; the SLA chart under each row's name (its rows' projects do not add up)
    N = "n = "
    ev = frames.status_events(synced)
    iv = ev.pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    assert iv.height > ev.height * 0.9
    checks = [
        (charts.throughput_chart(throughput(iv, ["Application Submitted", "Permission to Operate"], "1mo",
                                            calendar=cal), END), "Month", "Projects", UTC_STAMP, N),
        (charts.cumulative_flow_chart(wip_by_day(iv, calendar=cal, terminal=FINAL), END), "Date", "Projects in status",
         UTC_STAMP, N),
        (charts.time_in_status_chart(iv, END, cal), "Business days in the status (finished stays)", "", LOCAL, N),
        (charts.aging_chart(iv, END, cal, terminal=FINAL), "Business days in the current status", "", LOCAL, N),
        (charts.sla_chart(sla_compliance(iv, {"Application Review": 10, "Application Submitted": 3}), END, cal),
         "Share of the projects counted", "", LOCAL, "2 deadlines, each naming its projects (n)"),
        (charts.backlog_chart(thread_state(frames.inquiry_threads(synced), frames.inquiry_notes(synced), cal, END),
                              END, cal), "Waiting so far (business days)", "Open threads", LOCAL, N),
        (charts.backlog_trend_chart(backlog_over_time(frames.inquiry_threads(synced), frames.inquiry_notes(synced),
                                                      cal, END), END, cal), "Date", "Open threads", LOCAL, N),
    ]
    for fig, x, y, stamp, basis in checks:
        title = fig.layout.title.text
        assert f"as of {stamp} " in title and basis in title, title
        assert fig.layout.xaxis.title.text == x and fig.layout.yaxis.title.text == y
        assert len(fig.data) >= 1 and any(len([v for v in (t.x or t.y or []) if v is not None]) for t in fig.data)
    slowest = charts.bottleneck_chart(bottlenecks(iv), END)
    drawn = [t for t in slowest.data if t.type == "bar" and t.orientation == "h" and t.y[0] is not None]
    assert drawn and not [t for t in slowest.data if t.type == "sankey"]  # bars with their numbers, on paper too
    slow = slowest.table  # every transition, as a grid beneath the chart (not a cut-off plotly table)
    assert slow.columns == ["From", "To", "Moves", "Median (business days)", "9 in 10 within (business days)"]
    assert slow.height == bottlenecks(iv).height > 8
    tis = charts.time_in_status_chart(iv, END, cal)
    table = tis.table  # shown as a grid beneath the figure, not as a plotly table trace that cuts cells
    assert not [t for t in tis.data if t.type in ("table", "box")]
    rows = list(dict.fromkeys(t.name.split(" (suppressed")[0] for t in tis.data if (t.type == "bar" and t.y[0])
                              or (t.type == "scatter" and t.mode == "text")))
    assert rows == table["Status"].to_list()  # one row of the chart per row of the table
    assert table.columns == ["Status", "Finished", "Open", "Median", "85% within", "90% within",
                             "95% within", "Median, counting open", "90% within, counting open"]
    assert sum(int(v.replace(",", "")) for v in table["Open"]) > 0  # open stays are counted beside the closed ones
    # people's numbers: whole days, thousands separated (a reviewer read "2117" and "36.8" as raw output)
    assert all(re.fullmatch(r"\d+|-|too few \(\d+\)", v) for v in table["Median"]), table["Median"].to_list()
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", v) for v in table["Finished"]), table
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
    assert all(str(v).startswith("too few (") for v in tis.table["Median"])
    sla = sla_compliance(iv, {"Application Review": 10}, min_n=10_000)
    fig = charts.sla_chart(sla, END, cal)
    assert all(t.x == (None,) for t in fig.data if t.type == "bar")  # no bar for a suppressed rate
    notes = [t.text[0].strip() for t in fig.data if t.type == "scatter" and t.mode == "text"]
    assert notes[0].startswith("too few to judge (")
    dfg = bottlenecks(iv, min_n=10_000)
    table = charts.bottleneck_chart(dfg, END).table
    assert all(str(v).startswith("too few (") for v in table["Median (business days)"])


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
    assert "counting the open" in html and f"shape: ({tis.table.height}, 9)" in grid.data["text/plain"]


def _n(fig) -> int:
    import re

    return int(re.search(r"n = ([\d,]+)", fig.layout.title.text).group(1).replace(",", ""))


def test_backlog_charts_leave_finished_projects_threads_out_by_default_as_notebook_04_does():
    """`chart backlog` and `backlog-trend` counted the open threads of finished projects (nobody
    will answer them), against the documented default and notebook 04; `--finished include` counts
    them, `--finished group` draws them apart."""
    from pcnb import clock
    from pcnb.commands import Session, parse, run
    from pcnb.workspace import Workspace

    with Workspace.sandbox(projects=300, seed=13, end=END) as ws:
        session = Session()
        session.workspace = ws
        run(parse("sync"), session)
        prof, now = ws.profile, clock.now()
        cal, final = prof.calendar.calendar(), prof.roles.final
        iv = ws.status_events().pc.intervals(calendar=cal, as_of=now, terminal=final)
        state = thread_state(ws.inquiry_threads(), ws.inquiry_notes(), cal, now, intervals=iv, final=final)
        open_ = state.filter(pl.col("waiting_on") != "none")
        working = open_.filter(~pl.col("project_final")).height
        assert 0 < working < open_.height  # both kinds exist, so the default can be told apart
        for name in ("backlog", "backlog-trend"):
            assert _n(run(parse(f"chart {name}"), session)) == working, name
            assert _n(run(parse(f"chart {name} --finished include"), session)) == open_.height, name
            grouped = run(parse(f"chart {name} --finished group"), session)
            assert _n(grouped) == open_.height and "finished project" in {t.name for t in grouped.data}, name
        with pytest.raises(Exception, match="--finished applies to backlog and backlog-trend"):
            run(parse("chart aging --finished include"), session)


# -- #26 item 2: charts designed, not defaulted (each test below failed on the charts before it) --

def _iv(store):
    cal = Calendar.us_federal("America/Los_Angeles")
    return cal, frames.status_events(store).pc.intervals(calendar=cal, as_of=END, terminal=FINAL)


def test_sla_chart_rows_plain_legend_written_shares_and_colour_blind_safe_colours(synced):
    cal, iv = _iv(synced)
    sla = sla_compliance(iv, {"Application Submitted": 3, "Application Review": 10})
    fig = charts.sla_chart(sla, END, cal)
    bars = [t for t in fig.data if t.type == "bar"]
    assert bars and all(t.orientation == "h" for t in bars)  # long deadline names are rows, not rotated labels
    assert [t.name for t in bars] == ["met the deadline", "missed it: finished late",
                                      "missed it: still open and already late"]  # not "exceeding (B+C)/(A+C)"
    assert [t.marker.color for t in bars] == [palette.ON_TIME, palette.LATE, palette.LATE]
    notes = next(t for t in fig.data if t.type == "scatter" and t.mode == "text").text
    for i, row in enumerate(sla.iter_rows(named=True)):
        shares = [t.x[i] for t in bars]
        assert abs(sum(shares) - 1) < 1e-9  # the three parts are the whole that pct_exceeding counts (A + C)
        assert abs(shares[1] + shares[2] - row["pct_exceeding"]) < 1e-9
        assert notes[i].strip() == f"{row['pct_exceeding']:.0%} missed"  # the value written, not only hovered
        assert f"{row['deadline_bdays']} business days · n = " in fig.layout.yaxis.categoryarray[i]
    assert "(B+C)" not in fig.to_json() and "MTWTF" not in fig.layout.title.text
    assert not fig.layout.shapes
    aimed = charts.sla_chart(sla, END, cal, target=0.9)  # a share to reach: a dashed line, named in the legend
    assert [s.x0 for s in aimed.layout.shapes] == [0.9] and "target: 90% met" in {t.name for t in aimed.data}


def test_throughput_marks_the_partial_month_and_leaves_it_out_of_the_average(synced):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    cal, iv = _iv(synced)
    tp = throughput(iv, ["Application Submitted", "Permission to Operate"], "1mo", calendar=cal)
    last = tp["period"].max()
    during = datetime(last.year, last.month, 11, tzinfo=ZoneInfo(cal.timezone))  # 10 days into the last month
    fig = charts.throughput_chart(tp, during)  # local months: the zone comes from cal=, UTC without (same on the 11th)
    assert fig.layout.xaxis.title.text == "Month" and "per month?" in fig.layout.title.text
    assert "partial month so far (to " in fig.layout.title.text
    for bar in (t for t in fig.data if t.type == "bar"):
        marked = [x for x, shape in zip(bar.x, bar.marker.pattern.shape, strict=True) if shape == "/"]
        assert marked == ([last] if last in bar.x else [])  # only the running month is hatched
        assert [o for x, o in zip(bar.x, bar.marker.opacity, strict=True) if x == last] in ([0.45], [])
    for line in (t for t in fig.data if t.type == "scatter" and t.x and t.x[0] is not None):
        bar = next(t for t in fig.data if t.type == "bar" and t.name == line.name.split(":")[0])
        full = [(x, y) for x, y in zip(bar.x, bar.y, strict=True) if x != last]
        assert list(line.x) == [x for x, _ in full]  # the partial month is not on the average line
        assert abs(line.y[-1] - sum(y for _, y in full[-3:]) / 3) < 1e-9  # the mean of 3 full months
        assert sum(bar.y) == tp.filter(pl.col("status") == bar.name)["count"].sum()
    gap = sorted(tp["period"].unique().to_list())[-2]  # the last full month, with no submission in it:
    holed = charts.throughput_chart(tp.filter((pl.col("period") != gap) | (pl.col("status") != "Application "
                                                                                             "Submitted")), during)
    bar = next(t for t in holed.data if t.type == "bar" and t.name == "Application Submitted")
    line = next(t for t in holed.data if t.type == "scatter" and t.name.startswith("Application Submitted:"))
    assert dict(zip(bar.x, bar.y, strict=True))[gap] == 0 and line.x[-1] == gap  # a 0 bar, not a skipped month,
    assert abs(line.y[-1] - sum(bar.y[-4:-1]) / 3) < 1e-9 and bar.y[-2] == 0  # and the average counts it
    next_month = datetime(last.year + last.month // 12, last.month % 12 + 1, 1, tzinfo=ZoneInfo(cal.timezone))
    done = charts.throughput_chart(tp, next_month, cal=cal)  # the month is over; the new one has nothing yet:
    for bar in (t for t in done.data if t.type == "bar"):  # it is drawn empty, hatched -- not left out
        assert bar.x[-1] == next_month.date() and bar.y[-1] == 0 and bar.marker.pattern.shape[-1] == "/"
        assert set(bar.marker.pattern.shape[:-1]) == {""}  # the month before is full now
    assert "partial month so far (to " in done.layout.title.text
    later = datetime(next_month.year + 1, 1, 20, tzinfo=ZoneInfo(cal.timezone))  # data that ended long before
    old = charts.throughput_chart(tp, later, cal=cal)
    assert all(set(t.marker.pattern.shape) == {""} for t in old.data if t.type == "bar")
    assert "partial" not in old.layout.title.text


def test_throughput_counts_sit_above_their_own_bars_on_a_ground_the_averages_cannot_cross(synced):
    """The counts were the bars' own text, and the dotted averages ran through them on paper: each is an
    annotation now (drawn above every trace) on a white ground, over the middle of its own bar."""
    from datetime import datetime, timedelta

    cal, iv = _iv(synced)
    tp = throughput(iv, ["Application Submitted", "Permission to Operate"], "1mo", calendar=cal)
    fig = charts.throughput_chart(tp, END, cal=cal, labelled=13)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2 and all(not t.text for t in bars)
    recent = sorted(tp["period"].unique().to_list())[-13:]
    labels = list(fig.layout.annotations)
    assert len(labels) == 2 * len(recent)
    for bar in bars:
        for day, count in zip(bar.x, bar.y, strict=True):
            if day not in recent:
                continue
            start = datetime.combine(day, datetime.min.time())
            left, right = start + timedelta(milliseconds=bar.offset), start + timedelta(
                milliseconds=bar.offset + bar.width)
            mine = [a for a in labels if left <= datetime.fromisoformat(str(a.x)) <= right and a.y == count]
            assert len(mine) == 1, (bar.name, day, count)
            label = mine[0]
            assert label.text == f"{count:,}" and label.yanchor == "bottom" and label.textangle == -90
            assert label.bgcolor.startswith("rgba(255,255,255") and not label.showarrow
    first, second = bars  # side by side, not over each other
    assert first.offset + first.width <= second.offset


def test_time_in_status_draws_median_to_p90_ranges_with_n_and_the_deadline(synced):
    from pcnb.analytics.time_in_status import time_in_status
    from pcnb.chartkit import days_text

    cal, iv = _iv(synced)
    active = iv.filter(~pl.col("status").is_in(FINAL))
    fig = charts.time_in_status_chart(active, END, cal)
    assert not [t for t in fig.data if t.type == "box"]  # no whisker-dominated box plot
    tis = time_in_status(active, terminal=()).filter(~pl.col("suppressed"))
    labels = list(fig.layout.yaxis.categoryarray)
    for r in tis.iter_rows(named=True):
        solid, light = [t for t in fig.data if t.type == "bar" and t.name == r["status"]]
        assert solid.orientation == light.orientation == "h"
        assert solid.x[0] == r["median_bdays"] and light.base[0] == r["median_bdays"]
        assert abs(light.base[0] + light.x[0] - r["p90_bdays"]) < 1e-9
        words = next(t for t in fig.data if t.type == "scatter" and t.mode == "text" and t.name == r["status"])
        assert words.text[0] == f" median {days_text(r['median_bdays'])} · 9 in 10 within {days_text(r['p90_bdays'])}"
        assert f"{r['n']:,} finished, {r['n_open']:,} open" in solid.y[0]  # n per status
    assert not fig.layout.shapes  # no deadline given, none drawn
    fig = charts.time_in_status_chart(active, END, cal, deadlines={"Application Review": 10})
    labels = list(fig.layout.yaxis.categoryarray)
    row = next(i for i, label in enumerate(labels) if label.startswith("Application Review<br>"))
    assert [(s.x0, s.y0 < row < s.y1, s.line.dash) for s in fig.layout.shapes] == [(10, True, "dash")]
    assert "deadline 10 business days" in labels[row] and "deadline" in {t.name for t in fig.data}


def test_aging_marks_each_status_deadline_and_counts_the_open_stays_past_it(synced):
    cal, iv = _iv(synced)
    fig = charts.aging_chart(iv, END, cal, terminal=FINAL, deadlines={"Application Review": 10})
    statuses = list(fig.layout.yaxis.ticktext)
    row = statuses.index("Application Review")
    assert [(s.x0, s.y0 < row < s.y1) for s in fig.layout.shapes] == [(10, True)]
    ages = iv.filter(pl.col("is_open") & (pl.col("status") == "Application Review"))["age_business_days"]
    late = int((ages > 10).sum())
    notes = [a.text for a in fig.layout.annotations if a.y == row]
    assert notes == [f" {ages.len():,} open, median {ages.median():,.0f}<br> {late:,} past the deadline"]
    # why its count can exceed the SLA table's "open and already late" (first stays only), under the plot
    said = [a.text for a in fig.layout.annotations if a.yref == "paper" and a.y == 0]
    assert len(said) == 1 and "first stay in a status only" in said[0]
    assert not [a for a in charts.aging_chart(iv, END, cal, terminal=FINAL).layout.annotations
                if a.yref == "paper" and a.y == 0]  # no deadline drawn: nothing to compare
    assert fig.layout.xaxis.title.text == "Business days in the current status"  # ages run along x: rows


def test_backlog_bins_answer_the_within_3_business_days_question(synced):
    cal, _ = _iv(synced)
    state = thread_state(frames.inquiry_threads(synced), frames.inquiry_notes(synced), cal, END)
    fig = charts.backlog_chart(state, END, cal)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [list(t.x) for t in bars] == [["0-3", "4-5", "6-10", "11-20", "21+"]] * 2  # not 50-day bins
    edges = [(0, 3), (4, 5), (6, 10), (11, 20), (21, 10**6)]
    for t, side in zip(bars, ("utility", "applicant"), strict=True):
        waits = state.filter(pl.col("waiting_on") == side)["waiting_bdays"]
        assert list(t.y) == [int(((waits >= lo) & (waits <= hi)).sum()) for lo, hi in edges], side
        assert t.marker.color == palette.SIDES[side] and t.name == f"waiting on the {side}"
    assert [(s.x0, s.line.dash) for s in fig.layout.shapes] == [(0.5, "dash")]  # the target, after 0-3
    open_ = state.filter(pl.col("waiting_on") != "none")
    overdue = open_.filter(pl.col("waiting_bdays") > 3).height
    assert any("answered within 3 business days" in a.text and f"{overdue:,} of {open_.height:,} waiting longer"
               in a.text for a in fig.layout.annotations)
    assert [list(t.x) for t in charts.backlog_chart(state, END, cal, within=10).data if t.type == "bar"][0] == [
        "0-10", "11-20", "21+"]


def test_bottlenecks_are_rows_slowest_median_first_with_values(synced):
    cal, iv = _iv(synced)
    dfg = bottlenecks(iv)
    fig = charts.bottleneck_chart(dfg, END)
    shown = dfg.filter(~pl.col("suppressed")).sort(["median_business_days", "count"], descending=True).head(15)
    labels = list(fig.layout.yaxis.categoryarray)
    assert [label.split("<br>")[0] for label in labels] == [f"{a} → {b}" for a, b in
                                                            zip(shown["status"], shown["next_status"], strict=True)]
    medians = {y: x for t in fig.data if t.type == "bar" and t.base is None and t.y[0] is not None
               for y, x in zip(t.y, t.x, strict=True)}
    assert [medians[label] for label in labels] == shown["median_business_days"].to_list()
    written = [v for t in fig.data if t.type == "scatter" and t.mode == "text" for v in t.text]
    assert len(written) == len(labels) and all(v.startswith(" median ") for v in written)  # values on paper


def test_moves_that_end_a_project_are_not_bottlenecks():
    """An expiry after a long timer is the slowest move of all, and no wait to move on: it stays in
    the table, not in the bars, and the subtitle says so."""
    dfg = pl.DataFrame({"status": ["Approved", "Review", "Intake"], "next_status": ["Expired", "Approved", "Review"],
                        "count": [40, 300, 310], "median_business_days": [120.0, 9.0, 3.0],
                        "p90_business_days": [125.0, 20.0, 6.0], "suppressed": [False, False, False]})
    fig = charts.bottleneck_chart(dfg, END, ends=["Expired", "Withdrawn"])
    assert [label.split("<br>")[0] for label in fig.layout.yaxis.categoryarray] == ["Review → Approved",
                                                                                     "Intake → Review"]
    assert "Expired" in fig.table["To"].to_list()
    assert "drawn: every kind of move out of a working status (2); in the table only: the 1 that ends a project " \
           "without completing it" in fig.layout.title.text  # "the 2 slowest of 3": a choice of the drawn
    # not "the table beneath": in a report the table is in the appendix (pcnb.appendix)
    fewer = charts.bottleneck_chart(dfg, END, ends=["Expired"], top=1)
    assert "drawn: the 1 slowest of 2 kinds of move out of a working status" in fewer.layout.title.text
    rare = charts.bottleneck_chart(dfg.with_columns(suppressed=pl.col("status") == "Intake"), END, ends=["Expired"])
    assert ("in the table only: the 1 that ends a project without completing it and 1 with fewer than 10 "
            "moves") in rare.layout.title.text
    plain = charts.bottleneck_chart(dfg, END)  # without the profile's exits it would lead the chart
    assert plain.layout.yaxis.categoryarray[0].startswith("Approved → Expired")


def test_the_bottleneck_rows_and_table_do_not_depend_on_the_order_the_moves_came_in():
    """Rows of equal medians swapped places in the appendix table from one printing of a report to the next
    (the grouping's order): ties go by the most moves, then by name."""
    dfg = pl.DataFrame({"status": ["B", "A", "C", "A"], "next_status": ["X", "Y", "X", "X"],
                        "count": [50, 50, 80, 50], "median_business_days": [4.0, 4.0, 4.0, 9.0],
                        "p90_business_days": [7.0, 7.0, 7.0, 12.0], "suppressed": [False] * 4})
    for given in (dfg, dfg.reverse()):
        fig = charts.bottleneck_chart(given, END)
        assert [f"{a}>{b}" for a, b in zip(fig.table["From"], fig.table["To"], strict=True)] == [
            "A>X", "C>X", "A>Y", "B>X"]
        assert [label.split("<br>")[0] for label in fig.layout.yaxis.categoryarray] == [
            "A → X", "C → X", "A → Y", "B → X"]


def test_each_bottleneck_says_whose_step_the_wait_is():
    """The slowest row was an applicant's step a reviewer read as the utility's delay: with the profile's
    holders, each row says whose step it is; a status without a holder says nothing."""
    dfg = pl.DataFrame({"status": ["Installing", "Review", "Intake"], "next_status": ["Inspection", "Installing",
                                                                                      "Review"],
                        "count": [200, 300, 310], "median_business_days": [30.0, 9.0, 3.0],
                        "p90_business_days": [60.0, 20.0, 6.0], "suppressed": [False] * 3})
    fig = charts.bottleneck_chart(dfg, END, holders={"Installing": "applicant", "Review": "utility"})
    assert [re.sub("<[^>]+>", "", label.split("<br>")[1]) for label in fig.layout.yaxis.categoryarray] == [
        "n = 200 moves · the applicant's step", "n = 300 moves · the utility's step", "n = 310 moves"]


def test_the_calendar_is_said_in_words():
    from datetime import UTC, date, datetime

    from pcnb.chartkit import calendar_words, wait_bins, week_words

    cal = Calendar.us_federal("America/Los_Angeles")
    assert calendar_words(cal, datetime(2026, 12, 6, tzinfo=UTC)) == (
        "business days (Mon-Fri, 11 holidays a year, Los Angeles time)")  # not "MTWTF--, 255 holidays"
    gulf = Calendar("Asia/Dubai", (True, True, True, True, False, False, True), (date(2026, 12, 2),))
    assert calendar_words(gulf, datetime(2026, 1, 1, tzinfo=UTC)) == "business days (Mon-Thu, Sun, 1 holiday a " \
                                                                     "year, Dubai time)"
    assert week_words((True, False, True, False, True, False, False)) == "Mon, Wed, Fri"
    assert [b[2] for b in wait_bins(3)] == ["0-3", "4-5", "6-10", "11-20", "21+"]


def test_periods_are_named_by_their_length(synced):
    """The throughput axis says what a bar is: "Month" for monthly periods, "Week" for weekly ones."""
    cal, iv = _iv(synced)
    weekly = charts.throughput_chart(throughput(iv, ["Application Submitted"], "1w", calendar=cal), END, cal=cal)
    assert weekly.layout.xaxis.title.text == "Week" and "per week?" in weekly.layout.title.text
    quarterly = charts.throughput_chart(throughput(iv, ["Application Submitted"], "1q", calendar=cal), END, cal=cal)
    assert quarterly.layout.xaxis.title.text == "Quarter"


def test_the_sla_chart_says_its_counted_count_beside_n(synced):
    """The bars are shares of the projects counted (the table's Finished + Open and already late), not
    of every stay counted: the title and each row say both figures, so chart and table agree."""
    cal, iv = _iv(synced)
    sla = sla_compliance(iv, {"Application Review": 10, "Application Submitted": 3})
    fig = charts.sla_chart(sla, END, cal)
    # no sum over the deadlines: a project counted once per deadline added up to more "projects" than the
    # program has (5,250 of 2,000)
    assert "2 deadlines, each naming its projects (n) and how many were counted" in fig.layout.title.text
    assert "n = " not in fig.layout.title.text.split("<br>")[1]
    for row, label in zip(sla.iter_rows(named=True), fig.layout.yaxis.categoryarray, strict=True):
        assert f"{row['completed'] + row['open_late']:,} counted" in label


def test_a_deadline_in_calendar_days_is_said_on_the_business_day_chart(synced):
    """A time-in-status chart counts business days: a calendar-day deadline cannot be its line, and
    was silently missing; the row now says it (and where it is judged)."""
    from pcnb.chartkit import unplotted_deadlines
    from pcnb.profile import Deadline

    cal, iv = _iv(synced)
    rules = [Deadline(status="Application Review", days=30, unit="calendar_days"),
             Deadline(status="Application Submitted", days=3)]
    words = unplotted_deadlines(rules)
    assert words == {"Application Review": "30 calendar days"}
    fig = charts.time_in_status_chart(iv, END, cal, deadlines=charts.status_deadlines(rules), unplotted=words)
    labels = {label.split("<br>")[0]: label for label in fig.layout.yaxis.categoryarray}
    assert "deadline 30 calendar days (in the SLA chart)" in labels["Application Review"]
    assert "deadline 3 business days" in labels["Application Submitted"]


def test_the_sla_chart_names_the_business_calendar_only_over_rows_counted_in_it(synced):
    """A deadline in calendar days counts every day: the subtitle named the business-day calendar over
    such a row as if it were counted in it."""
    from pcnb.analytics.deadlines import deadline_compliance
    from pcnb.profile import Deadline

    cal, iv = _iv(synced)
    business = Deadline(status="Application Submitted", days=3)
    calendar = Deadline(status="Application Review", days=30, unit="calendar_days")

    def subtitle(rules):
        sla = deadline_compliance(iv, rules, terminal=FINAL, calendar=cal)
        return charts.sla_chart(sla, END, cal).layout.title.text.split("<br>", 1)[1]

    assert "business days (Mon-Fri" in subtitle([business]) and "calendar days" not in subtitle([business])
    alone = subtitle([calendar])
    assert "business days" not in alone and "calendar days: every day counts" in alone
    assert "Los Angeles time" not in alone and clock.local_time(END, cal.timezone) in alone  # still local time
    mixed = subtitle([business, calendar])
    assert "business days (Mon-Fri" in mixed and "where a row says calendar days, every day counts" in mixed


def test_the_range_legend_shows_the_light_part_lighter_than_the_solid_one():
    """A legend draws a bar's symbol without its opacity: "solid: median" and "light: to the 90th
    percentile" both showed the same dark grey square (a reviewer could not tell them apart)."""
    import plotly.graph_objects as go

    from pcnb.chartkit import range_legend

    fig = go.Figure()
    range_legend(fig)
    solid, light = fig.data
    assert solid.name.startswith("solid") and light.name.startswith("light")
    assert light.marker.opacity is None and light.marker.color != solid.marker.color

    def grey(color: str) -> int:
        return int(color[1:3], 16)

    assert grey(light.marker.color) - grey(solid.marker.color) >= 64  # visibly lighter


def test_the_work_in_progress_chart_starts_at_the_first_day_with_work(synced):
    """A period set to begin before the program did drew months of an empty axis (a reviewer found
    six on the rebate program's chart): the chart starts at the first day anything was in progress,
    and says so; the frame keeps every day."""
    from datetime import date

    cal = Calendar.us_federal("America/Los_Angeles")
    iv = frames.status_events(synced).pc.intervals(calendar=cal, as_of=END, terminal=FINAL)
    wip = wip_by_day(iv, calendar=cal, terminal=FINAL, start=date(2015, 1, 1))
    busy = wip.group_by("date").agg(pl.col("wip").sum()).filter(pl.col("wip") > 0)["date"].min()
    assert wip["date"].min() == date(2015, 1, 1) and busy > date(2015, 6, 1)
    fig = charts.cumulative_flow_chart(wip, END)
    assert min(min(t.x) for t in fig.data if t.x) == busy
    # the axis is the days drawn, no more: autorange ran a month past the last day to fit the "N now" label
    assert list(fig.layout.xaxis.range) == [busy, wip["date"].max()]
    assert f"none in progress before {busy:%b} {busy.day}, {busy.year}" in fig.layout.title.text
    whole = charts.cumulative_flow_chart(wip.filter(pl.col("date") >= busy), END)  # nothing to leave out
    assert "none in progress before" not in whole.layout.title.text


def test_aging_band_is_the_time_in_status_charts_median_to_90th_percentile(synced):
    """One convention for "the usual time" across a report: the aging chart's grey band drew the median
    to the 95th percentile while the time in status chart drew the median to the 90th (a reviewer asked
    which one was usual)."""
    from pcnb.analytics import time_in_status

    cal, iv = _iv(synced)
    fig = charts.aging_chart(iv, END, cal, terminal=FINAL)
    band = next(t for t in fig.data if t.type == "bar")
    assert "the median to the 90th percentile" in band.name
    statuses = list(fig.layout.yaxis.ticktext)
    tis = {r["status"]: r for r in time_in_status(iv, terminal=FINAL).iter_rows(named=True)}
    drawn = {statuses[int(y)]: (lo, lo + width) for y, lo, width in zip(band.y, band.base, band.x, strict=True)}
    assert drawn
    for status, (lo, hi) in drawn.items():
        assert (lo, hi) == pytest.approx((tis[status]["median_bdays"], tis[status]["p90_bdays"])), status
