"""Regenerate the prebuilt notebooks from the cell texts below: `python notebooks/build.py`.

Kept as code so the notebooks stay consistent (same parameters cell, same connection code) and
reviewable as plain diffs; the .ipynb files are the product and are committed too.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

PARAMS = '''# Parameters (papermill): environment is "sandbox" (default, no credentials), "trial" or "production".
# Real credentials come from PCNB_* environment variables or the keyring, never from this cell.
environment = "sandbox"
program = None
start_date = "2024-01-01"
as_of = ""  # ISO date or date-time; empty means now
'''
SETUP = '''import datetime as dt
import plotly.io as pio
import polars as pl
import pcnb.analytics  # registers df.pc
from pcnb import charts
from pcnb.analytics import Calendar
from pcnb.workspace import Workspace

pio.renderers.default = "plotly_mimetype+notebook"  # interactive in Jupyter, self-contained in HTML reports
ws = Workspace.open(environment, program)
report = ws.sync(progress=False)
as_of_ts = dt.datetime.fromisoformat(as_of).astimezone(dt.timezone.utc) if as_of else dt.datetime.now(dt.timezone.utc)
cal = Calendar.us_federal()
events = ws.status_events()
intervals = events.pc.intervals(calendar=cal, as_of=as_of_ts)
print(report)
print(ws.health())
'''

NOTEBOOKS = {
    "01_getting_started": [
        "# Getting started with pcnb\n\nConnect to PowerClerk (the embedded sandbox by default), sync the program "
        "into the local cache, and look at the frames every other notebook builds on.",
        "## Connect and sync\n\nThe first sync lists every project, then fetches each project's status history "
        "and inquiry threads within the 60 operations/minute budget. Later syncs fetch only what changed. To use "
        "real data, set `PCNB_API_KEY`, `PCNB_CLIENT_ID`, `PCNB_CLIENT_SECRET` (and MFA) in the environment and "
        "run with `environment = \"trial\"` or `\"production\"`.",
        SETUP,
        "## Projects\n\nOne row per project with its current status (timestamps are UTC).",
        "projects = ws.projects()\nprojects.head(10)",
        "projects.group_by('status').len().sort('len', descending=True)",
        "## Status history\n\nOne row per status entry, oldest first per project: the event log all timing "
        "metrics are computed from.",
        "events.head(10)",
        "## Inquiry threads and notes",
        "ws.inquiry_threads().head(5)",
        "ws.inquiry_notes().group_by('is_admin').len()",
    ],
    "02_pipeline_throughput": [
        "# Pipeline throughput\n\nHow many applications arrive and leave each week, and where work accumulates.",
        SETUP,
        "## Arrivals, departures and net flow\n\nArrivals are first submissions; departures are first entries "
        "into a terminal status (PTO, Withdrawn, Rejected). A positive net flow means the backlog grows.",
        "flow = intervals.filter(pl.col('entered') >= dt.datetime.fromisoformat(start_date).replace("
        "tzinfo=dt.timezone.utc)).pc.throughput(statuses=['Application Submitted', 'Permission to Operate'], "
        "every='1mo', calendar=cal)\n"
        "charts.throughput_chart(flow, as_of_ts)",
        "from pcnb.analytics import arrivals_net_flow\narrivals_net_flow(intervals, every='1mo', calendar=cal).tail(12)",
        "## Cumulative flow\n\nProjects in each active status at the end of each day.",
        "wip = intervals.pc.wip(calendar=cal)\ncharts.cumulative_flow_chart(wip.filter(pl.col('date') >= "
        "dt.date.fromisoformat(start_date)), as_of_ts)",
        "## Throughput by installer (top 5)",
        "top = ws.projects().group_by('owner_name').len().sort('len', descending=True).head(5)['owner_name']\n"
        "seg = intervals.join(ws.projects().select('project_id', 'owner_name'), on='project_id')\n"
        "seg.filter(pl.col('owner_name').is_in(top.to_list())).pc.throughput(statuses=['Permission to Operate'], "
        "every='1mo', by='owner_name', calendar=cal).tail(10)",
    ],
    "03_time_in_status": [
        "# Time in status and SLA compliance\n\nHow long applications sit in each status, in calendar and "
        "business days (weekdays, US federal holidays, program time zone), against deadlines.",
        SETUP,
        "## Time in status\n\nPercentiles are over completed stays; open stays are shown separately as their "
        "current age.",
        "intervals.pc.time_in_status()",
        "charts.time_in_status_chart(intervals, as_of_ts, cal, statuses=['Application Submitted', "
        "'Application Review', 'Returned to Applicant', 'Approved to Install', 'Inspection Pending'])",
        "## SLA compliance\n\nExample deadlines in business days. pct_exceeding = (late completed + open past "
        "deadline) / (completed + open past deadline).",
        "deadlines = {'Application Submitted': 3, 'Application Review': 10, 'Inspection Pending': 5}\n"
        "sla = intervals.pc.sla(deadlines)\ncharts.sla_chart(sla, as_of_ts, cal)",
        "sla",
        "### By segment\n\nAny project attribute splits the metrics: installer and program from the project "
        "list; technology and system-size bins from the application form when the cache holds form data "
        "(`ws.sync(forms=('APPLICATION',))`).",
        "from pcnb.analytics.segments import project_attributes, segmented\n"
        "attrs = project_attributes(ws.projects())\n"
        "top = attrs.group_by('owner_name').len().sort('len', descending=True).head(5)['owner_name']\n"
        "segmented(intervals, attrs, 'owner_name').filter(pl.col('owner_name').is_in(top.to_list()))"
        ".pc.sla({'Application Review': 10}, by='owner_name')",
        "## Aging work in progress\n\nEach dot is an application still in that status; dashed lines are the "
        "historical percentiles of completed stays.",
        "charts.aging_chart(intervals.filter(~pl.col('status').is_in(['Unsubmitted'])), as_of_ts, cal)",
        "## Bottlenecks",
        "charts.bottleneck_chart(intervals.pc.bottlenecks(), as_of_ts)",
        "## Cycle time by submission cohort\n\nThe Kaplan-Meier median counts applications still open, so recent "
        "cohorts are not flattered; cohorts with fewer than 10 completions are suppressed.",
        "intervals.pc.cohorts(calendar=cal, as_of=as_of_ts).tail(12)",
        "## Data quality\n\nWhat in the data could make the numbers above misleading: each check counts the "
        "affected projects or threads, with examples. Nothing is corrected automatically.",
        "from pcnb.analytics.quality import data_quality\n"
        "data_quality(intervals, ws.projects(), ws.inquiry_threads(), ws.inquiry_notes(), as_of_ts)",
    ],
    "04_inquiry_backlog": [
        "# Inquiry backlog\n\nOpen inquiry threads, who must answer next, and how fast each side responds.",
        SETUP,
        "from pcnb.analytics.backlog import backlog_summary, response_times, thread_state\n"
        "state = thread_state(ws.inquiry_threads(), ws.inquiry_notes(), cal, as_of_ts)\nbacklog_summary(state)",
        "## Waiting time of open threads",
        "charts.backlog_chart(state, as_of_ts, cal)",
        "## Backlog over time\n\nOpen threads at the end of each day, by who must answer next.",
        "from pcnb.analytics.backlog import backlog_over_time\n"
        "trend = backlog_over_time(ws.inquiry_threads(), ws.inquiry_notes(), cal, as_of_ts)\n"
        "charts.backlog_trend_chart(trend.filter(pl.col('date') >= dt.date.fromisoformat(start_date)), as_of_ts, cal)",
        "## Response times\n\nShare of responses within 3 business days, by responder.",
        "rt = response_times(ws.inquiry_notes(), cal)\n"
        "rt.group_by('responder').agg(pl.len().alias('responses'), pl.col('response_bdays').median()"
        ".alias('median_bdays'), pl.col('on_time').mean().alias('within_3_bdays'))",
    ],
    "05_write_back": [
        "# Write-back: plan, diff, confirm, journal, undo\n\nFix data in bulk from an analysis, safely. Every "
        "change is validated against the form schema and the workflow before anything is sent, shown as a diff, "
        "sent only after explicit confirmation, journaled with the request id, and can be undone.",
        "allow_writes = environment == \"sandbox\"  # writes only on the sandbox unless you set True on purpose",
        SETUP,
        "## The change: expected install dates\n\nProjects approved to install should carry an expected install "
        "date. Here: 30 business days after approval, on the program's calendar (weekends and US federal "
        "holidays skipped). The result is an ordinary polars frame: one `project` column, one column per form "
        "field.",
        "approved = ws.projects().filter(pl.col('status') == 'Approved to Install').head(8)\n"
        "changes = approved.select(\n"
        "    pl.col('project_number').alias('project'),\n"
        "    cal.add_business_days(pl.col('status_ts'), 30).dt.strftime('%Y-%m-%d').alias("
        "'EXPECTED_INSTALL_DATE'),\n)\nchanges",
        "## Plan: validate and diff\n\n`ws.plan` reads the current values from PowerClerk (not the cache, so "
        "undo restores what was really there), checks every value against the form schema, and shows the diff. "
        "Nothing is sent yet.",
        "plan = ws.plan(changes, action='set', form='APPLICATION')\nplan",
        "## Bad input is caught before any call\n\nA comma decimal, a value below the field's minimum and an "
        "invalid workflow step are reported on their rows; such a plan refuses to execute.",
        "p = approved['project_number'].to_list()\n"
        "bad = ws.plan([\n"
        "    {'action': 'set', 'project': p[0], 'form': 'APPLICATION', 'field': 'SYSTEM_SIZE_KW', 'value': '7,5'},\n"
        "    {'action': 'set', 'project': p[1], 'form': 'APPLICATION', 'field': 'SYSTEM_SIZE_KW', 'value': 0.01},\n"
        "    {'action': 'status', 'project': p[2], 'status': 'Application Submitted'},\n"
        "])\nbad.problems",
        "## Execute (explicit confirmation)\n\n`execute(confirm=True)` sends one rate-limited operation per "
        "project, journaling each before it is sent and after it answered. A failed row does not stop the "
        "others; re-running the same plan sends only what is missing.",
        "if allow_writes:\n    result = plan.execute(confirm=True, progress=False)\n    display(result)\n"
        "else:\n    print('writes are off for', environment)",
        "## The journal\n\nOne row per operation: state, the before-values and the request id PowerClerk support "
        "can trace.",
        "ws.journal(plan.batch_id).select('seq', 'project_number', 'target', 'state', 'request_id', 'before')",
        "### Re-running is safe\n\nRe-planning the same change: finished operations show as `done` and are skipped.",
        "ws.plan(changes, action='set', form='APPLICATION').diff.select('project_number', 'current', 'new', 'check')",
        "## Undo\n\n`ws.undo(batch)` is itself a plan: it restores the journaled before-values, with its own "
        "diff and confirmation.",
        "if allow_writes:\n    undo = ws.undo(plan.batch_id)\n    display(undo)\n"
        "    display(undo.execute(confirm=True, progress=False))\n"
        "    display(ws.journal(plan.batch_id).select('seq', 'project_number', 'state', 'error'))",
        "## The same from the magic\n\n```\n%load_ext pcnb\n%powerclerk connect --sandbox\n"
        "%powerclerk set DGI-00011 DGI-00012 INSTALLER='Volt Bros' --form APPLICATION   # shows the plan\n"
        "%powerclerk apply                                                               # sends it\n"
        "%powerclerk journal --undo wb-...  --yes\n```\n\nor a whole batch in one cell:\n\n```\n"
        "%%powerclerk --yes\nstatus DGI-00011 --to 'Inspection Pending' --auto-communication off\n"
        "note DGI-00012 --subject 'Site photos' --text 'Please upload site photos.'\n```\n\n"
        "`%powerclerk browse` opens the project browser: filter, select rows, Plan, Execute.",
    ],
}


def build() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells.append(new_markdown_cell(cells[0]))
        nb.cells.append(new_code_cell(PARAMS, metadata={"tags": ["parameters"]}))
        for text in cells[1:]:
            is_md = text.startswith("#") and not text.startswith("# Parameters")
            nb.cells.append(new_markdown_cell(text) if is_md else new_code_cell(text))
        nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    build()
