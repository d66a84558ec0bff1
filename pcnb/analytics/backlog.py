"""M14 inquiry backlog: who must answer, how long it has waited, response times.

A thread waits on the applicant when its last note is the utility's, and on the utility when the
last note is the applicant's (an open thread with no notes waits on the utility). Everything is
computed as the data stood at ``as_of`` (threads and notes created later are left out, a thread
closed later was open then; see :mod:`pcnb.analytics.asof`).

Threads of projects in a final status at ``as_of`` (pass ``intervals`` and the program's
``final`` statuses) are their own group, ``project_final``: the summary leaves them out by default,
because nobody will answer them and they would inflate the backlog.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.asof import OPEN_THREAD, cut_notes, cut_threads, lit, resolve
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need


def _turns(notes: pl.DataFrame) -> pl.DataFrame:
    return notes.sort("thread_id", "seq").with_columns(
        (pl.col("is_admin") != pl.col("is_admin").shift(1).over("thread_id")).fill_null(True).alias("turn"))


#: The ``waiting_on`` group of threads whose project is in a final status (``finished="group"``).
FINISHED = "finished project"


def _final_stays(intervals: pl.DataFrame, final: Iterable[str] | None, as_of: datetime) -> pl.DataFrame:
    """Each project's stays in a final status: project_id, fin_start, fin_end (``as_of`` while open)."""
    final = need(final, "final", "backlog_over_time",
                 "the program's final statuses (roles.final) (needed with intervals=)")
    return intervals.filter(pl.col("status").is_in(list(final))).select(
        "project_id", pl.col("entered").alias("fin_start"), pl.coalesce("exited", lit(as_of)).alias("fin_end"))


def _final_projects(intervals: pl.DataFrame | None, final: Iterable[str] | None) -> pl.DataFrame:
    if intervals is None:
        return pl.DataFrame(schema={"project_id": pl.String})
    final = need(final, "final", "thread_state", "the program's final statuses (roles.final) (needed with intervals=)")
    return intervals.filter(pl.col("is_open") & pl.col("status").is_in(list(final))).select("project_id").unique()


def thread_state(threads: pl.DataFrame, notes: pl.DataFrame, calendar: Calendar | None = None,
                 as_of: datetime | None = None, intervals: pl.DataFrame | None = None,
                 final: Iterable[str] | None = None) -> pl.DataFrame:
    """Per thread at ``as_of``: waiting_on (utility/applicant/none), waiting_bdays since the first
    unanswered note, and ``project_final`` (the project was in one of ``final`` at ``as_of``;
    needs ``intervals`` built at the same ``as_of``)."""
    cal = calendar or Calendar()
    at = resolve(as_of)
    threads = cut_threads(threads, notes, at)  # before cutting notes: a later note means open then
    notes = cut_notes(notes, at)
    # the unanswered run: notes after the last change of side
    last_side = _turns(notes).group_by("thread_id").agg(
        pl.col("is_admin").last().alias("last_admin"),
        pl.col("ts").filter(pl.col("turn")).last().alias("waiting_since"))
    t = threads.with_columns(pl.col("status").cast(pl.String)).join(last_side, on="thread_id", how="left")
    waiting = (pl.when(pl.col("status") != OPEN_THREAD).then(pl.lit("none"))
               .when(pl.col("last_admin").is_null() | ~pl.col("last_admin")).then(pl.lit("utility"))
               .otherwise(pl.lit("applicant")))
    since = pl.coalesce("waiting_since", "created")
    done = _final_projects(intervals, final).with_columns(pl.lit(True).alias("project_final"))
    return t.join(done, on="project_id", how="left").with_columns(
        pl.col("project_final").fill_null(False), waiting.alias("waiting_on")).with_columns(
        pl.when(pl.col("waiting_on") != "none").then(cal.business_days(since, lit(at))).alias("waiting_bdays")
    ).sort("thread_id")


def backlog_summary(state: pl.DataFrame, finished: Literal["exclude", "group", "include"] = "exclude",
                    min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Open threads by who must answer: count, oldest and median wait (business days).

    ``finished``: threads of projects in a final status are left out (default), shown as their
    own group ``finished project`` ("group"), or counted with the others ("include"). The median
    is suppressed below ``min_n`` threads (the count and the oldest wait stay)."""
    open_ = state.filter(pl.col("waiting_on") != "none")
    if finished == "exclude":
        open_ = open_.filter(~pl.col("project_final"))
    elif finished == "group":
        open_ = open_.with_columns(pl.when(pl.col("project_final")).then(pl.lit(FINISHED))
                                   .otherwise(pl.col("waiting_on")).alias("waiting_on"))
    out = open_.group_by("waiting_on").agg(
        pl.len().cast(pl.Int64).alias("open_threads"), pl.col("waiting_bdays").max().alias("oldest_bdays"),
        pl.col("waiting_bdays").median().alias("median_bdays")).sort("waiting_on")
    return minn.apply(out, "open_threads", ["median_bdays"], min_n)


def response_times(notes: pl.DataFrame, calendar: Calendar | None = None, within_bdays: int = 3,
                   as_of: datetime | None = None, threads: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every request and its response at ``as_of``.

    A request is a run of notes from one side; it is answered by the other side's next note.
    ``response_bdays`` counts business days from the request's first note to the answer.
    Requests still unanswered at ``as_of`` (on threads open then; all, if ``threads`` is not given)
    have ``answered`` null and ``age_bdays``. ``late``: answered after more than ``within_bdays``,
    or unanswered and already older than that (the FERC 845 "C" term, as in the SLA);
    ``on_time``: answered within ``within_bdays`` (null while unanswered)."""
    cal = calendar or Calendar()
    at = resolve(as_of)
    open_ids = None if threads is None else cut_threads(threads, notes, at).filter(
        pl.col("status").cast(pl.String) == OPEN_THREAD)["thread_id"]
    notes = cut_notes(notes, at)
    n = _turns(notes).with_columns(pl.col("turn").cum_sum().over("thread_id").alias("run"))
    runs = n.group_by("thread_id", "run").agg(pl.col("is_admin").first(), pl.col("ts").min().alias("asked"),
                                             pl.col("project_id").first())
    runs = runs.sort("thread_id", "run").with_columns(pl.col("asked").shift(-1).over("thread_id").alias("answered"))
    if open_ids is not None:
        runs = runs.filter(pl.col("answered").is_not_null() | pl.col("thread_id").is_in(open_ids.implode()))
    out = runs.with_columns(
        pl.when(pl.col("is_admin")).then(pl.lit("applicant")).otherwise(pl.lit("utility")).alias("responder"),
        pl.when(pl.col("answered").is_not_null()).then(cal.business_days(pl.col("asked"), pl.col("answered")))
        .alias("response_bdays"),
        pl.when(pl.col("answered").is_null()).then(cal.business_days(pl.col("asked"), lit(at))).alias("age_bdays"))
    return out.with_columns(
        (pl.col("response_bdays") <= within_bdays).alias("on_time"),
        pl.coalesce(pl.col("response_bdays") > within_bdays, pl.col("age_bdays") > within_bdays).alias("late"),
    ).select("thread_id", "project_id", "responder", "asked", "answered", "response_bdays", "age_bdays", "on_time",
             "late").sort("asked", "thread_id")


def response_summary(responses: pl.DataFrame, min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Per responder, counted like the SLA: A answered, B answered late, C unanswered and already
    late; pct_late = (B + C) / (A + C), on_time_rate = (A - B) / A, median response (answered).
    Rates and the median are suppressed when A + C < ``min_n``."""
    a = (pl.col("answered").is_not_null()).sum().cast(pl.Int64).alias("answered")
    out = responses.group_by("responder").agg(
        a, (pl.col("answered").is_not_null() & pl.col("late")).sum().cast(pl.Int64).alias("answered_late"),
        (pl.col("answered").is_null() & pl.col("late")).sum().cast(pl.Int64).alias("unanswered_late"),
        pl.col("answered").is_null().sum().cast(pl.Int64).alias("unanswered"),
        pl.col("response_bdays").median().alias("median_bdays"))
    a_, b_, c_ = pl.col("answered"), pl.col("answered_late"), pl.col("unanswered_late")
    out = out.with_columns((a_ + c_).alias("n"),
                           pl.when(a_ + c_ > 0).then((b_ + c_) / (a_ + c_)).alias("pct_late"),
                           pl.when(a_ > 0).then((a_ - b_) / a_).alias("on_time_rate")).sort("responder")
    return minn.apply(out, "n", ["pct_late", "on_time_rate", "median_bdays"], min_n)


def backlog_over_time(threads: pl.DataFrame, notes: pl.DataFrame, calendar: Calendar | None = None,
                      as_of: datetime | None = None, intervals: pl.DataFrame | None = None,
                      final: Iterable[str] | None = None,
                      finished: Literal["exclude", "group", "include"] = "exclude") -> pl.DataFrame:
    """Open threads per local day by who must answer: date, waiting_on, threads.

    Each note starts a wait on the other side that lasts until the next note. An open thread's
    last wait runs to ``as_of``; a closed thread ends at its last note (V2 gives no close time). A
    thread with no notes waits on the utility from its creation. A thread counts on the days in
    [start, end) of its wait, so a same-day answer never shows as backlog.

    With ``intervals`` (built at the same ``as_of``) and the program's ``final`` statuses, the part
    of a wait while its project is in a final status is, as in :func:`backlog_summary`, left out
    (``finished="exclude"``, the default: nobody will answer it), its own ``waiting_on`` group
    ``finished project`` ("group"), or counted with the others ("include"). A thread counts as
    finished from the day its project finishes (open threads at the end of each day).
    """
    cal = calendar or Calendar()
    as_of = resolve(as_of)
    schema = {"date": pl.Date, "waiting_on": pl.String, "threads": pl.Int64}
    threads = cut_threads(threads, notes, as_of)
    notes = cut_notes(notes, as_of)
    if threads.height == 0:
        return pl.DataFrame(schema=schema)
    t = threads.select("thread_id", pl.col("status").cast(pl.String), "created")
    n = notes.select("thread_id", "seq", "is_admin", "ts").sort("thread_id", "seq")
    waits = n.with_columns(pl.col("ts").shift(-1).over("thread_id").alias("end")).join(t, on="thread_id")
    open_end = lit(as_of)
    waits = waits.select(
        "thread_id",
        pl.when(pl.col("is_admin")).then(pl.lit("applicant")).otherwise(pl.lit("utility")).alias("waiting_on"),
        pl.col("ts").alias("start"),
        pl.coalesce("end", pl.when(pl.col("status") == OPEN_THREAD).then(open_end).otherwise(pl.col("ts")))
        .alias("end"))
    silent = t.join(n.select("thread_id").unique(), on="thread_id", how="anti").select(
        "thread_id", pl.lit("utility").alias("waiting_on"), pl.col("created").alias("start"),
        pl.when(pl.col("status") == OPEN_THREAD).then(open_end).otherwise(pl.col("created")).alias("end"))
    waits = pl.concat([waits, silent])
    pieces = [waits.select("waiting_on", "start", "end", pl.lit(1).alias("d"))]
    if intervals is not None and finished != "include":
        # the finished part of each wait: its overlap with the project's stays in a final status
        owner = threads.select("thread_id", "project_id")
        done = _final_stays(intervals, final, as_of).join(waits.join(owner, on="thread_id"), on="project_id")
        done = done.select("waiting_on", pl.max_horizontal("start", "fin_start").alias("start"),
                           pl.min_horizontal("end", "fin_end").alias("end")).filter(pl.col("start") < pl.col("end"))
        pieces.append(done.with_columns(pl.lit(-1).alias("d")))
        if finished == "group":
            pieces.append(done.with_columns(pl.lit(FINISHED).alias("waiting_on"), pl.lit(1).alias("d")))
    segs = pl.concat(pieces).with_columns(cal.local_date("start").alias("d0"), cal.local_date("end").alias(
        "d1")).with_columns(
        pl.when(pl.col("end") >= open_end).then(pl.col("d1") + pl.duration(days=1)).otherwise(pl.col("d1"))
        .alias("d1")).filter(pl.col("d0") < pl.col("d1"))
    if segs.height == 0:
        return pl.DataFrame(schema=schema)
    deltas = pl.concat([segs.select("waiting_on", pl.col("d0").alias("date"), "d"),
                        segs.select("waiting_on", pl.col("d1").alias("date"), -pl.col("d"))])
    deltas = deltas.group_by("waiting_on", "date").agg(pl.col("d").sum())
    lo: date = segs["d0"].min()  # type: ignore[assignment]
    hi = as_of.astimezone(ZoneInfo(cal.timezone)).date()
    days = pl.DataFrame({"date": pl.date_range(lo, max(hi, lo), "1d", eager=True)})
    sides = ["utility", "applicant"] + ([FINISHED] if finished == "group" and intervals is not None else [])
    grid = days.join(pl.DataFrame({"waiting_on": sides}), how="cross")
    out = grid.join(deltas, on=["waiting_on", "date"], how="left").with_columns(pl.col("d").fill_null(0))
    return out.sort("waiting_on", "date").with_columns(
        pl.col("d").cum_sum().over("waiting_on").cast(pl.Int64).alias("threads")).select(list(schema)).sort(
        "date", "waiting_on")
