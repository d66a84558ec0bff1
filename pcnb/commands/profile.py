"""The profile command: show, correct and re-infer the program profile (pcnb.profile)."""

from __future__ import annotations

import argparse
import re
import shlex

from pcnb.commands.base import Command, CommandError, Session


def _profile_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=("show", "set", "confirm", "infer", "reload", "path"),
                   default="show",
                   help="show (default); set KEY VALUE; confirm [KEY] (accept the guesses: the roles by default, "
                        "or all, or a key); infer (again, from the cache); reload (read the file now, naming the "
                        "line of a wrong value; edits are also read at the next command); path (where the file is)")
    p.add_argument("key", nargs="?", help="with set: e.g. roles.completion, deadlines.STATUS or "
                   "\"deadlines.START -> END\", holders.STATUS, calendar.timezone, segments.size")
    p.add_argument("value", nargs="*", help="with set: the value (statuses by name or custom id; lists by commas; "
                   "a deadline: DAYS [UNIT] [clock=utility] [track=NAME], or none to remove it)")
    p.add_argument("--edit", action="store_true", help="print the file's path to edit it, then run `profile reload`")


def cmd_profile(args: argparse.Namespace, session: Session) -> str:
    ws = session.require()
    if args.edit or args.action == "path":
        return (f"{ws.profile_path}\nEdit it (YAML: roles, holders, deadlines, calendar, segments), then run "
                "`%powerclerk profile reload`.")
    if args.action == "infer":
        return str(ws.infer_profile().describe())
    if args.action == "reload":  # a refused file raises, naming its line; the last good profile stays
        return str(ws.reload_profile().describe())
    if args.action == "confirm":
        if args.value:
            raise CommandError("profile confirm takes one KEY at most", "e.g. `%powerclerk profile confirm roles`")
        done: list[str] = ws.profile.confirm(args.key or "roles")
        ws.save_profile()
        return (f"confirmed {len(done)} guesses ({', '.join(done) or 'the outcome chances'}); charts no longer "
                "call the outcomes guessed\n" + str(ws.profile.describe()))
    if args.action == "set":
        if not args.key or not args.value:
            raise CommandError("profile set needs a KEY and a VALUE",
                               "e.g. `%powerclerk profile set roles.completion \"STATUS NAME\"`")
        # a deadline's options keep their quoting (track="Fast Track"); other values are plain words
        # ('10 business_days' as one word is still two words of the value)
        value = " ".join(shlex.quote(v) if re.match(r"(clock|track)=", v) else v for v in args.value) if (
            args.key.startswith("deadlines.") and len(args.value) > 1) else " ".join(args.value)
        notes = ws.profile.set(args.key, value)
        ws.save_profile()
        return "\n".join([*notes, ws.profile.describe()])
    return "\n".join([*(f"note: {c}" for c in ws.profile_caveats()), ws.profile.describe()])


PROFILE = Command("profile", "the program profile: statuses' roles, holders, deadlines, calendar",
                  "Show the profile inferred from the cache (and what it guessed), correct it with "
                  "`profile set KEY VALUE`, or edit its file (`profile --edit`) and `profile reload`.",
                  cmd_profile, _profile_args)
