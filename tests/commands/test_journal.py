"""journal BATCH / --undo / --resume with a mistyped batch id: the closest ids, and how to list them."""

from __future__ import annotations

import polars as pl
import pytest
from IPython.core.error import UsageError


@pytest.fixture
def batch(pc):
    ws = pc.magics_manager.registry["PowerClerkMagic"].session.workspace
    number = ws.projects().filter(pl.col("project_number").is_not_null())["project_number"][1]
    return pc.run_line_magic("powerclerk", f"set {number} INSTALLER='Typo Crew' --form APPLICATION --yes").batch_id


def test_a_typo_in_a_batch_id_names_the_closest(pc, batch):
    typo = batch[:-2] + batch[-1] + batch[-2]  # two characters swapped
    for line in (f"journal --undo {typo}", f"journal --resume {typo}", f"journal {typo}"):
        with pytest.raises(UsageError, match=rf"no batch '{typo}' in the journal \(did you mean '{batch}'"
                                             r".*\?\) — fix: `%powerclerk journal` lists the batch ids"):
            pc.run_line_magic("powerclerk", line)
    with pytest.raises(UsageError, match=r"no batch 'zz' in the journal — fix: `%powerclerk journal` lists"):
        pc.run_line_magic("powerclerk", "journal --undo zz")  # nothing close: no guess, still the way to list
    assert pc.run_line_magic("powerclerk", f"journal {batch}")["batch_id"].to_list() == [batch]


def test_a_batch_id_in_another_case_or_with_spaces_is_the_batch(pc, batch):
    """Batch ids are shown as `wb-ee58c86db5d8`; typed from a ticket as `WB-EE58C86DB5D8` (or
    copied with a space) they were "no batch" with a did-you-mean of the very same id."""
    for typed in (batch.upper(), f"' {batch} '"):
        assert pc.run_line_magic("powerclerk", f"journal {typed}")["batch_id"].to_list() == [batch]


def test_undo_and_resume_together_are_refused(pc, batch):
    """`journal --undo B --resume B` planned the undo and silently ignored --resume."""
    with pytest.raises(UsageError, match=r"--undo.*--resume.*one"):
        pc.run_line_magic("powerclerk", f"journal --undo {batch} --resume {batch}")
    with pytest.raises(UsageError, match=r"journal --undo"):
        pc.run_line_magic("powerclerk", f"undo {batch}")  # not a subcommand: say where undo is
