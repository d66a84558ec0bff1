"""Which state's holidays the utility keeps, read from the days its staff did not work.

A state holiday the profile does not know counts as a business day, so every business-day figure
that spans one is a day long. The histories say which holidays the utility keeps: on a state's
weekday holidays that are not national ones, a utility that keeps them moves (nearly) no project,
while on an ordinary working day its staff move many. The subdivision whose extra holidays are the
quietest, with the most of them to go on, is the guess; a program whose staff work every state
holiday keeps national holidays only, and says so.
"""

from __future__ import annotations

from datetime import date

import holidays
import polars as pl

from pcnb.profile import ProgramProfile

#: Extra holidays must be this quiet (events per day, as a share of an ordinary working day's) to
#: count as kept: one busy day among ten puts a subdivision near 0.1, so 0.05 refuses it.
QUIET = 0.05
#: At least this many of a subdivision's extra weekday holidays inside the data's span.
MIN_DAYS = 3
#: A subdivision's extra holidays must be expected to hold at least this many staff moves had they
#: been working days: seeing none of 10 expected happens by chance once in 22,000 (Poisson), so
#: quiet then means kept; with fewer expected, a quiet day may be chance.
MIN_EXPECTED = 10.0


def infer_subdivision(prof: ProgramProfile, staff_events: pl.DataFrame) -> None:
    """Set ``prof.calendar.subdivision`` from ``staff_events`` (the ``ts`` of moves made by the
    utility's staff, UTC) when one subdivision's extra holidays are all quiet; record the evidence
    under ``guessed`` either way."""
    country, tz = prof.calendar.country, prof.calendar.timezone
    key = "calendar.subdivision"
    days = (staff_events.select(pl.col("ts").dt.convert_time_zone(tz).dt.date().alias("day"))
            .group_by("day").len())
    if days.height == 0:
        return
    per_day = dict(zip(days["day"].to_list(), days["len"].to_list(), strict=True))
    first, last = min(per_day), max(per_day)
    years = range(first.year, last.year + 1)
    mask = prof.calendar.week_mask
    national = set(holidays.country_holidays(country, years=years))
    working = [d for d in pl.date_range(first, last, eager=True).to_list()
               if mask[d.weekday()] != "-" and d not in national]
    baseline = sum(per_day.get(d, 0) for d in working) / max(len(working), 1)
    scored, too_few = [], 0
    for sub in holidays.list_supported_countries().get(country, []):
        extra = _extra(country, sub, years, national, mask, first, last)
        if len(extra) < MIN_DAYS:
            continue
        if len(extra) * baseline < MIN_EXPECTED:
            too_few += 1
            continue
        share = sum(per_day.get(d, 0) for d in extra) / (len(extra) * baseline)
        scored.append((share, -len(extra), sub, len(extra)))
    if not scored and too_few:
        prof.guessed[key] = (f"national holidays only: {baseline:.1f} staff moves per working day are too few to "
                             "tell a state's holidays from chance; add the state (e.g. CA) and the utility's closures")
        return
    quiet = sorted(s for s in scored if s[0] <= QUIET)
    if not quiet:
        thin = (f"; for {too_few} other states the data is too thin to tell: add the state (e.g. CA) if the "
                "utility keeps its holidays" if too_few else "; add the utility's own closures if it has any")
        prof.guessed[key] = (f"national holidays only: the utility's staff worked on the extra holidays of each of "
                             f"the {len(scored)} states the data can tell{thin}")
        return
    quiet.sort(key=lambda s: (s[1], s[0]))  # the most extra holidays, all quiet: the most evidence
    share, _, sub, n = quiet[0]
    prof.calendar.subdivision = sub
    others = [s[2] for s in quiet[1:4]]
    prof.guessed[key] = (f"{country}-{sub}: its {n} weekday holidays that are not national saw {share:.0%} of the "
                         f"staff moves of as many ordinary working days ({baseline:.1f} a day)"
                         + (f"; also quiet: {', '.join(others)}" if others else ""))


def _extra(country: str, sub: str, years: range, national: set[date], mask: str, first: date,
           last: date) -> list[date]:
    """``sub``'s weekday holidays that are not national ones, inside the data's span."""
    kept = holidays.country_holidays(country, subdiv=sub, years=years)
    return [d for d in kept if d not in national and mask[d.weekday()] != "-" and first <= d <= last]
