"""Forecast commands: when will projects be done, and which need attention now (pcnb.forecast).

``forecast [PROJECT ...]``: the per-project forecasts of every open project (or of these);
``watch``: the early-warning list (deadlines likely to run out within N business days, projects
stuck past the 95th percentile of their status). Both read the cache and the program profile only.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import polars as pl

from pcnb import clock
from pcnb.commands.base import Command, CommandError, Session


def as_of_of(text: str | None, timezone: str) -> dt.datetime | None:
    """``--as-of``: a date is the end of that local day (the program's zone), a date-time is local
    unless it carries an offset; None is now."""
    if not text:
        return None
    try:
        return clock.instant(text, timezone)
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not an ISO date", "use e.g. 2026-01-31 or 2026-01-31T17:00") from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", help="point in time: ISO date (the end of that local day) or date-time; default now")
    p.add_argument("--paths", type=int, default=1000, help="simulated futures per project (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same forecast")


def _forecast_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("projects", nargs="*", metavar="PROJECT", help="project numbers or ids (default: every open one)")
    p.add_argument("--horizon", type=int, default=730, help="calendar days ahead (default 730)")
    _common(p)


def _ids(ws: Any, keys: list[str]) -> list[str]:
    projects = ws.projects().select("project_id", "project_number")
    by_number = dict(zip(projects["project_number"].to_list(), projects["project_id"].to_list(), strict=True))
    ids = set(projects["project_id"].to_list())
    out = []
    for key in keys:
        pid = key if key in ids else by_number.get(key)
        if pid is None:
            raise CommandError(f"project {key!r} is not in the cache", "run `%powerclerk sync`, or check the number")
        out.append(pid)
    return out


def cmd_forecast(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    ws = session.require()
    tz = ws.profile.calendar.timezone
    fc = ws.forecast(as_of_of(args.as_of, tz), args.horizon, paths=args.paths, seed=args.seed,
                     projects=_ids(ws, args.projects) if args.projects else None)
    numbers = ws.projects().select("project_id", "project_number")
    out: pl.DataFrame = fc.projects.join(numbers, on="project_id", how="left")
    return out.select("project_number", *fc.projects.columns)


def _watch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--within", type=int, default=5, help="business days ahead (default 5)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="list a deadline when its chance of running out is at least this (default 0.5)")
    p.add_argument("--drafts", action="store_true", help="list stuck drafts (not yet submitted) too")
    _common(p)


def cmd_watch(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    ws = session.require()
    out: pl.DataFrame = ws.at_risk(args.within, as_of_of(args.as_of, ws.profile.calendar.timezone), args.threshold,
                                   args.drafts, paths=args.paths, seed=args.seed)
    return out


FORECAST = Command("forecast", "when will each open project be done? (forecast)",
                   "Per open project: P(each outcome), the dates it is done by in 10/50/90 % of simulated futures, "
                   "P(meeting its deadlines), the business days the utility and the applicant will still hold it; "
                   "learned from the cached histories (docs/forecast.md).", cmd_forecast, _forecast_args)
WATCH = Command("watch", "early warning: deadlines likely to run out soon, stuck projects",
                "Projects whose deadline will likely run out within --within business days (with who holds them "
                "now), and projects in their status longer than 95 % of stays there.", cmd_watch, _watch_args)
