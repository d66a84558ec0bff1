"""Whose clock (ws.clock_split, pcnb.compliance.clock_split) on a synced sandbox: with a rule file,
each (project, step)'s days by holder are those its audit trail (the pack's cases) counts; without
one, each status a project stayed in is split by the profile's holders."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

from pcnb.compliance.inputs import built
from pcnb.compliance.rules import for_profile
from tests.compliance.test_pack import RULES, _quarter


def test_with_a_rule_file_the_split_is_the_cases_days(ws, tmp_path):
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(RULES), encoding="utf-8")
    rules = for_profile(tmp_path / "rules.yaml", ws.profile)
    (_, found, _, end), _ = built(ws, rules, _quarter(1))
    split = ws.clock_split(tmp_path / "rules.yaml", as_of=end)
    joined = found.join(split, on=["project_id", "step"], how="left", suffix="_split")
    assert found.height > 20 and joined["total_days"].null_count() == 0  # every case has its split
    for who in ("utility_days", "applicant_days", "third_party_days"):
        assert joined[who].to_list() == pytest.approx(joined[f"{who}_split"].to_list()), who
    assert (joined["applicant_days"] > 0).any()  # the review step holds applicant time: a split, not a copy
    total = joined["utility_days"] + joined["applicant_days"] + joined["third_party_days"]
    assert (joined["total_days"] >= total - 1e-9).all()


def test_without_rules_each_status_is_split_by_its_holder(ws):
    prof = ws.profile
    split = ws.clock_split()
    applicant = [s for s, h in prof.holders.items() if h == "applicant"]
    utility = [s for s, h in prof.holders.items() if h == "utility"]
    assert applicant and utility
    mine = split.filter(pl.col("step").is_in(applicant))
    assert mine.height > 0 and (mine["utility_days"] == 0).all() and (mine["applicant_days"] > 0).any()
    theirs = split.filter(pl.col("step").is_in(utility))
    assert (theirs["applicant_days"] == 0).all() and (theirs["utility_days"] > 0).any()
    assert not split["step"].is_in(prof.roles.final).any()  # a final status holds nothing
    assert split["project_number"].null_count() < split.height
