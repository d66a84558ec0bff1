"""The journal command: write-back batches; undo or resume one."""

from __future__ import annotations

import argparse
from typing import Any

from pcnb import writeback
from pcnb.commands.base import Command, Session
from pcnb.commands.write import finish


def _journal_args(j: argparse.ArgumentParser) -> None:
    j.add_argument("batch", nargs="?")
    j.add_argument("--undo", metavar="BATCH", help="plan restoring a batch's before-values (then --yes/apply)")
    j.add_argument("--resume", metavar="BATCH", help="finish a batch's pending/failed operations")
    j.add_argument("--yes", action="store_true", help="with --undo: execute the undo right away")


def cmd_journal(args: argparse.Namespace, session: Session) -> Any:
    ws = session.require()
    if args.undo:
        return finish(writeback.undo(ws, args.undo), args.yes, session)
    if args.resume:
        return writeback.resume(ws, args.resume)
    if args.batch:
        return writeback.journal.rows(ws.store, args.batch)
    return writeback.journal.batches(ws.store)


JOURNAL = Command("journal", "write-back batches; undo or resume one", "Without arguments: one row per batch. "
                  "BATCH: its operations with state and request id.", cmd_journal, _journal_args)
