"""``pcnb sync``, ``pcnb set ...``, ``pcnb journal``: the notebook grammar from a terminal.

Each run is one process, so there is no ``connect`` state between runs: the workspace comes from
the environment -- a running ``pcnb sandbox`` (its connection file) by default, or
``PCNB_ENVIRONMENT=trial|production`` with credentials from PCNB_* variables or the keyring. The
cache is the same file the notebooks use, so a sync here is a sync there.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pcnb.commands import HelpShown, Session, build_parser, parse, run
from pcnb.config import cache_dir
from pcnb.errors import ConfigError, PowerClerkError

#: subcommands of the notebook grammar (the CLI's own: sandbox, demo, report)
SHARED = tuple(a for a in next(x for x in build_parser()._actions if x.dest == "command").choices)
_NO_WORKSPACE = ("help", "login", "connect")


def workspace() -> Any:
    from pcnb.workspace import Workspace

    env = os.environ.get("PCNB_ENVIRONMENT", "sandbox")
    if env != "sandbox":
        return Workspace.connect(env)
    conn = os.environ.get("PCNB_SANDBOX_CONNECTION") or str(cache_dir() / "sandbox.json")
    if not Path(conn).is_file():
        raise ConfigError("no running sandbox found (and PCNB_ENVIRONMENT is not trial/production)",
                          "start one with `pcnb sandbox` in another terminal, or set PCNB_ENVIRONMENT=trial")
    return Workspace.open("sandbox", connection=conn)


def main(argv: Sequence[str]) -> int:
    session = Session()
    try:
        args = parse(" ".join(shlex.quote(a) for a in argv))
        if args.command == "login":
            args.text = True  # no widget front end in a terminal
        if args.command not in _NO_WORKSPACE:
            session.workspace = workspace()
        result = run(args, session)
        if hasattr(result, "execute") and not getattr(args, "yes", False):
            print(result)
            if not _confirmed():
                print("nothing sent; re-run with --yes to execute this plan")
                return 0
            result = result.execute(confirm=True)
        _emit(result, getattr(args, "out", None))
    except HelpShown as shown:
        print(shown.text.replace("%powerclerk", "pcnb"))
    except PowerClerkError as exc:
        print(f"pcnb: {exc}", file=sys.stderr)
        return 1
    finally:
        if session.workspace is not None:
            session.workspace.close()
    return 0


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        return False
    return input("execute this plan? [y/N] ").strip().lower() in ("y", "yes")


def _emit(result: Any, out: str | None) -> None:
    """Print the result; ``-o FILE`` writes frames (.csv/.parquet) and figures (.html/.png)."""
    import polars as pl

    if out:
        path = Path(out)
        if isinstance(result, pl.DataFrame) and path.suffix in (".csv", ".parquet"):
            result.write_csv(path) if path.suffix == ".csv" else result.write_parquet(path)
        elif hasattr(result, "write_html") and path.suffix == ".html":
            result.write_html(path, include_plotlyjs=True)
        elif hasattr(result, "write_image") and path.suffix == ".png":
            result.write_image(path)
        else:
            raise ConfigError(f"cannot write {type(result).__name__} to {out!r}",
                              "use .csv/.parquet for tables and .html/.png for charts")
        print(f"wrote {path}")
        return
    if isinstance(result, pl.DataFrame):
        with pl.Config(tbl_rows=40, tbl_cols=12, fmt_str_lengths=60):
            print(result)
    elif result is not None:
        print(result if not hasattr(result, "to_plotly_json") else "a chart: pass -o chart.html to save it")
