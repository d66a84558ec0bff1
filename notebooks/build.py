"""Regenerate the prebuilt notebooks from the cell texts below: `python notebooks/build.py`.

Kept as code so the notebooks stay consistent (same parameters cell, same connection code) and
reviewable as plain diffs; the .ipynb files are the product and are committed too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

PARAMS = '''# Parameters (papermill): environment is "sandbox" (default, no credentials), "trial" or "production".
# Real credentials come from PCNB_* environment variables or the keyring, never from this cell.
environment = "sandbox"
program = None  # sandbox: a built-in program ("residential", "rebate", "large-dg") or a definition file; else the id
start_date = "2024-01-01"  # first local day of the period shown (program time zone)
as_of = ""  # point in time: ISO date (the end of that local day) or date-time; empty means now
'''
SETUP = '''import datetime as dt
import plotly.io as pio
import polars as pl
import pcnb.analytics  # registers df.pc
from pcnb import charts
from pcnb.notebook_setup import setup
from pcnb.reportview import period_words, summary, title_block

pio.renderers.default = "plotly_mimetype+notebook"  # interactive in Jupyter, self-contained in HTML reports
nb = setup(environment, program, start_date, as_of)  # connect, sync (its progress shows), profile, stays at as_of
globals().update(nb.names())  # ws, prof, cal, final, intake, completion, as_of_ts, events, intervals, in_period
display(title_block(ws, as_of_ts, period=period_words(start_day, events, cal.timezone)))
print(report)
'''

#: parameters some notebooks add to PARAMS (papermill reads one parameters cell)
EXTRA_PARAMS = {
    "06_forecast": '''horizon = 730  # calendar days ahead of as_of for the per-project forecasts
weeks = 26  # weeks of the backlog forecast
within = 5  # early warning: deadlines likely to run out within this many business days
surge = 2.0  # what-if: new projects arrive this many times as fast
review_factor = 0.5  # what-if: the first review status takes this many times as long: 0.5 is twice the reviewers
deadline_days = 0  # what-if: the first status deadline becomes this many days; 0 leaves it unchanged
''',
    "07_compliance": '''rules = ""  # a rule file (YAML, docs/compliance.md); empty: the sandbox program's own example
period = ""  # 2025Q3, 2025H1 or 2025; empty: the last complete period of the rule file's kind at as_of
sync = True  # False: read the cache as it is (a compliance pack's report shows what its tables were built from)
''',
}

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
        "open_ = projects.filter(~pl.col('status').is_in(final))\n"
        "summary({'projects': projects.height, 'in progress (not final)': open_.height, "
        "f'reached {completion}': projects.filter(pl.col('status') == completion).height, "
        "'inquiry threads': ws.inquiry_threads().height})",
        "projects.group_by('status').len().sort('len', descending=True)",
        "## Status history\n\nOne row per status entry, oldest first per project: the event log all timing "
        "metrics are computed from.",
        "events.head(10)",
        "## Inquiry threads and notes",
        "ws.inquiry_threads().head(5)",
        "ws.inquiry_notes().group_by('is_admin').len()",
    ],
    "02_pipeline_throughput": [
        "# Pipeline throughput\n\nHow many applications arrive and leave each month, and where work accumulates.",
        SETUP,
        "## Arrivals and completions\n\nAn arrival is an application reaching the program's first review status "
        "for the first time; a completion, one reaching its completion status (the chart's title names the two statuses); a "
        "departure, one reaching any final status (completed, withdrawn, cancelled or rejected), counted in the "
        "table by month. When more arrive than depart, the work in progress grows. The table also counts "
        "re-openings (a final status left again); its last column adds up the monthly changes from its first month.",
        "from pcnb import appendix, frameview, headlines\n"
        "from pcnb.reportview import in_short\n"
        "months = in_period.pc.flow(arrival=intake, exits=final, every='1mo', calendar=cal)\n"
        "open_now = intervals.filter(pl.col('is_open') & ~pl.col('status').is_in(final))\n"
        "drafts = open_now.filter(pl.col('status').is_in(prof.roles.draft)).height  # not yet submitted\n"
        "flow = in_period.pc.throughput(statuses=[intake, completion], every='1mo', calendar=cal)\n"
        "local_day = as_of_ts.astimezone(local).date()\n"
        "# the 12 complete months page 1 speaks of, and the month under way marked as partial\n"
        "done = f'Reached {completion}'  # the chart's second bars, beside every departure\n"
        "completed = flow.filter(pl.col('status') == completion).select('period', pl.col('count').alias(done))\n"
        "shown = (months.tail(13).join(completed, on='period', how='left').with_columns(pl.col(done).fill_null(0))\n"
        "         .select('period', 'arrivals', done, pl.exclude('period', 'arrivals', done))  # `months`: every digit\n"
        "         .with_columns(pl.col('net_flow').cum_sum().alias('cumulative_net')))  # from the table's first month\n"
        "first = shown['period'][0]\n"
        "table = frameview.partial_month(frameview.for_managers(shown), local_day).rename(\n"
        "    {'Net change since the period began': f'Total change since {first:%b} 1, {first.year}'})\n"
        "caption = 'Arrivals, completions and departures by month, the last 12 complete months and this one'\n"
        "waiting = headlines.open_work_table(open_now, leave_out=prof.roles.draft, holders=prof.holders)\n"
        "in_short(headlines.flow_sentences(months, as_of_ts, cal.timezone, open_now.height, drafts)\n"
        "         + headlines.waiting_sentence(open_now, leave_out=prof.roles.draft, holders=prof.holders),\n"
        "         figures=[appendix.pointer(table, caption, place=\"page 1's sentences\", what='the months'),\n"
        "                  appendix.pointer(waiting, 'The work in progress now: each status of the submitted work, most first, then the totals (shares rounded)',\n"
        "                                   place=\"page 1's sentence on where the open work waits\", what='the open work by status')])",
        "chart = charts.throughput_chart(flow, as_of_ts, cal=cal)\n"
        "# the table beneath the chart (in a report, in its appendix: a chart that fills its page left it alone)\n"
        "display(chart, appendix.behind(table, caption, chart=chart, what='Arrivals, completions and departures by month'))",
        "## Work in progress by status\n\nProjects in each status that is not final, at the end of each day: the "
        "bands stack up to all the work in progress, drafts not yet submitted included.",
        "wip = intervals.pc.wip(terminal=final, calendar=cal, start=start_day)\n"
        "chart = charts.cumulative_flow_chart(wip, as_of_ts, timezone=cal.timezone)\n"
        "display(chart, appendix.behind(waiting, 'The work in progress now: each status of the submitted work, most first, then the totals (shares rounded)',\n"
        "                               chart=chart, what='The work in progress now, by status'))",
        "## Completions by installer\n\nApplications reaching the completion status (named in the table's title) "
        "each month, over the last 12 complete months and this one, for the five installers (the company each project is filed under) "
        "with the most projects in the program, in any status; then all other installers together, and the total.",
        "top = ws.projects().group_by('owner_name').len().sort(['len', 'owner_name'], descending=[True, False])"
        ".head(5)['owner_name'].to_list()\n"
        "seg = in_period.join(ws.projects().select('project_id', 'owner_name'), on='project_id')\n"
        "done = seg.pc.throughput(statuses=[completion], every='1mo', by='owner_name', calendar=cal)\n"
        "grid = frameview.top_grid(done, 'owner_name', top, months['period'].tail(13).to_list())  # as the table above\n"
        "frameview.captioned(frameview.partial_month(frameview.for_managers(grid), local_day), "
        "f'Projects reaching {completion}, by month and installer')",
    ],
    "03_time_in_status": [
        "# Time in status and SLA compliance\n\nHow long applications sit in each status, and how often they miss "
        "the program's deadlines: the applications that entered a status from the first day of the period (the "
        "Period line below).",
        SETUP,
        "from pcnb import appendix, frameview, headlines\n"
        "from pcnb.reportview import in_short\n"
        "said, figures = headlines.for_profile(prof, events, as_of_ts)  # the last 3 complete months vs the 3 before\n"
        "where = [appendix.behind(figures, 'The last 3 complete months against the 3 before, per status under review or '\n"
        "                                  'with a deadline, as the data stood at the end of each (medians count the '\n"
        "                                  'stays still open, at their age then)', place=\"page 1's sentences\",\n"
        "                         what=f\"{figures['Entered in'][0]} against {figures['Entered in'][1]}\")\n"
        "         if figures.height else None]\n"
        "if prof.deadlines:  # and every deadline of the profile, each in its own unit (the SLA chart's table)\n"
        "    sla = ws.deadline_compliance(as_of_ts, since=start_day)\n"
        "    sla_table = frameview.for_managers(sla)\n"
        "    said += headlines.deadline_sentences(sla, since=start_day)\n"
        "    where.append(appendix.pointer(sla_table, \"Each deadline's counts\", place=\"page 1's sentences\",\n"
        "                                  what=f'the deadlines since {start_day:%b} {start_day.day}, {start_day.year}'))\n"
        "open_now = intervals.filter(pl.col('is_open') & ~pl.col('status').is_in(final))\n"
        "waiting = headlines.open_work_table(open_now, leave_out=prof.roles.draft, holders=prof.holders)\n"
        "where.append(appendix.pointer(waiting, 'The work in progress now: each status of the submitted work, most first, then the totals (shares rounded)',\n"
        "                              place=\"page 1's sentence on where the open work waits\", what='the open work by status'))\n"
        "in_short(said + headlines.waiting_sentence(open_now, leave_out=prof.roles.draft, holders=prof.holders),\n"
        "         figures=where)",
        "## Time in status\n\nBusiness days in each status, over the stays that finished (a stay: one application's "
        "time in one status, from entering it to leaving it; one sent back and resubmitted has a second). The table of its figures also "
        "counts the stays still open, at their age so far, so a period whose slow applications are still "
        "waiting does not look faster than it is. Statuses with fewer than 10 stays are not shown.",
        "tis = in_period.pc.time_in_status(terminal=final)  # every percentile, calendar days too (the chart's table has\n"
        "# the figures a reader needs: the finished stays' percentiles and the Kaplan-Meier ones, counting open stays)\n"
        "active = [s.name for s in prof.statuses if s.name not in final and s.name not in prof.roles.draft]\n"
        "charts.time_in_status_chart(in_period, as_of_ts, cal, statuses=active,\n"
        "                           deadlines=charts.status_deadlines(prof.deadlines),\n"
        "                           unplotted=charts.unplotted_deadlines(prof.deadlines))",
        "## SLA compliance\n\nEvery deadline set for this program (from its tariff), from the "
        "period's start. A project counts once it has finished the step, or is still in it and already past "
        "the deadline; \"missed\" is the late finishers and the open late ones together. Open projects still "
        "within the deadline are not counted yet. A rejection is the utility's decision, so it finishes the step; "
        "a step the applicant left (withdrawn, cancelled, expired) is counted apart, as \"left before the end\". "
        "A status's deadline counts each project's first stay there, so its counts are below the "
        "time-in-status chart's. A deadline's clock runs throughout the step, unless its row says \"the utility's "
        "days only\": then it stops while the applicant holds the project.",
        "if prof.deadlines:\n"
        "    chart = charts.sla_chart(sla, as_of_ts, cal)  # its counts beneath it (a report's appendix)\n"
        "    display(chart, appendix.behind(sla_table, \"Each deadline's counts\", chart=chart))\n"
        "else:  # a real program's deadlines come from its tariff: set them once in the profile\n"
        "    from IPython.display import Markdown\n"
        "    display(Markdown('*No deadlines in the program profile yet: set them with "
        "`%powerclerk profile set deadlines.STATUS DAYS`.*'))",
        "### By installer\n\nFor the five installers with the most projects (the company each project is "
        "filed under), how often their projects missed each status's deadline, statuses in the process's order. A high "
        "share says where that installer's projects waited, not who made them wait.",
        "from pcnb.analytics.segments import project_attributes, segmented\n"
        "units = [d.unit for d in prof.deadlines if d.status and d.track is None]\n"
        "unit = max(set(units), key=units.count) if units else None  # the unit most of them use\n"
        "deadlines = {d.status: int(d.days) for d in prof.deadlines if d.status and d.track is None and d.unit == unit}\n"
        "timed = in_period.pc.business_hours(cal, as_of_ts) if unit == 'business_hours' else in_period\n"
        "attrs = project_attributes(ws.projects())\n"
        "top = (attrs.group_by('owner_name').len()  # ties by name: the same five as notebook 02's\n"
        "       .sort(['len', 'owner_name'], descending=[True, False]).head(5)['owner_name'])\n"
        "order = {s.name: i for i, s in enumerate(prof.statuses)}\n"
        "if deadlines:\n"
        "    by_owner = (segmented(timed, attrs, 'owner_name').filter(pl.col('owner_name').is_in(top.to_list()))\n"
        "                .pc.sla(deadlines, by='owner_name', unit=unit))\n"
        "    by_owner = by_owner.sort(pl.col('status').cast(pl.String).replace_strict(order, default=len(order)), "
        "'owner_name')\n"
        "    # the deadlines not in this table, said only where there are any (a reviewer tripped on a sentence about\n"
        "    # other units on a program that had none)\n"
        "    others = [d.words() for d in prof.deadlines if not (d.status in deadlines and d.track is None and d.unit == unit)]\n"
        "    rest = f\". Not in this table, in the SLA compliance chart only: {'; '.join(others)}\" if others else ''\n"
        "    display(frameview.captioned(frameview.for_managers(by_owner),\n"
        "                                f\"How often each installer's projects missed each status's deadline (set in {unit.replace('_', ' ')}){rest}\"))\n"
        "else:\n"
        "    from IPython.display import Markdown\n"
        "    display(Markdown('*No deadline is set on a single status in the program profile: nothing to show by installer.*'))",
        "## Aging work in progress\n\nEach dot is an application still in that status at the report's as-of time "
        "(final statuses are not work in progress and are left out, whatever the period's start); the grey band is the "
        "usual time of finished stays (median to 90th percentile, as in the time in status chart), the dashed line the status's deadline. Every "
        "open stay counts here, a second visit too and whenever it began; the SLA compliance section counts only "
        "each project's first stay from the period's start, so its open counts are smaller.",
        "chart = charts.aging_chart(intervals.filter(~pl.col('status').is_in(prof.roles.draft)), as_of_ts, cal, "
        "terminal=final, deadlines=charts.status_deadlines(prof.deadlines))\n"
        "display(chart, appendix.behind(waiting, 'The work in progress now: each status of the submitted work, most first, then the totals (shares rounded)',\n"
        "                               chart=chart, what='Each status\\'s open applications and their median age'))",
        "## Bottlenecks\n\nEach row is one kind of move from a status to the next, slowest first: the business days "
        "applications spent in the first status before that move, the solid bar to the median, the light one on to "
        "the 90th percentile. "
        "A status is split by where its applications went next (on to the next step, or back a step), so a slow way "
        "out of a quick status shows here and not in the time in status chart.",
        "ends = [s for kind, names in prof.roles.exits.items() if kind != 'completed' for s in names]  # not a wait to move on\n"
        "charts.bottleneck_chart(in_period.pc.bottlenecks(), as_of_ts, timezone=cal.timezone, ends=ends, holders=prof.holders)",
        "## Time to outcome\n\nFrom intake to a final status, for the applications first submitted in the period: how "
        "many ended each way so far, the share expected to end each way once the open ones finish (estimated "
        "from how applications of the same age ended; so not simply the finished ones over the total), and how "
        "many business days after intake half of all applications had reached a final status, and each "
        "outcome. Where fewer than half end a given way, there is no such day. An application submitted before "
        "the period began is not counted here, even when it finished within it, so these counts can be a little "
        "below those in the other sections.",
        "outcomes = {kind if [s.lower() for s in statuses] == [kind] else f\"{kind} ({', '.join(statuses)})\": statuses\n"
        "            for kind, statuses in prof.roles.exits.items() if statuses}\n"
        "# each outcome named with its statuses where they say more than its kind (a regulator read 'Cancelled 269'\n"
        "# as the customers' cancellations, when 94 of them had expired; 'Rejected (Rejected)' says nothing more)\n"
        "firsts = intervals.filter(pl.col('status') == intake).group_by('project_id').agg(pl.col('entered').min())\n"
        "submitted = firsts.filter(cal.local_date('entered') >= start_day).select('project_id')  # the period's\n"
        "tto = (intervals.join(submitted, on='project_id', how='semi')  # the analyst's figures\n"
        "       .pc.time_to_outcome(intake, outcomes, calendar=cal, as_of=as_of_ts))\n"
        "frameview.outcome_times(tto)",
        "## Cycle time by submission cohort\n\nThe medians count the applications still open at their age so "
        "far, so recent cohorts do not look faster than they are. A cohort's median is shown once half of it has finished, and only with at "
        "least 10 completions.",
        "cohorts = intervals.pc.cohorts(start=intake, end=completion, calendar=cal, as_of=as_of_ts)\n"
        "shown = frameview.for_managers(cohorts.filter(pl.col('cohort') >= start_day).tail(12))\n"
        "frameview.captioned(frameview.partial_month(shown, as_of_ts.astimezone(local).date(), column='Submitted in'),\n"
        "                    f'Business days from {intake} to {completion}, by the month first submitted: the last 12 months')",
        "## Data quality\n\nWhat in the projects' status histories could make the numbers above misleading: "
        "the checks that found something, and how many projects each affects. Nothing is corrected "
        "automatically. The checks of the inquiries (the questions and answers between the utility and "
        "applicants) are left out: they touch none of these figures.",
        "checks = intervals.pc.data_quality(ws.projects(), ws.inquiry_threads(), ws.inquiry_notes(), as_of_ts,\n"
        "                                   events=events, final=final, unsubmitted=prof.roles.draft)\n"
        "ours = checks.filter(pl.col('unit') == 'projects')  # the status histories this report is built from\n"
        "found = ours.filter(pl.col('affected') > 0)  # the report lists what a check found; `checks` has them all\n"
        "from IPython.display import Markdown\n"
        "display(frameview.for_managers(found.drop('examples')) if found.height else\n"
        "        Markdown(f'*None of the {ours.height} checks of the projects found anything.*'))",
    ],
    "04_inquiry_backlog": [
        "# Inquiry backlog\n\nOpen inquiry threads at the report's as-of time, who must answer next, and how fast each side "
        "responds. Threads of projects already in a final status are shown as their own group: nobody will "
        "answer them.",
        SETUP,
        "from pcnb.analytics.backlog import backlog_summary, response_summary, response_times, thread_state\n"
        "threads, notes = ws.inquiry_threads(), ws.inquiry_notes()\n"
        "state = thread_state(threads, notes, cal, as_of_ts, intervals=intervals, final=final)\n"
        "open_state = state.filter((pl.col('waiting_on') != 'none') & ~pl.col('project_final'))\n"
        "summary({'open threads': open_state.height, 'waiting on the utility': "
        "open_state.filter(pl.col('waiting_on') == 'utility').height, 'waiting on applicants': "
        "open_state.filter(pl.col('waiting_on') == 'applicant').height, 'longest wait (business days)': "
        "open_state['waiting_bdays'].max()})",
        "backlog_summary(state, finished='group')",
        "## Waiting time of open threads\n\nThreads of finished projects left out.",
        "charts.backlog_chart(state.filter(~pl.col('project_final')), as_of_ts, cal)",
        "## Backlog over time\n\nOpen threads at the end of each day, by who must answer next; a finished "
        "project's thread leaves the backlog on the day the project finishes (the backlog trend chart can show "
        "them as a group of their own).",
        "from pcnb.analytics.backlog import backlog_over_time\n"
        "trend = backlog_over_time(threads, notes, cal, as_of_ts, intervals=intervals, final=final)\n"
        "charts.backlog_trend_chart(trend.filter(pl.col('date') >= start_day), as_of_ts, cal)",
        "## Response times\n\nWithin 3 business days, counted like the deadlines: the share late counts the "
        "requests answered late and those still unanswered and already late, out of those answered plus those "
        "unanswered and late. Requests from the start of the period.",
        "rt = response_times(notes, cal, within_bdays=3, as_of=as_of_ts, threads=threads)\n"
        "response_summary(rt.filter(cal.local_date('asked') >= start_day))",
    ],
    "05_write_back": [
        "# Write-back: plan, diff, confirm, journal, undo\n\nFix data in bulk from an analysis, safely, on any program "
        "(its form and field come from the program profile). Every "
        "change is validated against the form schema and the workflow before anything is sent, shown as a diff, "
        "sent only after explicit confirmation, journaled with the request id, and can be undone.",
        "allow_writes = environment == \"sandbox\"  # writes only on the sandbox unless you set True on purpose",
        SETUP,
        "## The change: whole units in the size field\n\nSay the tariff counts system sizes in whole units: "
        "round the size field (the profile's `segments.size`, a `FORM/FIELD` custom id) of eight projects "
        "the utility holds. The current values are read from PowerClerk; the result is an ordinary polars "
        "frame: one `project` column, one column per form field.",
        "form, field = (prof.segments['size'] or '/').split('/')\n"
        "assert field, 'no size field in the profile: %powerclerk profile set segments.size FORM/FIELD'\n"
        "held = [s.name for s in prof.statuses if s.holder == 'utility' and s.name not in final]\n"
        "picked = ws.projects().filter(pl.col('status').is_in(held) & pl.col('project_number').is_not_null()).head(8)\n"
        "def current(pid):\n"
        "    data = ws.client.project_data(ws.program, pid, form)['Project']['DataFields']\n"
        "    return next((f['Value'] for f in data if f['CustomId'] == field), None)\n"
        "values = [current(pid) for pid in picked['project_id']]\n"
        "changes = pl.DataFrame({'project': picked['project_number'],\n"
        "                        field: [round(float(v)) if v else None for v in values]}).drop_nulls()\n"
        "changes",
        "## Plan: validate and diff\n\n`ws.plan` reads the current values from PowerClerk (not the cache, so "
        "undo restores what was really there), checks every value against the form schema, and shows the diff. "
        "Nothing is sent yet.",
        "plan = ws.plan(changes, action='set', form=form)\nplan",
        "## Bad input is caught before any call\n\nA comma decimal, a negative size and a move back to the "
        "draft status are reported on their rows; such a plan refuses to execute.",
        "p = changes['project'].to_list()\n"
        "bad = ws.plan([\n"
        "    {'action': 'set', 'project': p[0], 'form': form, 'field': field, 'value': '7,5'},\n"
        "    {'action': 'set', 'project': p[1], 'form': form, 'field': field, 'value': -1},\n"
        "    {'action': 'status', 'project': p[2], 'status': prof.roles.draft[0]},\n"
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
        "ws.plan(changes, action='set', form=form).diff.select('project_number', 'current', 'new', 'check')",
        "## Undo\n\n`ws.undo(batch)` is itself a plan: it restores the journaled before-values, with its own "
        "diff and confirmation.",
        "if allow_writes:\n    undo = ws.undo(plan.batch_id)\n    display(undo)\n"
        "    display(undo.execute(confirm=True, progress=False))\n"
        "    display(ws.journal(plan.batch_id).select('seq', 'project_number', 'state', 'result'))",
        "## The same from the magic\n\n```\n%load_ext pcnb\n%powerclerk connect --sandbox\n"
        "%powerclerk set DGI-00011 DGI-00012 INSTALLER='Volt Bros' --form APPLICATION   # shows the plan\n"
        "%powerclerk apply                                                               # sends it\n"
        "%powerclerk journal --undo wb-...  --yes\n```\n\nor a whole batch in one cell:\n\n```\n"
        "%%powerclerk --yes --irreversible sandbox\n"
        "status DGI-00011 --to 'Inspection Pending' --auto-communication off\n"
        "note DGI-00012 --subject 'Site photos' --text 'Please upload site photos.'\n```\n\n"
        "A status move or a note has no undo in PowerClerk: such a plan is sent only when the environment "
        "it goes to is named (`--irreversible ENV`, typed in the browser's Confirm box).\n\n"
        "`%powerclerk browse` opens the project browser: filter, select rows, Plan, Execute, Undo last batch.",
    ],
    "06_forecast": [
        "# When will it be done?\n\nForecasts for every open project, the projects that need attention this week, "
        "the backlog over the next months and what changes if applications surge or reviews speed up. Everything "
        "is learned from the program's own status histories up to `as_of` (a semi-Markov model: how long projects "
        "stayed in each status and where they went next, counting the stays still open), so every figure can be "
        "checked against what happened next (the last section does).",
        SETUP,
        "from pcnb.forecast import hindcast\n"
        "numbers = dict(ws.projects().select('project_id', 'project_number').drop_nulls().iter_rows())\n"
        "fc = ws.forecast(as_of_ts, horizon=horizon, within=within)\n"
        "ok = fc.projects.filter(pl.col('supported'))\n"
        "summary({'open projects': fc.projects.height, 'with a forecast': ok.height,\n"
        "         'expected to complete': round(ok['p_completed'].sum()) if 'p_completed' in ok.columns else '-',\n"
        "         f'done by {fc.horizon} in the median future': ok.filter(pl.col('done_p50').is_not_null()).height})",
        "## When will each project be done?\n\nPer open project: the chance of each outcome (`p_completed`, "
        "`p_withdrawn`...), the dates by which it reaches a final status in 10 %, half and 90 % of its simulated "
        "futures (`done_p10/p50/p90`, local dates), the business days the utility and the applicant will still "
        "hold it, and what the forecast was learned from (`basis`). A project the data cannot support (a status "
        "nobody has left yet, a stay longer than any that ended) gets no number but a `note` saying why.",
        "charts.completion_chart(fc, numbers)",
        "fc.projects.with_columns(pl.col('project_id').replace_strict(numbers, default=pl.col('project_id'))"
        ".alias('project'))"
        ".select('project', 'status', 'holder', 'age_bdays', pl.selectors.starts_with('p_'), 'done_p10', "
        "'done_p50', 'done_p90', 'utility_bdays', 'applicant_bdays', 'note').sort('done_p50', nulls_last=True)",
        "## This week: what needs attention?\n\nDeadlines likely to run out within `within` business days "
        "(with who holds the project now: the one who can still act), and projects stuck longer than 95 % of "
        "stays in their status. A manager's Monday list: run this cell with `as_of` empty.",
        "risk = ws.at_risk(within, as_of_ts)\n"
        "charts.at_risk_chart(risk, as_of_ts, within, cal)",
        "## The backlog over the next weeks\n\nWork in progress (every status but the drafts) at the end of each "
        "week: the median of the simulated futures and the 80 % and 95 % bands, new projects included (their "
        "recent rate, trend and seasons, stated under the chart). Then the dates by which half, 90 % and all of "
        "today's backlog is done.",
        "from pcnb.analytics.throughput import wip_by_day\n"
        "b = ws.backlog(weeks, as_of_ts)\n"
        "past = wip_by_day(intervals, terminal=final, calendar=cal, start=as_of_ts.astimezone(local).date() - "
        "dt.timedelta(days=7 * weeks))\n"
        "history = past.filter(~pl.col('status').is_in(prof.roles.draft)).group_by('date').agg(pl.col('wip').sum())\n"
        "display(charts.backlog_forecast_chart(b, cal, history))\n"
        "b.clears",
        "b.wip.filter(pl.col('week') % 4 == 0).pivot(on='status', index=['week', 'date'], values='p50')",
        "## What if?\n\nNew projects arriving `surge` times as fast, the first review status taking "
        "`review_factor` times as long (e.g. with more reviewers), and the first status deadline set to "
        "`deadline_days`: the forecast and the deadline figures beside the baseline (same random draws). The "
        "forecast assumes capacity is unchanged, as the note says: a surge adds work but slows nobody down.",
        "review = next((s for s in prof.roles.review if prof.holders.get(s) == 'utility'), None)\n"
        "first_deadline = next((d.label for d in prof.deadlines if d.status), None)\n"
        "w = ws.whatif(as_of_ts, arrivals=surge, durations={review: review_factor} if review else None,\n"
        "              deadlines={first_deadline: deadline_days} if deadline_days and first_deadline else None,\n"
        "              weeks=weeks, congestion=True)\n"
        "print('; '.join(w.changes), '|', w.notes[0])\n"
        "w.table",
        "w.deadlines",
        "## If the reviewers are the bottleneck\n\nThe congestion model: each utility-held status is a team "
        "that carries at most its peak load of the last 90 days at once; at `surge` times the arrivals, a "
        "project entering a busy status waits for a place. Business days in each status without that limit "
        "and with it (a discrete-event simulation fed by the program's own stays; docs/forecast.md).",
        "from pcnb import frameview\n"
        "frameview.for_managers(w.congestion.table.rename({'days_without_limit': 'days (no limit)', "
        "'days_with_congestion': 'days (with congestion)', 'wait_for_a_place': 'of them waiting', "
        "'wip_without_limit': 'in progress at the end (no limit)', 'wip_with_congestion': "
        "'in progress at the end (with congestion)'}))",
        "## How good are these forecasts?\n\nThe same forecast made half a year before `as_of`, checked "
        "against what happened since: the share of 80 % completion-date ranges that held (about 0.8 is right), "
        "and the Brier score of the outcomes (lower is better) beside the naive answer (the closed projects' "
        "median and shares). `benchmarks/RESULTS.md` has the full back-test on every built-in program.",
        "past_as_of = as_of_ts - dt.timedelta(days=182)\n"
        "past = ws.forecast(past_as_of, horizon=(as_of_ts - past_as_of).days - 1, within=within)\n"
        "hindcast(past, events, as_of_ts)",
    ],
    "07_compliance": [
        "# Compliance with the regulator's timelines\n\nA rule file states the steps a tariff times, the days "
        "each allows and whose days count; this report counts every step over a reporting period as the data "
        "stood at the period's end, with every case behind each figure (docs/compliance.md).",
        SETUP.replace("start_date, as_of)", "start_date, as_of, sync=sync)")
        .replace('display(title_block(ws, as_of_ts, period=period_words(start_day, events, cal.timezone)))\n', ""),
        "from pcnb import frameview\n"
        "from IPython.display import Markdown\n"
        "from pcnb.compliance import counts, inputs, period as periods, trend\n"
        "from pcnb.compliance.cases import late_table\n"
        "from pcnb.compliance.rules import calendar_for, for_profile\n"
        "from pcnb.reportview import in_short\n"
        "from pcnb.sandbox.definition import builtin_rules\n"
        "rule_set = for_profile(rules or builtin_rules(program), prof)\n"
        "label = period or trend.last_complete(as_of_ts, cal.timezone, rule_set.period)\n"
        "size_forms = inputs.size_forms(ws, rule_set)\n"
        "if size_forms and sync:  # levels by size, capacity: each project's size, fetched once (later syncs keep it)\n"
        "    ws.sync(forms=size_forms, progress=False)\n"
        "sized, tiered = inputs.segments(ws, rule_set)  # each project's size and tier, read once\n"
        "(table, found, stays, end), counted = inputs.built(ws, rule_set, label, (sized, tiered))\n"
        "rule_cal = calendar_for(rule_set, prof)  # the tariff's holidays where the rule file names them\n"
        "over = trend.over_periods(events, rule_set, rule_cal, label, final, prof.holders, tiers=tiered, last=table) "
        "if rule_set.steps else None\n"
        "first_day, last_day = periods.parse(label)\n"
        "# without a sync (a pack's report) the page says no time of reading: the same data renders the same page\n"
        "display(title_block(ws, as_of_ts, period=f\"{label}: {first_day} to {last_day} (local)\", "
        "rules=f\"{rule_set.name} ({rule_set.source})\", relative=sync))\n"
        "in_short([*(trend.sentences(over, rule_set) if over is not None else []),\n"
        "          *(counts.sentences(counted[0], rule_set, label) if counted is not None else [])])",
        "if rule_set.steps:  # a file of counts only has no steps' table\n"
        "    display(Markdown(\"## The steps\\n\\nPer step: finished in the period (A), of them late (B), open and already \"\n"
        "                     \"late at the period's end (C), the mean days counted for those finished (D) and the share \"\n"
        "                     \"late, (B + C) / (A + C) (E); the cases open within their days and those that left before \"\n"
        "                     \"the end are counted apart.\"), frameview.for_managers(table))",
        "if counted is not None:  # the decisions a rule file counts (received, approved, denied...) per level\n"
        "    display(Markdown(\"## Decisions counted\\n\\nEach count: the projects that first entered its status in the \"\n"
        "                     \"period (a request re-entered after a deficiency counts once), per level, with their \"\n"
        "                     \"capacity where the rule file sums it.\"),\n"
        "            frameview.for_managers(counted[0].rename({'count': 'decision'})))",
        "if over is not None:\n"
        "    display(Markdown(\"## The trend\\n\\nThe share late of each step over the last four periods, each as the \"\n"
        "                     \"data stood at its own end.\"), trend.trend_chart(over, rule_set, as_of_ts, cal.timezone))",
        "if found.height:  # whose days: what the utility is accountable for, and what others held\n"
        "    display(Markdown(\"## Whose days\\n\\nFor the cases of the period, the mean days each step took, split by \"\n"
        "                     \"who held the project: what the utility is accountable for, and what the applicant or a \"\n"
        "                     \"third party held.\"),\n"
        "            frameview.for_managers(found.group_by('step').agg(pl.len().alias('cases'), pl.col('utility_days').mean(),\n"
        "                                   pl.col('applicant_days').mean(), pl.col('third_party_days').mean()).sort('step')))",
        "late = found.filter(pl.col('verdict').is_in(['late', 'open late'])).sort('counted_days', descending=True)\n"
        "if late.height:  # the cases behind B and C, longest first\n"
        "    shown = min(late.height, 25)\n"
        "    display(Markdown(f\"## The late cases\\n\\nThe {shown} longest of the {late.height:,} cases behind B and C \"\n"
        "                     f\"(every case, and each stay and the days excluded from it, is in the pack's cases.csv \"\n"
        "                     f\"and stays.csv).\"),\n"
        "            late_table(late.head(shown), ws.projects(), cal.timezone))\n"
        "elif rule_set.steps:\n"
        "    display(Markdown(f\"*No case was late in {label}.*\"))",
    ],
    "08_process": [
        "# Where the process loses time\n\nThe status histories read as an event log: the paths projects take "
        "(variants), how they move from status to status (the process map), the loops back that cost days "
        "(rework), and where they leave the program's intended workflow (conformance). Projects whose first "
        "status was entered from `start_date` (local), as the data stood at `as_of`; days are the program's "
        "business days. The figures equal pm4py's where both compute the same thing "
        "(`benchmarks/process.py`, `tests/analytics/test_pm4py_equality.py`).",
        SETUP,
        "from pcnb import processcharts\n"
        "from pcnb.analytics.quality import process_checks, process_statement\n"
        "order = [s.name for s in prof.statuses]  # the workflow's order, as the program lists its statuses\n"
        "outcomes = {kind if [s.lower() for s in statuses] == [kind] else f\"{kind} ({', '.join(statuses)})\": statuses\n"
        "            for kind, statuses in prof.roles.exits.items() if statuses}\n"
        "# each outcome named with its statuses where they say more than its kind (a regulator read 'Cancelled 269'\n"
        "# as the customers' cancellations, when 94 of them had expired; 'Rejected (Rejected)' says nothing more)\n"
        "firsts = intervals.filter(pl.col('visit') == 1).group_by('project_id').agg(pl.col('entered').min())\n"
        "cohort = firsts.filter(cal.local_date('entered') >= start_day).select('project_id')\n"
        "process = intervals.join(cohort, on='project_id', how='semi')  # whole histories of the period's projects\n"
        "checks = process_checks(process, order, events)\n"
        "for line in process_statement(checks):  # what in the data limits what follows (nothing: all clear)\n"
        "    print('⚠', line)",
        "## Variants\n\nEach distinct path through the statuses, most common first: the few that cover 80 % of "
        "projects, the rest as one row. Cycle time is business days from the first status to a final one, "
        "over finished projects (medians of fewer than 10 are suppressed). `repeats='collapse'` folds the "
        "loops, so that paths differ only by the statuses they went through.",
        "from pcnb.analytics.variants import in_variant, project_variants, summarize\n"
        "pv = project_variants(process, final, outcomes=outcomes, order=order)\n"
        "every = summarize(pv)\n"
        "folded = summarize(project_variants(process, final, repeats='collapse', order=order))\n"
        "summary({'projects': pv.height, 'variants': every.height, 'variants, loops folded': folded.height,\n"
        "         'share on the most common path': f\"{every['share'][0]:.0%}\" if every.height else '-'})",
        "processcharts.variants_chart(summarize(pv, share=0.8, k=15), as_of_ts, cal, table=every)",
        "### The projects of one variant\n\n`in_variant` cuts any frame (projects, events, intervals) to the "
        "projects of a variant, to look at them or to analyse them alone.",
        "if every.height:\n"
        "    display(in_variant(ws.projects(), pv, every['variant'][0]).head(5))",
        "## Process map\n\nThe statuses in the workflow's order, top to bottom: moves forward curve right, "
        "moves back (loops) left, as wide as they are frequent; each says how many moves and the median "
        "business days spent in the status before it. Moves rarer than 0.5 % of all are left out (the table "
        "has every one).",
        "pm = process.pc.process_map(order=order, min_share=0.005)\n"
        "processcharts.process_map_chart(pm, as_of_ts, cal, min_share=0.005)",
        "process.pc.process_map(order=order).edges",
        "## Rework\n\nA loop back is a move into a status the project had been in before; a round of rework "
        "runs from leaving that status to leaving it again (the detour and the repeated stay). Its business "
        "days are split by who held each stay (the profile's holders).",
        "from pcnb.analytics.rework import rework, rework_by\n"
        "rw = rework(process, prof.holders, final)\n"
        "reworked = rw.projects.filter(pl.col('rounds') > 0)\n"
        "summary({'projects with rework': reworked.height,\n"
        "         'share of projects': f'{reworked.height / max(rw.projects.height, 1):.0%}',\n"
        "         'business days added (median, reworked projects)': reworked['rework_bdays'].median(),\n"
        "         'of them held by the applicant': f\"{reworked['applicant_bdays'].sum() / max(reworked['rework_bdays']"
        ".sum(), 1):.0%}\"})",
        "processcharts.rework_chart(rw.pairs, as_of_ts, cal)",
        "### By installer\n\nCounts for every installer; rates and medians only over 10 projects or more.",
        "from pcnb.analytics.segments import project_attributes\n"
        "rework_by(rw.projects, project_attributes(ws.projects()), 'owner_name').head(10)",
        "## Conformance to the workflow\n\nThe model is the profile's workflow: its statuses in order, the moves "
        "seen in the histories (those under 1 % of a status's moves count as deviations until you edit the "
        "profile), its final statuses and completion. Each move the model lacks is one deviation: a skipped "
        "step, a step out of order, an unexpected transition or a re-entry.",
        "from pcnb.analytics.conformance import (ProcessModel, conformance, conformance_over_time, deviation_impact,\n"
        "                                        deviations)\n"
        "model = ProcessModel.from_profile(prof)\n"
        "found = deviations(process, model)\n"
        "per = conformance(process, model, found)\n"
        "print('model:', model.describe())\n"
        "summary({'projects': per.height, 'conforming': f\"{per['conforming'].mean():.1%}\" if per.height else '-',\n"
        "         **{f'{k} deviations': int((found['kind'] == k).sum()) for k in ('skipped step', 'out of order',\n"
        "                                                                      'unexpected transition', 're-entry')}})",
        "### Days of impact\n\nPer kind: the median cycle time of finished projects with such a deviation "
        "beside that of conforming projects, and the difference.",
        "deviation_impact(per, found)",
        "### Conformance rate by month of first entry",
        "conformance_over_time(per, cal).tail(12)",
        "### The deviations",
        "found.head(20)",
        "## Data quality\n\nThe checks behind the statements at the top: a row per check, passed or not.",
        "checks",
    ],
}


def build() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells.append(new_markdown_cell(cells[0]))
        nb.cells.append(new_code_cell(PARAMS + EXTRA_PARAMS.get(name, ""), metadata={"tags": ["parameters"]}))
        for text in cells[1:]:
            # a heading ("## Time in status") is markdown; a comment ("# each outcome ...") opens a code cell
            is_md = re.match(r"#{1,6} [A-Z0-9]", text) is not None and not text.startswith("# Parameters")
            nb.cells.append(new_markdown_cell(text) if is_md else new_code_cell(text))
        for i, cell in enumerate(nb.cells):  # stable ids: rebuilding changes only what changed
            cell.id = hashlib.sha1(f"{name}:{i}".encode()).hexdigest()[:8]
        nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    build()
