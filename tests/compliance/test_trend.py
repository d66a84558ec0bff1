"""The compliance report's period arithmetic and sentences (pcnb.compliance.trend, period)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from pcnb.compliance import period
from pcnb.compliance.rules import from_dict
from pcnb.compliance.trend import last_complete, sentences
from pcnb.errors import ConfigError

RULES = from_dict({"name": "T", "source": "s", "unit": "business_days",
                   "steps": [{"name": "Review", "start": "A", "end": "B", "days": 10}]}, ["A", "B"], {})


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2025Q1", date(2025, 1, 1), date(2025, 3, 31)), ("2025q4", date(2025, 10, 1), date(2025, 12, 31)),
    ("2024H2", date(2024, 7, 1), date(2024, 12, 31)), ("2024", date(2024, 1, 1), date(2024, 12, 31))])
def test_periods_as_regulators_name_them(text, first, last):
    assert period.parse(text) == (first, last)


def test_previous_periods_and_the_last_complete_one_in_local_time():
    assert [period.previous(p) for p in ("2025Q1", "2025Q3", "2025H1", "2025H2", "2025")] == [
        "2024Q4", "2025Q2", "2024H2", "2025H1", "2024"]
    # 03:00 UTC on April 1st is still March 31st in Los Angeles: Q1 is not over there yet
    at = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    assert last_complete(at, "America/Los_Angeles", "quarter") == "2025Q4"
    assert last_complete(at, "UTC", "quarter") == "2026Q1"
    assert last_complete(at, "UTC", "year") == "2025" and last_complete(at, "UTC", "half") == "2025H2"
    with pytest.raises(ConfigError, match="2025Q3, 2025H1 or 2025"):
        period.parse("Q3 2025")


def test_sentences_compare_with_the_period_before():
    trend = pl.DataFrame({"step": ["Review", "Review"], "tier": [None, None], "days_allowed": [10.0, 10.0],
                          "A": [20, 25], "B": [2, 5], "C": [0, 3], "D": [7.25, 9.5], "E": [0.1, 8 / 28],
                          "open_within": [1, 1], "exited": [0, 0], "no_rule": [0, 0],
                          "period": ["2025Q2", "2025Q3"]})
    said = sentences(trend, RULES)
    assert said == ["Review: 29% late in 2025Q3 (5 finished late and 3 open and late, of 25 finished and 3 open "
                    "and late), up from 10% in 2025Q2. Those finished took 9.5 business days on average (utility "
                    "clock), against 10 allowed."]


def test_the_trend_chart_draws_one_line_per_step_and_tier():
    """A rule file with tiers has a row per step and tier each period: one line zig-zagged through
    them all (seen in a rendered report) until each tier got its own."""
    from pcnb.compliance.trend import trend_chart

    trend = pl.DataFrame({"step": ["Review"] * 4, "tier": ["Fast", "Slow", "Fast", "Slow"],
                          "A": [5, 6, 7, 8], "B": [1, 2, 1, 4], "C": [0, 1, 0, 2], "E": [0.2, 3 / 7, 1 / 7, 0.6],
                          "period": ["2025Q2", "2025Q2", "2025Q3", "2025Q3"]})
    fig = trend_chart(trend, RULES, datetime(2025, 10, 2, tzinfo=UTC), "UTC")
    lines = {t.name: [round(y) for y in t.y] for t in fig.data}
    assert lines == {"Review (Fast)": [20, 14], "Review (Slow)": [43, 60]}
    never = pl.concat([trend, trend.head(2).with_columns(pl.lit("other").alias("tier"), pl.lit(None, pl.Float64)
                                                         .alias("E"))])
    assert [t.name for t in trend_chart(never, RULES, datetime(2025, 10, 2, tzinfo=UTC), "UTC").data] == [
        "Review (Fast)", "Review (Slow)"]  # a tier never judged draws no line and no legend entry


def test_a_tier_without_days_is_said_untimed_not_empty():
    """A tier the rule file gives no days (its cases under "No rule for their tier") was said to have
    no project finished or late, beside a table counting its cases."""
    trend = pl.DataFrame({"step": ["Review"], "tier": ["other"], "days_allowed": [None], "A": [0], "B": [0],
                          "C": [0], "D": [None], "E": [None], "open_within": [0], "exited": [0], "no_rule": [103],
                          "period": ["2025Q4"]}, schema_overrides={"days_allowed": pl.Float64, "D": pl.Float64,
                                                                   "E": pl.Float64})
    assert sentences(trend, RULES) == ["Review (other): 103 cases not timed in 2025Q4: the rule file gives no days "
                                       "for this tier."]
