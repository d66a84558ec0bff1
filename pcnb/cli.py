"""The ``pcnb`` console script.

Subcommands so far: ``sandbox`` (run the embedded PowerClerk V2 server in the foreground).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from pcnb import __version__
from pcnb.config import cache_dir


def _sandbox(args: argparse.Namespace) -> int:
    from pcnb.sandbox.faults import Faults
    from pcnb.sandbox.runner import build, parse_rate, running

    try:
        parse_rate(args.rate_limit)
        faults = Faults.parse(args.faults) if args.faults else None
    except ValueError as exc:
        print(f"pcnb sandbox: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    sb = build(args.projects, args.seed, args.rate_limit, faults, state_file=args.state)
    with running(port=args.port, sandbox=sb) as handle:
        path = handle.write_connection(args.connection_file)
        print(f"PowerClerk V2 sandbox: {handle.base_url}")
        print(f"  program {handle.program_id}, {args.projects} projects (seed {args.seed}), "
              f"rate limit {args.rate_limit}, ready in {time.monotonic() - started:.1f}s")
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pcnb", description="PowerClerk API V2 analytics and integration for Jupyter.")
    p.add_argument("--version", action="version", version=f"pcnb {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sandbox", help="run the embedded PowerClerk V2 sandbox server",
                       description="Serve a synthetic PowerClerk V2 program on 127.0.0.1 until Ctrl-C.")
    s.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    s.add_argument("--seed", type=int, default=7, help="generator seed (same seed, same program)")
    s.add_argument("--projects", type=int, default=2000, help="number of projects (default 2000)")
    s.add_argument("--rate-limit", default="60/60", help="operations/seconds per API key, e.g. 60/60 or 30/2s")
    s.add_argument("--faults", default="", help="e.g. latency_s=0.2,error_rate=0.05,drop_rate=0.01")
    s.add_argument("--state", default=None, help="JSON file to load state from and save it to on exit")
    s.add_argument("--connection-file", default=str(cache_dir() / "sandbox.json"),
                   help="where to write base URL and demo credentials (mode 0600)")
    s.set_defaults(func=_sandbox)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
