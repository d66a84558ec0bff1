"""``%powerclerk`` (line) and ``%%powerclerk`` (cell): a thin layer over pcnb.commands.

The cell form is write-back in bulk: command lines (one batch) or a CSV after a write command.

Loading never raises for missing credentials or bad config: it prints one line of what it found.
Errors are one-line UsageErrors with the fix; ``--debug`` shows the full traceback.
"""

from __future__ import annotations

import os
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from pcnb.commands import HelpShown, Session, parse, run, run_cell
from pcnb.errors import PowerClerkError


@magics_class
class PowerClerkMagics(Magics):
    def __init__(self, shell: Any):
        super().__init__(shell)
        self.session = Session(namespace=shell.user_ns if shell is not None else {})

    @line_cell_magic
    def powerclerk(self, line: str, cell: str | None = None) -> Any:
        debug = "--debug" in line.split()
        if debug:
            line = " ".join(w for w in line.split() if w != "--debug")
        try:
            if cell is not None:
                return run_cell(line, cell, self.session)
            args = parse(line)
            result = run(args, self.session)
        except HelpShown as shown:
            print(shown.text)
            return None
        except PowerClerkError as exc:
            if debug:
                raise
            text = str(exc).replace("\n", " ").replace("  fix:", " — fix:")
            raise UsageError(text) from None
        self.session.history.append(args.command)
        if getattr(args, "out", None):
            assert self.shell is not None  # a line magic always runs inside a shell
            self.shell.user_ns[args.out] = result
            return None
        if isinstance(result, str):
            print(result)
            return None
        return result


def _found() -> str:
    env = [v for v in ("PCNB_API_KEY", "PCNB_CLIENT_ID", "PCNB_CLIENT_SECRET") if os.environ.get(v)]
    mfa = "TOTP" if os.environ.get("PCNB_MFA_TOTP_SECRET") else (
        "session token" if os.environ.get("PCNB_MFA_SESSION_TOKEN") else "none")
    if len(env) == 3:
        return f"pcnb: credentials found in the environment (MFA: {mfa}); `%powerclerk connect --env trial`"
    return "pcnb: no credentials in the environment; `%powerclerk connect --sandbox` runs on synthetic data"


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(PowerClerkMagics(ipython))
    try:
        print(_found())
    except Exception as exc:  # noqa: BLE001 - loading must never fail on configuration
        print(f"pcnb: loaded ({type(exc).__name__} while checking configuration)")
