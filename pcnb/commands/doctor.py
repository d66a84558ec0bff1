"""First-contact commands: doctor (read-only environment checks) and support (ticket-ready text).

Both work without a connected workspace -- first contact is exactly when connecting fails: they
read the same settings and credentials ``connect`` would (PCNB_* variables, the keyring, a running
sandbox's connection file) and never write to PowerClerk.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from pcnb import clock
from pcnb.commands.base import Command, Session


def _target(args: argparse.Namespace, session: Session) -> tuple[Any, Any, str | None]:
    """(settings, credentials, program): the session's workspace, else the environment."""
    from pcnb.api.auth import Credentials, resolve_credentials
    from pcnb.config import Settings, cache_dir, load_settings
    from pcnb.errors import ConfigError

    if session.workspace is not None:
        ws = session.workspace
        return ws.client.settings, ws.client.credentials, args.program or ws.program
    environment = getattr(args, "env", None) or os.environ.get("PCNB_ENVIRONMENT") or "sandbox"
    if environment == "sandbox":
        conn = os.environ.get("PCNB_SANDBOX_CONNECTION") or str(cache_dir() / "sandbox.json")
        try:
            info = json.loads(Path(conn).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"no running sandbox found ({conn}: {exc})",
                              "start one with `pcnb sandbox`, or set PCNB_ENVIRONMENT=trial|production "
                              "(or pass --env) to check a real PowerClerk") from None
        settings = Settings(environment="sandbox", base_url=info["base_url"], token_url=info["token_url"],
                            program=info["program_id"], rate_limit=int(info["rate_limit"][0]),
                            rate_period=float(info["rate_limit"][1]))
        creds = Credentials.from_dict(info["users"][args.role], "sandbox connection file")
        return settings, creds, args.program or info["program_id"]
    settings = load_settings(environment=environment, program=args.program)
    return settings, resolve_credentials(settings.environment), settings.program


def _doctor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", choices=("sandbox", "trial", "production", "custom"),
                   help="environment to check when not connected (default: PCNB_ENVIRONMENT, else a running sandbox)")
    p.add_argument("--program", help="program id to check (default: the connected or configured one)")
    p.add_argument("--role", default="admin", choices=("admin", "applicant", "mfa"),
                   help="sandbox only: which demo user's credentials to use")
    p.add_argument("--since-days", type=int, default=30, help="GetProjects changed_since window (default 30)")
    p.add_argument("--record", metavar="DIR",
                   help="also save the answers seen (secrets and personal data redacted) for a bug report; "
                        "`pcnb sandbox --replay DIR` serves them")


def cmd_doctor(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.diagnostics.doctor import run_doctor

    settings, creds, program = _target(args, session)
    return run_doctor(settings, creds, program, record=args.record, since_days=args.since_days)


def _support_args(p: argparse.ArgumentParser) -> None:
    _doctor_args(p)
    p.add_argument("--account", help="the PowerClerk user account (login e-mail) the API credentials belong to")
    p.add_argument("--attempted", help="what you were trying to do, in a sentence")
    p.add_argument("--file", help="where to write the ticket text (default: the cache dir, support-<time>.txt)")
    p.add_argument("--no-doctor", action="store_true",
                   help="do not run the read-only doctor checks (in a terminal there is no failing call in "
                        "memory, so the doctor's calls are what the ticket shows)")


def cmd_support(args: argparse.Namespace, session: Session) -> str:
    from pcnb.config import cache_dir
    from pcnb.diagnostics.doctor import Doctor
    from pcnb.diagnostics.support import support_bundle, write_bundle

    settings, creds, program = _target(args, session)
    report, ledger = None, None
    if session.workspace is not None:
        client = session.workspace.client
        ledger = list(session.workspace.store.conn.execute(
            "SELECT time, endpoint, method, status, request_id FROM ledger ORDER BY id DESC LIMIT 10000"))
    if session.workspace is None or not args.no_doctor:
        doctor = Doctor(settings, creds, program, since_days=args.since_days)
        report = doctor.run()
        if session.workspace is None:
            if doctor.client is None:
                return str(report) + "\n(no API call could be made, so there is no request id to report yet)"
            client = doctor.client
        program = program or report.program
    text = support_bundle(client, program, account=args.account, attempted=args.attempted, ledger=ledger,
                          doctor=report)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    path = write_bundle(text, args.file or cache_dir() / f"support-{stamp}.txt")
    return text + f"\n(written to {path}; scanned for URL credentials and for every credential and the bearer " \
                  "token, raw, URL-encoded, base64, hex, as bytes, escaped or split over lines: none found)"


DOCTOR = Command("doctor", "check an environment read-only: DNS/TLS, token, key, MFA, admin, programs, drift",
                 "A handful of read-only calls (token, GetPrograms, GetStatusList, one GetProjects page with "
                 "changed_since, one status history, one GetProjectData with reveal_sensitive_data). Each check: "
                 "pass/fail, what was seen (with x-amzn-RequestId) and, on failure, the vendor's 401/403 checklist "
                 "items with what pcnb verified itself. Ends with the contract-drift summary.",
                 cmd_doctor, _doctor_args, needs_workspace=False)
SUPPORT = Command("support", "write a ticket-ready text for PowerClerk support (no secrets)",
                  "ProgramID, x-amzn-RequestId of the failing calls, account and admin role, attempt and result, "
                  "exact methods (URL, method, redacted headers, body), call pattern and frequency, continuous "
                  "or intermittent, timestamps. Scanned for secrets (raw, base64, URL-encoded) before writing.",
                  cmd_support, _support_args, needs_workspace=False)
