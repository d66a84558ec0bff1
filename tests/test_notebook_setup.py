"""The notebooks' first cell (pcnb.notebook_setup): the as-of and period parameters read in the
program's zone, bad values refused in the user's words before anything is fetched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pcnb import clock
from pcnb.errors import ConfigError
from pcnb.notebook_setup import as_of_instant, setup
from tests.conftest import NOW


def test_as_of_is_now_a_local_day_end_or_a_local_time():
    with clock.frozen(NOW):
        assert as_of_instant("", "America/Los_Angeles") == NOW
    assert as_of_instant("2026-03-08", "America/Los_Angeles") == datetime(2026, 3, 9, 6, 59, 59, 999999, tzinfo=UTC)
    assert as_of_instant("2026-07-01T09:30", "America/New_York") == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert as_of_instant("2026-07-01T09:30+00:00", "America/New_York") == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "06/12/2026"])
def test_a_bad_as_of_is_refused_with_the_form_to_use(bad):
    with pytest.raises(ConfigError, match="yyyy-mm-dd") as err:
        as_of_instant(bad, "UTC")
    assert repr(bad) in str(err.value)


def test_a_bad_start_date_is_refused_before_connecting():
    with pytest.raises(ConfigError, match="start_date 'Jan 2024' is not a date"):
        setup("sandbox", "no-such-program", "Jan 2024")  # the program would fail later: nothing ran
