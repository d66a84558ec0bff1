"""The ``pcnb`` console script.

Subcommands: ``demo`` (sandbox -> sync -> executed HTML reports), ``report`` (execute one notebook
with parameters into a secret-free HTML file) and ``sandbox`` (run the embedded V2 server); every
``%powerclerk`` subcommand too, with the same grammar (pcnb.commands): ``pcnb sync``, ``pcnb set
...``, ``pcnb journal``.

Each run of a notebook command is one process, so there is no ``connect`` state between runs: the
workspace comes from the environment through ``Workspace.open`` -- a running ``pcnb sandbox`` (its
connection file) by default, or ``PCNB_ENVIRONMENT=trial|production`` with credentials from PCNB_*
variables or the keyring. The cache is the same file the notebooks use, so a sync here is a sync
there.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from pcnb import __version__
from pcnb.bidi import visible, visible_frame
from pcnb.config import NOTEBOOKS, cache_dir
from pcnb.errors import ConfigError, PowerClerkError


def _replay(args: argparse.Namespace) -> int:
    import json
    import os

    from pcnb.sandbox.replay import replaying

    try:
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port {args.port} is not a TCP port (0-65535; 0 picks a free one)")
        with replaying(args.replay, args.port) as conn:
            path = Path(args.connection_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(conn, fh)
            print(f"PowerClerk V2 replay of {args.replay}: {conn['base_url']} (program {conn['program_id']})")
            print(f"  connection file: {path}; Ctrl-C to stop")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    except ValueError as exc:
        print(f"pcnb sandbox: {exc}", file=sys.stderr)
        return 2
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from pcnb.sandbox.faults import Faults
    from pcnb.sandbox.quirks import Quirks
    from pcnb.sandbox.runner import build, parse_rate, running

    if args.replay:
        return _replay(args)
    try:
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port {args.port} is not a TCP port (0-65535; 0 picks a free one)")
        parse_rate(args.rate_limit)
        faults = Faults.parse(args.faults) if args.faults else None
        quirks = Quirks.parse(args.quirks) if args.quirks else None
    except ValueError as exc:
        print(f"pcnb sandbox: {exc}", file=sys.stderr)
        return 2
    if args.twin:
        return _twin(args.twin)
    from pcnb.sandbox.definition import ProgramDefinitionError

    started = time.monotonic()
    try:
        sb = build(args.projects, args.seed, args.rate_limit, faults, state_file=args.state, program=args.program,
                   quirks=quirks)
    except ProgramDefinitionError as exc:
        print(f"pcnb sandbox: {exc}", file=sys.stderr)
        return 2
    with running(port=args.port, sandbox=sb) as handle:
        path = handle.write_connection(args.connection_file)
        print(f"PowerClerk V2 sandbox: {handle.base_url}")
        print(f"  program {handle.state.program.name} ({handle.program_id}), {args.projects} projects "
              f"(seed {args.seed}), rate limit {args.rate_limit}, ready in {time.monotonic() - started:.1f}s")
        print(f"  connection file (0600, holds demo credentials): {path}")
        print("  Ctrl-C to stop" + (f"; state is saved to {args.state}" if args.state else ""))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            if args.state:
                handle.state.save(args.state)
    return 0


def _bad_program(command: str, program: str | None) -> bool:
    """True (after saying why) when ``program`` names no built-in program or readable definition."""
    from pcnb.sandbox.definition import ProgramDefinitionError, load

    try:
        load(program)
    except ProgramDefinitionError as exc:
        print(f"pcnb {command}: {exc}", file=sys.stderr)
        return True
    return False


def _twin(out: str) -> int:
    """Write a twin definition of the synced program of the current environment (PCNB_ENVIRONMENT)."""
    from pcnb.workspace import Workspace

    try:
        with Workspace.open(embedded=False) as ws:
            if ws.status_events().height == 0:
                print("pcnb sandbox --twin: the cache holds no synced history yet; run `pcnb sync` first",
                      file=sys.stderr)
                return 2
            path = ws.twin(out)
    except PowerClerkError as exc:
        print(f"pcnb sandbox --twin: {exc}", file=sys.stderr)
        return 1
    print(f"twin of the synced program written to {path} (workflow, durations and forms; no project data)")
    print(f"  serve it: pcnb sandbox --program {path}")
    return 0


DEMO_NOTEBOOKS = ("01_getting_started", "02_pipeline_throughput", "03_time_in_status", "04_inquiry_backlog")


def _lab(args: argparse.Namespace) -> int:
    """JupyterLab on the prebuilt notebooks, their kernels pointed at a sandbox served from here."""
    import importlib.util
    import os
    import subprocess
    import tempfile

    from pcnb.sandbox.runner import running

    if importlib.util.find_spec("jupyterlab") is None:
        print("pcnb demo --lab: JupyterLab is not installed; pip install 'pcnb[lab]' (or jupyterlab)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pcnb-lab-") as tmp, \
            running(projects=args.projects, seed=args.seed, rate_limit=args.rate_limit, program=args.program) as sb:
        env = {**os.environ, "PCNB_SANDBOX_CONNECTION": str(sb.write_connection(Path(tmp) / "sandbox.json")),
               "PCNB_STORE_PATH": str(Path(tmp) / "store.sqlite")}
        print(f"sandbox: {args.projects} synthetic projects at {sb.base_url}; notebooks connect to it by default")
        cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={NOTEBOOKS}", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={args.port}"] + (["--no-browser"] if args.no_browser else [])
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers (CI, docker) often run as root
        proc = subprocess.Popen(cmd, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait(timeout=30) and 0
        finally:
            if proc.poll() is None:
                proc.kill()


def _demo(args: argparse.Namespace) -> int:
    import os
    import tempfile

    from pcnb.report import ReportError, run_report
    from pcnb.sandbox.runner import running

    if not (NOTEBOOKS / f"{DEMO_NOTEBOOKS[0]}.ipynb").exists():
        print(f"pcnb demo: notebooks not found in {NOTEBOOKS}; run from a source checkout (pip install -e .)",
              file=sys.stderr)
        return 2
    if _bad_program("demo", args.program):
        return 2
    if args.lab:
        return _lab(args)
    started = time.monotonic()
    out_dir = Path(args.output)
    with tempfile.TemporaryDirectory(prefix="pcnb-demo-") as tmp, \
            running(projects=args.projects, seed=args.seed, rate_limit=args.rate_limit, program=args.program) as sb:
        conn = sb.write_connection(Path(tmp) / "sandbox.json")
        os.environ["PCNB_SANDBOX_CONNECTION"] = str(conn)
        os.environ["PCNB_STORE_PATH"] = str(Path(tmp) / "store.sqlite")
        secrets = [v for role in sb.users for v in sb.credentials(role).values()]
        print(f"sandbox: {args.projects} synthetic projects at {sb.base_url}")
        paths = []
        for name in DEMO_NOTEBOOKS:  # the first report's first sync fills the cache; the others check for changes
            began = time.monotonic()
            try:
                paths.append(run_report(NOTEBOOKS / f"{name}.ipynb", out_dir / f"{name}.html", secrets=secrets))
            except ReportError as exc:
                print(f"pcnb demo: {exc}", file=sys.stderr)
                return 1
            print(f"  wrote {paths[-1]} ({time.monotonic() - began:.0f} s)")
        calls = sb.sandbox.rate.accepted
    print(f"demo done in {time.monotonic() - started:.0f}s: {len(paths)} reports in {out_dir}/, "
          f"{calls:,} API operations served, no credentials needed")
    return 0


def _report(args: argparse.Namespace) -> int:
    from pcnb.report import ReportError, run_report
    from pcnb.reportout import parse_mode

    params = {}
    for key, value in args.parameter or []:
        params[key] = value
    try:
        pdf = args.pdf or str(args.output or "").lower().endswith(".pdf")
        path = run_report(args.notebook, args.output, params, with_code=args.with_code,
                          create_folder=args.output is None, pdf=pdf, mode=parse_mode(args.mode))
    except ReportError as exc:
        print(f"pcnb report: {exc}", file=sys.stderr)
        return 1
    print(path)
    if pdf:
        print(path.with_suffix(".pdf"))
    return 0


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="pcnb", description="PowerClerk API V2 analytics and integration for Jupyter.",
        epilog="The notebook's %powerclerk commands work here too, against a running `pcnb sandbox` or "
               "PCNB_ENVIRONMENT=trial|production: pcnb sync, pcnb projects, pcnb set ..., pcnb journal, "
               "... (`pcnb help` lists them; `pcnb SUBCOMMAND --help` explains one).")
    p.add_argument("--version", action="version", version=f"pcnb {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("sandbox", help="run the embedded PowerClerk V2 sandbox server",
                       description="Serve a synthetic PowerClerk V2 program on 127.0.0.1 until Ctrl-C.")
    s.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    s.add_argument("--seed", type=int, default=7, help="generator seed (same seed, same program)")
    s.add_argument("--projects", type=int, default=2000, help="number of projects (default 2000)")
    s.add_argument("--rate-limit", default="60/60", help="operations/seconds per API key, e.g. 60/60 or 30/2s")
    s.add_argument("--faults", default="", help="e.g. latency_s=0.2,error_rate=0.05,drop_rate=0.01")
    s.add_argument("--quirks", default="",
                   help="differ from the modelled contract like a real server might, e.g. "
                        "'rename=ProjectId:ProjectID;retype=LastChangeTimestamp:badtime;extra=Region:west;"
                        "token_path=/oauth2/token;token_type=Basic;no_program_access=applicant'")
    s.add_argument("--replay", metavar="DIR", default=None,
                   help="instead of a synthetic program: serve the answers `pcnb doctor --record DIR` saved")
    s.add_argument("--state", default=None, help="JSON file to load state from and save it to on exit")
    s.add_argument("--program", default=None, help="the program to serve: residential (default), rebate, "
                   "large-dg, or a definition file (YAML, see the README)")
    s.add_argument("--twin", metavar="OUT.yaml", default=None,
                   help="instead of serving: write a twin definition of the program synced in the current "
                        "environment's cache (no project data), to serve later with --program OUT.yaml")
    s.add_argument("--connection-file", default=str(cache_dir() / "sandbox.json"),
                   help="where to write base URL and demo credentials (mode 0600)")
    s.set_defaults(func=_sandbox)
    d = sub.add_parser("demo", help="sandbox -> sync -> executed notebook reports (no credentials)",
                       description="Start the sandbox, sync it, and execute notebooks 01-04 into HTML reports.")
    d.add_argument("-o", "--output", default="reports", help="folder for the HTML reports (default: reports)")
    d.add_argument("--projects", type=int, default=2000, help="synthetic projects (default 2000)")
    d.add_argument("--seed", type=int, default=7, help="generator seed")
    d.add_argument("--program", default=None, help="residential (default), rebate, large-dg, or a definition file")
    d.add_argument("--rate-limit", default="100000/60", help="sandbox rate limit (default: as fast as loopback "
                   "answers; the real API allows 60/60, try 60/60 to see a real first sync's pace)")
    d.add_argument("--lab", action="store_true",
                   help="instead of reports: open JupyterLab on the notebooks, connected to a sandbox (Ctrl-C stops)")
    d.add_argument("--port", type=int, default=8888, help="--lab: JupyterLab port on 127.0.0.1")
    d.add_argument("--no-browser", action="store_true", help="--lab: do not open a browser")
    d.set_defaults(func=_demo)
    r = sub.add_parser("report", help="execute a notebook with parameters into a self-contained HTML report",
                       description="Run NOTEBOOK with papermill parameters, scrub secrets and widget state, "
                                   "verify no secret remains, and write self-contained HTML.")
    r.add_argument("notebook", help="path to the .ipynb")
    r.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="papermill parameter (repeatable); secret-looking names are refused")
    r.add_argument("-o", "--output", default=None,
                   help="output .html or .pdf in an existing folder (default: reports/NAME.html); an existing "
                        "file is replaced only if it is a previous pcnb report, and never through a symlink")
    r.add_argument("--pdf", action="store_true", help="also print the report to PDF beside the HTML (needs Chromium)")
    r.add_argument("--mode", default="600", help="file mode of the report files (default 600: you only; "
                   "644 lets others on this machine read them)")
    r.add_argument("--with-code", action="store_true", help="keep the code cells (for analysts); by default the "
                   "HTML is a report: title block, key figures, charts, tables and captions, no code")
    r.set_defaults(func=_report)
    w = sub.add_parser("worker", help="keep a team's shared store fresh: a sync every --every (SIGTERM stops it)",
                       description="Sync the store named by PCNB_STORE_URL (the writer role) every interval, one "
                                   "log line per run; PowerClerk outages and database restarts are retried at the "
                                   "next run; `info` shows the last run. README: 'For teams'.")
    w.add_argument("--every", default="15m", help="interval between runs: 90s, 15m, 1h, 1d (default 15m)")
    w.add_argument("--once", action="store_true", help="one run, then exit (a cron line)")
    w.add_argument("--max-calls", type=int, default=None, help="stop each run after this many API operations")
    w.set_defaults(func=_worker)
    return p


def _worker(args: argparse.Namespace) -> int:
    from pcnb.worker import main as worker_main
    from pcnb.workspace import Workspace

    return worker_main(lambda: Workspace.open(embedded=False), args.every, args.once, args.max_calls)


#: the console script's own subcommands; every other word is a notebook command
OWN = ("sandbox", "demo", "report", "worker")

MENU = """pcnb: PowerClerk API V2 analytics and integration. Start with one of:
  pcnb demo                      a sandbox, a sync and four HTML reports, no credentials
  pcnb sandbox                   serve the sandbox; `pcnb sync`, `pcnb chart sla` ... then use it
  pcnb doctor --env trial        first contact: checks every step to a real PowerClerk
  pcnb report NOTEBOOK -o X.html a notebook run into a report
  pcnb worker --every 15m        keep a team's shared store fresh (PCNB_STORE_URL)
`pcnb --help` lists pcnb's own commands, `pcnb help` the notebook's."""


class _Parser(argparse.ArgumentParser):
    """The console script's own grammar, complaining in pcnb's words (pcnb.commands.wording), one line
    and the fix on stderr, exit status 2 as argparse's."""

    def error(self, message: str) -> NoReturn:
        from pcnb.commands.wording import plain  # the commands package only when there is a complaint

        _usage_error(*plain(self.prog, message, self))


def _usage_error(text: str, fix: str) -> NoReturn:
    print(f"{text}\n  fix: {fix}", file=sys.stderr)
    sys.exit(2)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(MENU)
        return 0
    if argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        _usage_error(f"pcnb: unknown option {argv[0]} (options come after a command)",
                     "`pcnb --help` lists pcnb's own commands, `pcnb help` the notebook's")
    if argv[0] not in OWN and not argv[0].startswith("-"):
        from pcnb.commands import registry

        if argv[0] in registry():
            return run_command(argv)
        close = difflib.get_close_matches(argv[0], [*OWN, *registry()], n=1)
        _usage_error(f"pcnb: unknown command {argv[0]!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                     "`pcnb --help` lists pcnb's own commands, `pcnb help` the notebook's")
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra:
        from pcnb.commands.wording import unknown

        own = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
        _usage_error(*unknown(own.prog, extra, own))
    result: int = args.func(args)
    return result


def run_command(argv: Sequence[str]) -> int:
    """A notebook command from the terminal: plan, confirm (or --yes), execute; print the result."""
    from pcnb.commands import HelpShown, Session, parse, registry, run
    from pcnb.workspace import Workspace

    session = Session(terminal=True)
    try:
        args = parse(" ".join(shlex.quote(a) for a in argv))
        if args.command == "login":
            args.text = True  # no widget front end in a terminal
        if registry()[args.command].needs_workspace:
            session.workspace = Workspace.open(embedded=False)
        result = run(args, session)
        if hasattr(result, "execute") and not getattr(args, "yes", False):
            print(_terminal(str(result)))
            if not _confirmed():
                print("nothing sent; re-run with --yes to execute this plan")
                return 0
            typed = _typed_environment(result) if result.irreversible() else None
            result = result.execute(confirm=True, irreversible=typed)
        _emit(result, getattr(args, "out", None))
        if getattr(result, "ok", True) is False:  # a doctor report with a failed check
            return 1
    except HelpShown as shown:
        print(_terminal(shown.text))
    except PowerClerkError as exc:
        text = _terminal(str(exc))
        print(text if text.startswith("pcnb") else f"pcnb: {text}", file=sys.stderr)
        return 1
    finally:
        if session.workspace is not None:
            session.workspace.close()
    return 0


def _terminal(text: str) -> str:
    """A notebook command's text as the terminal spells it: `%powerclerk X` is `pcnb X` here; a
    program's names show their bidirectional controls (pcnb.bidi) instead of reordering the line."""
    return visible(re.sub(r"(?<!%)%powerclerk", "pcnb", text))


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        return False
    return input("execute this plan? [y/N] ").strip().lower() in ("y", "yes")


def _typed_environment(plan: Any) -> str | None:
    """The second confirmation of operations no undo can take back: the environment's name, typed."""
    if not sys.stdin.isatty():
        return None
    count = len(plan.irreversible())
    return input(f"{count} operation(s) cannot be undone; type the environment's name ({plan.environment}) to "
                 "send them: ").strip()


def _emit(result: Any, out: str | None) -> None:
    """Print the result; ``-o FILE`` writes frames (.csv/.parquet) and figures (.html/.png)."""
    import polars as pl

    if out:
        path = Path(out)
        if not path.parent.is_dir():
            raise ConfigError(f"cannot write {out!r}: the folder {str(path.parent)!r} does not exist",
                              "create it first, or pass a path in an existing folder")
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
            print(visible_frame(result))
    elif result is not None:
        print(_terminal(str(result)) if not hasattr(result, "to_plotly_json") else
              "a chart: pass -o chart.html to save it")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
