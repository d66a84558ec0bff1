"""pcnb.reportview: the title block's words (the printing itself: test_reportprint, test_report)."""

from datetime import UTC, date, datetime

import polars as pl

from pcnb import reportview


def test_the_title_blocks_period_names_the_first_status_change_in_the_data():
    """A period set to begin before the program did says where its data begins ("its first status change"
    read as unclear: whose?), and nothing more when the data starts on or before the period."""
    events = pl.DataFrame({"ts": [datetime(2024, 6, 21, 17, 0, tzinfo=UTC)]})
    said = reportview.period_words(date(2024, 1, 1), events, "America/Los_Angeles")
    assert said == "from January 1, 2024 (the first status change in the data: June 21, 2024)"
    assert reportview.period_words(date(2024, 6, 21), events, "America/Los_Angeles") == "from June 21, 2024"
    assert reportview.period_words(date(2024, 1, 1), events.clear(), "UTC") == "from January 1, 2024"
