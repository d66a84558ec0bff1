"""The journal command: write-back batches; undo or resume one."""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from pcnb import writeback
from pcnb.commands.base import Command, CommandError, Session
from pcnb.commands.write import finish, irreversible_option


def _journal_args(j: argparse.ArgumentParser) -> None:
    j.add_argument("batch", nargs="?", help="a batch id: show its operations")
    j.add_argument("--undo", metavar="BATCH", help="plan restoring a batch's before-values (then --yes/apply)")
    j.add_argument("--resume", metavar="BATCH", help="finish a batch's pending/failed operations")
    j.add_argument("--yes", action="store_true", help="with --undo: execute the undo right away")
    irreversible_option(j)


def batch_ids(ws: Any) -> list[str]:
    """The journal's batch ids, newest first (completion and did-you-mean read them)."""
    ids: list[str] = writeback.journal.batches(ws.store)["batch_id"].to_list()
    return ids


def _known(ws: Any, batch: str) -> str:
    """``batch`` if the journal has it; else a CommandError naming the closest ids, so a typo in
    an id never reaches undo/resume (which would only say 'not in the journal')."""
    ids = batch_ids(ws)
    typed, batch = batch, batch.strip()
    same = [i for i in ids if i.lower() == batch.lower()]  # ids are lowercase; a ticket may shout them
    if same:
        return same[0]
    batch = typed
    close = difflib.get_close_matches(batch, ids, n=3, cutoff=0.5)
    if not ids:
        raise CommandError(f"no batch {batch!r}: the journal of this cache is empty",
                           "write commands (`%powerclerk set ... --yes`) create batches")
    guess = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    raise CommandError(f"no batch {batch!r} in the journal{guess}", "`%powerclerk journal` lists the batch ids")


def cmd_journal(args: argparse.Namespace, session: Session) -> Any:
    given = [name for name, value in (("BATCH", args.batch), ("--undo", args.undo), ("--resume", args.resume))
             if value]
    if len(given) > 1:  # each reads one batch; the others would be ignored silently
        raise CommandError(f"journal: {' and '.join(given)} together; it does one thing per line",
                           "give one: BATCH to show it, --undo BATCH or --resume BATCH")
    ws = session.require()
    if args.undo:
        return finish(writeback.undo(ws, _known(ws, args.undo)), args.yes, session, args.irreversible)
    if args.resume:
        return writeback.resume(ws, _known(ws, args.resume), progress=session.progress)
    if args.batch:
        return writeback.journal.rows(ws.store, _known(ws, args.batch))
    return writeback.journal.batches(ws.store)


JOURNAL = Command("journal", "write-back batches; undo or resume one", "Without arguments: one row per batch. "
                  "BATCH: its operations with state and request id. One of BATCH, --undo, --resume per line; "
                  "batch ids match in any case.", cmd_journal, _journal_args)
