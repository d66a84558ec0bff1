"""The ``%%powerclerk`` cell form: write-back in bulk, one batch and one diff per cell.

``%%powerclerk [--yes]`` + write command lines, or ``%%powerclerk ACTION [--form F] [--yes]`` + CSV.
"""

from __future__ import annotations

from typing import Any

from pcnb import writeback
from pcnb.commands.base import CommandError, Session, split_words
from pcnb.commands.write import finish, parser, requests_for, write_commands
from pcnb.writeback.model import ChangeRequest


def run_cell(line: str, cell: str, session: Session) -> Any:
    ws = session.require()
    try:
        head = split_words(line)
    except CommandError as exc:
        raise CommandError(f"%%powerclerk {line}: {exc.message}", exc.hint) from None
    yes = "--yes" in head
    irreversible = _irreversible(head, line)
    names = write_commands()
    if head and head[0] in names:
        args = parser().parse_args([*head, "--from", "__cell__"])
        irreversible = args.irreversible or irreversible
        session.namespace["__cell__"] = writeback.parse_csv(cell)
        try:
            from_csv = requests_for(args, session)
        finally:
            session.namespace.pop("__cell__", None)
        return finish(writeback.plan_requests(ws, from_csv), yes, session, irreversible)
    if [h for h in head if h != "--yes"]:
        raise CommandError(f"%%powerclerk {line}: the cell form takes `--yes` (and `--irreversible ENV`) or a "
                           "write command with a CSV body",
                           f"e.g. `%%powerclerk set --form FORM` then 'project,FIELD' lines; "
                           f"commands: {', '.join(names)}")
    requests: list[ChangeRequest] = []
    for number, text in enumerate(cell.splitlines(), start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            argv = split_words(text)
            first = next((a for a in argv if not a.startswith("-")), None)
            if first is not None and first not in names:
                raise CommandError(f"{first!r} is not a write command", f"use one of {', '.join(names)}")
            args = parser().parse_args(argv)
        except CommandError as exc:
            if "is not a write command" in exc.message:
                raise CommandError(f"cell line {number}: {exc.message}", exc.hint) from None
            raise CommandError(f"cell line {number}: {exc}", "one write command per line, as on the magic line"
                               ) from None
        except ValueError as exc:
            raise CommandError(f"cell line {number}: {exc}", "one write command per line, as on the magic line"
                               ) from None
        if args.yes or args.irreversible:
            raise CommandError(f"cell line {number}: put --yes and --irreversible on the %%powerclerk line, not "
                               "on a command", "the whole cell is one batch and is confirmed once")
        requests += requests_for(args, session, line=number)
    if not requests:
        raise CommandError("the cell has no write commands", "one command per line, e.g. `status DGI-00011 --to ...`")
    return finish(writeback.plan_requests(ws, requests), yes, session, irreversible)


def _irreversible(head: list[str], line: str) -> str | None:
    """Take ``--irreversible ENV`` (or ``--irreversible=ENV``) off the cell's first line."""
    for i, word in enumerate(head):
        if word.startswith("--irreversible="):
            head.pop(i)
            return word.split("=", 1)[1]
        if word == "--irreversible":
            if i + 1 >= len(head) or head[i + 1].startswith("-"):
                raise CommandError(f"%%powerclerk {line}: --irreversible needs the environment's name",
                                   "e.g. --irreversible sandbox (the environment the plan writes to)")
            value = head[i + 1]
            del head[i:i + 2]
            return value
    return None
