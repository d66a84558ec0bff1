"""tracks.py: each project's deadline track from the cached form values (pure polars, beside the
end-to-end deadline tests on the sandbox in test_deadlines.py)."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics.tracks import TrackFieldError, project_tracks, track_field

VALUES = pl.DataFrame({"project_id": ["P1", "P2", "P3"], "form_id": ["APP", "APP", "APP"],
                       "field": ["TRACK", "TRACK", "SIZE"], "name": ["Track", "Track", "Size"],
                       "value": ["Fast", "Standard", "250"]})


def test_the_track_field_wins_over_the_size_field_and_must_name_its_form():
    assert track_field("APP/TRACK", "APP/SIZE") == ("APP/TRACK", False)
    assert track_field(None, "APP/SIZE") == ("APP/SIZE", True)
    assert track_field(None, None) is None
    with pytest.raises(TrackFieldError, match=r"segments.track is 'TRACK', not FORM/FIELD"):
        track_field("TRACK", None)


def test_tracks_are_the_field_values_or_size_bins():
    tracks = project_tracks(VALUES, "APP/TRACK", binned=False).sort("project_id")
    assert tracks.rows() == [("P1", "Fast"), ("P2", "Standard")]
    sizes = project_tracks(VALUES, "APP/SIZE", binned=True)
    assert sizes.rows() == [("P3", "100 kW-1 MW")]


def test_a_field_the_form_does_not_have_names_the_fields_it_has():
    with pytest.raises(TrackFieldError, match="form APP has no field 'TIER'") as info:
        project_tracks(VALUES, "APP/TIER", binned=False)
    assert info.value.fields == ["SIZE", "TRACK"]
    with pytest.raises(TrackFieldError, match="the cache holds no values of OTHER/TIER"):
        project_tracks(VALUES, "OTHER/TIER", binned=False)
