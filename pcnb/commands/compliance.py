"""The compliance commands: a regulator's report pack from a rule file, and one project's audit trail
(pcnb.compliance)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import polars as pl

from pcnb.commands.base import Command, CommandError, Session


def _rules(ws: Any, path: str) -> Any:
    from pcnb.compliance.rules import for_profile

    return for_profile(path, ws.profile)


def _built(ws: Any, rules: Any, label: str) -> Any:
    from pcnb.compliance.inputs import built

    return built(ws, rules, label)


def _compliance_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("rules", help="the rule file (YAML: steps, days, clock, period; docs/compliance.md)")
    p.add_argument("--period", required=True, help="the reporting period: 2025Q3, 2025H1 or 2025")
    # -o NAME keeps a result in a notebook variable in every command of the grammar; the folder is --pack
    p.add_argument("--pack", metavar="FOLDER", help="write the pack (table, cases, stays, manifest) into this folder")
    p.add_argument("--no-report", action="store_true", help="--pack without report.html (the compliance notebook "
                   "run on the same data; it needs a source checkout and takes a while)")
    p.add_argument("--pdf", action="store_true", help="--pack: also print the report to report.pdf (needs Chromium)")
    p.add_argument("--compare", metavar="PACK", help="an earlier pack's folder: show the restated cells and the "
                   "projects that moved them")


def cmd_compliance(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.compliance.pack import restatement, write

    ws = session.require()
    rules = _rules(ws, args.rules)
    built, counted = _built(ws, rules, args.period)
    if args.compare and not args.pack:
        raise CommandError("--compare needs --pack: the new pack is compared with the earlier one on disk",
                           f"e.g. `compliance {args.rules} --period {args.period} --pack pack-{args.period} "
                           f"--compare {args.compare}`")
    if (args.pdf or args.no_report) and not args.pack:
        flag = "--pdf" if args.pdf else "--no-report"
        raise CommandError(f"{flag} is about the pack's report, and no --pack was given",
                           f"e.g. `compliance {args.rules} --period {args.period} --pack pack-{args.period}"
                           f"{' --pdf' if args.pdf else ''}`")
    if not args.pack:
        if counted is not None and rules.steps:
            print(counted[0])  # both tables: the counts above, the steps' table returned
        return built[0] if rules.steps else counted[0] if counted is not None else built[0]
    profile_text = ws.profile_path.read_text(encoding="utf-8") if ws.profile_path.exists() else repr(ws.profile)
    report = None if args.no_report else _report_writer(ws, args)
    folder = write(args.pack, rules, args.period, built, profile_text, ws.store.generation(), counted, report)
    names = [*(("table.csv", "cases.csv", "stays.csv") if rules.steps else ()),
             *(("counts.csv", "count_cases.csv") if counted is not None else ()), "pack.xlsx",
             *(() if args.no_report else ("report.html",)), *(("report.pdf",) if args.pdf else ()), "manifest.json"]
    said = f"pack for {args.period} written to {folder}/ ({', '.join(names)})"
    if args.compare:
        if not (Path(args.compare) / "table.csv").is_file():
            raise CommandError(f"{args.compare} holds no pack (no table.csv)", "name the folder of an earlier pack")
        changed = restatement(args.compare, folder)
        print(said)
        return changed
    return said


def _report_writer(ws: Any, args: argparse.Namespace) -> Any:
    """What writes the pack's report into its folder once the tables are there."""
    from pcnb.compliance.pack_report import write_report

    return lambda folder: write_report(ws, args.rules, args.period, folder, pdf=args.pdf)


def _explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project (number or id)")
    p.add_argument("--rules", required=True, help="the rule file")
    p.add_argument("--period", required=True, help="the reporting period: 2025Q3, 2025H1 or 2025")


def cmd_explain(args: argparse.Namespace, session: Session) -> Any:
    ws = session.require()
    rules = _rules(ws, args.rules)
    (_, found, stays, end), counted = _built(ws, rules, args.period)
    key = pl.col("project_id") == args.project
    if "project_number" in found.columns:
        key = key | (pl.col("project_number") == args.project)
    mine = found.filter(key)
    in_counts = counted[1].filter(key) if counted is not None and "project_number" in counted[1].columns else None
    if mine.height == 0 and (in_counts is None or in_counts.height == 0):
        raise CommandError(f"{args.project} is no case of {args.period} under {rules.name}",
                           "check the number, or the period: a step finished before the period is in an "
                           "earlier one")
    lines = [f"{args.project} under {rules.name} ({rules.source}), as the data stood at {end:%Y-%m-%d %H:%M} UTC; "
             f"{rules.days_word}, clock: {rules.clock}"]
    for case in mine.iter_rows(named=True):
        lines.append(f"  {case['step']}: {case['counted_days']:g} counted of {case['allowed_days']:g} allowed -> "
                     f"{case['verdict']} (utility {case['utility_days']:g}, applicant {case['applicant_days']:g}, "
                     f"third party {case['third_party_days']:g})")
        for stay in stays.filter(key & (pl.col("step") == case["step"])).iter_rows(named=True):
            left = f"{stay['left']:%Y-%m-%d}" if stay["left"] else "still there"
            lines.append(f"    {stay['status']} ({stay['holder']}): {stay['entered']:%Y-%m-%d} -> {left}, "
                         f"{stay['days']:g} days" + ("" if stay["holder"] == "utility" or rules.clock == "elapsed"
                                                      else ", not counted"))
    for row in (in_counts.iter_rows(named=True) if in_counts is not None else ()):
        tier = f" ({row['tier']})" if row["tier"] else ""
        lines.append(f"  counted under {row['count']}{tier}: entered {row['status']} on {row['entered']:%Y-%m-%d}")
    return "\n".join(lines)


COMPLIANCE = Command("compliance", "a regulator's report pack from a rule file (steps, days, whose clock)",
                     "Count each step of the rule file over the period as the data stood at its end (A completed, "
                     "B late, C open and late, D mean days, E percent late) and, with --pack FOLDER, write the pack "
                     "with every case behind it and a manifest that reproduces it.", cmd_compliance, _compliance_args)
EXPLAIN = Command("explain", "one project's audit trail under a rule file",
                  "The stays counted for the project in each step of the rule file, whose days they were, the "
                  "days allowed and the verdict.", cmd_explain, _explain_args)


def _rules_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("check", "shapes"), help="check: validate a rule file against the program; "
                   "shapes: list the published report shapes pcnb ships")
    p.add_argument("file", nargs="?", help="the rule file to check")


def cmd_rules(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.compliance import shapes

    if args.action == "shapes":
        ws = session.workspace
        return shapes.text(ws.profile if ws is not None else None)
    if not args.file:
        raise CommandError("`rules check` needs the rule file", "e.g. `rules check my-rules.yaml`")
    rules = _rules(session.require(), args.file)
    what = [f"{len(rules.steps)} steps"] if rules.steps else []
    what += [f"{len(rules.counts)} counts"] if rules.counts else []
    tiers = f", tiers by {rules.tier_by}" if rules.tier_by else ""
    return (f"{args.file}: {rules.name} ({rules.source}) is valid for this program: {' and '.join(what)}, "
            f"{rules.days_word}, clock {rules.clock}, per {rules.period}{tiers}")


RULES = Command("rules", "check a rule file against the program, or list the shipped report shapes",
                "`rules check FILE` validates a rule file (steps, counts, statuses, tiers) against the program's "
                "profile and names every problem with its fix; `rules shapes` lists the published shapes pcnb ships "
                "(FERC, Massachusetts, Maryland, Illinois, California, New York) to start a file from with "
                "`based_on:`.", cmd_rules, _rules_args)
