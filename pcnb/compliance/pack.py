"""A report pack for the regulator: the table, every case behind it, each stay behind each case, and a
manifest that says what produced them, so the same command at the same as-of reproduces the pack byte
for byte and anyone can trace a cell to its projects.

Files (CSV, UTF-8, sorted, fixed number formats; no time of writing anywhere):

- ``table.csv``: one row per step: A, B, C, D, E and the cases in no column (open within, exited);
- ``cases.csv``: one row per (step, project): days by holder, counted, allowed, verdict;
- ``stays.csv``: one row per stay inside a case: status, holder, entered, left, days;
- ``counts.csv`` and ``count_cases.csv`` (a rule file with ``counts``): the decision counts per tier,
  with capacity, and every project behind each count;
- ``pack.xlsx``: the tables as sheets of one workbook (dated by the data's as-of);
- ``report.html`` (and ``report.pdf``): the compliance notebook run in report mode on the same data
  at the same instant (pcnb.compliance.pack_report);
- ``manifest.json``: rule set (name, source, sha256), profile sha256, period and its end (the data's
  as-of), the store's change generation, pcnb's version, and each file's sha256.

``--compare`` against an earlier pack (``restatement``) lists the cells that changed and the projects
whose verdicts moved them: a restatement a regulator can follow.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import polars as pl

from pcnb.compliance.cases import CASE_SCHEMA, cases, stays_in_steps, table
from pcnb.compliance.counts import count_cases, count_table
from pcnb.compliance.period import end_instant, parse
from pcnb.compliance.rules import RuleSet
from pcnb.errors import ConfigError

FILES = ("table.csv", "cases.csv", "stays.csv")


def build(events: pl.DataFrame, rules: RuleSet, calendar: Any, label: str, final: list[str],
          holders: dict[str, str], projects: pl.DataFrame | None = None,
          tiers: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, datetime]:
    """(table, cases, stays, period end) for period ``label`` (2025Q3): the data as it stood at the
    period's last local instant. ``projects`` adds each case's project number; ``tiers`` (project_id,
    tier) is each project's tier for a rule file with ``tier_by``."""
    first, last = parse(label)
    end = end_instant(last, calendar.timezone)
    if not rules.steps:  # a file of counts only
        return table(pl.DataFrame(schema=CASE_SCHEMA), rules), pl.DataFrame(schema=CASE_SCHEMA), pl.DataFrame(), end
    oldest = events["ts"].min() if events.height else None
    if not isinstance(oldest, datetime) or oldest > end:
        since = f"the first is {oldest:%Y-%m-%d}" if isinstance(oldest, datetime) else "the cache holds none"
        raise ConfigError(f"no status history in or before {label} ({since})",
                          "choose a period the synced data covers, or sync first")
    every = stays_in_steps(events, rules, calendar, end, final, holders)  # the intervals at `end`, built once
    found = cases(events, rules, calendar, (first, last), end, final, holders, tiers, every)
    stays = every.join(found.select("step", "project_id"), on=["step", "project_id"], how="semi")
    if projects is not None and "project_number" in projects.columns:
        numbers = projects.select("project_id", "project_number")
        found = found.join(numbers, on="project_id", how="left")
        stays = stays.join(numbers, on="project_id", how="left")
    return table(found, rules), found, stays.drop("started", "ended"), end


def build_counts(events: pl.DataFrame, rules: RuleSet, calendar: Any, label: str,
                 projects: pl.DataFrame | None = None, tiers: pl.DataFrame | None = None,
                 sizes: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(counts table, the projects behind it) for period ``label``, as the data stood at its end."""
    first, last = parse(label)
    found = count_cases(events, rules, calendar, (first, last), end_instant(last, calendar.timezone), tiers, sizes)
    if projects is not None and "project_number" in projects.columns:
        found = found.join(projects.select("project_id", "project_number"), on="project_id", how="left")
    return count_table(found, rules), found


def write(folder: str | Path, rules: RuleSet, label: str, built: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame,
                                                                       datetime],
          profile_text: str, generation: int, counted: tuple[pl.DataFrame, pl.DataFrame] | None = None,
          report: Callable[[Path], list[Path]] | None = None) -> Path:
    """Write the pack's files and manifest into ``folder`` (created; files of an earlier pack replaced).
    ``counted``: :func:`build_counts`' result, for a rule file with counts; ``report`` writes the
    report's files into the folder (before the manifest, which lists them)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tab, found, stays, end = built
    frames = dict(zip(FILES, (tab, found, stays), strict=True)) if rules.steps else {}
    if counted is not None:
        frames |= {"counts.csv": counted[0], "count_cases.csv": counted[1]}
    digests = {}
    for name, frame in frames.items():
        text = _csv(frame)
        (out / name).write_text(text, encoding="utf-8", newline="")
        digests[name] = hashlib.sha256(text.encode()).hexdigest()
    xlsx = out / "pack.xlsx"
    _xlsx(xlsx, frames, end, rules)
    digests["pack.xlsx"] = hashlib.sha256(xlsx.read_bytes()).hexdigest()
    for page in report(out) if report is not None else ():
        digests[page.name] = hashlib.sha256(page.read_bytes()).hexdigest()
    manifest = {
        "rules": {"name": rules.name, "source": rules.source, "sha256": rules.digest, "clock": rules.clock,
                  "unit": rules.unit},
        "period": label, "data_as_of": end.isoformat(), "profile_sha256": hashlib.sha256(
            profile_text.encode()).hexdigest(), "store_generation": generation, "pcnb": _version(),
        "files": digests,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def restatement(old: str | Path, new: str | Path) -> pl.DataFrame:
    """Cells of ``new``'s tables that differ from ``old``'s (step or count, column, before, after) and,
    per step or count, the projects whose verdict or membership differs: what a restated figure
    rests on."""
    parts = []
    if (Path(old) / "table.csv").is_file() and (Path(new) / "table.csv").is_file():
        parts.append(_restated(old, new, "table.csv", "cases.csv", ["step", "tier"],
                               ["A", "B", "C", "D", "E", "open_within", "exited"], "verdict"))
    if (Path(old) / "counts.csv").is_file() and (Path(new) / "counts.csv").is_file():
        columns = [c for c in pl.read_csv(Path(new) / "counts.csv").columns if c not in ("count", "tier")]
        parts.append(_restated(old, new, "counts.csv", "count_cases.csv", ["count", "tier"], columns, None))
    if not parts:
        raise ConfigError(f"{old} and {new} share no table (table.csv or counts.csv)",
                          "compare packs made from the same rule file")
    return pl.concat(parts).sort("step", "column")


def _restated(old: str | Path, new: str | Path, table_file: str, cases_file: str, keys: list[str],
              columns: list[str], verdict: str | None) -> pl.DataFrame:
    """The changed cells of one table and, per row key, the projects that moved them."""
    label = (pl.col(keys[0]) + pl.when(pl.col(keys[1]).is_not_null()).then(" (" + pl.col(keys[1]) + ")")
             .otherwise(pl.lit(""))).alias("step")
    before = pl.read_csv(Path(old) / table_file, infer_schema=False).with_columns(label)
    after = pl.read_csv(Path(new) / table_file, infer_schema=False).with_columns(label)
    rows = []
    for col in columns:
        joined = before.select("step", pl.col(col).alias("b")).join(after.select("step", pl.col(col).alias("a")),
                                                                    on="step", how="full", coalesce=True)
        for step, b, a in joined.filter(pl.col("a").ne_missing(pl.col("b"))).iter_rows():
            rows.append((step, col, b, a))
    cells = pl.DataFrame(rows, orient="row", schema={"step": pl.String, "column": pl.String, "before": pl.String,
                                                      "after": pl.String})
    mark = pl.col(verdict) if verdict else pl.lit("counted")
    old_cases = pl.read_csv(Path(old) / cases_file, infer_schema=False).select(label, "project_id", mark.alias("was"))
    new_cases = pl.read_csv(Path(new) / cases_file, infer_schema=False).select(label, "project_id", mark.alias("now"))
    moved = old_cases.join(new_cases, on=["step", "project_id"], how="full", coalesce=True).filter(
        pl.col("was").ne_missing(pl.col("now")))
    by_step = moved.group_by("step").agg(
        (pl.col("project_id") + ": " + pl.col("was").fill_null("-") + " -> " + pl.col("now").fill_null("-"))
        .sort().str.join("; ").alias("projects"))
    return cells.join(by_step, on="step", how="left")


def _xlsx(path: Path, frames: dict[str, pl.DataFrame], end: datetime, rules: RuleSet) -> None:
    """The same three tables as sheets of one workbook (what a regulator's analyst opens), dated by
    the data's as-of, not the time of writing, so it is reproduced byte for byte too."""
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": f"{rules.name}", "subject": rules.source,
                         "created": end.replace(tzinfo=None, microsecond=0)})
    bold = book.add_format({"bold": True})
    for name, frame in frames.items():
        sheet = book.add_worksheet(name.removesuffix(".csv"))
        shown = pl.read_csv(_csv(frame).encode(), infer_schema=False) if frame.height else frame
        sheet.write_row(0, 0, shown.columns, bold)
        for i, row in enumerate(frame.select(shown.columns).iter_rows(), 1):
            sheet.write_row(i, 0, [_cell(v) for v in row])
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, max(len(shown.columns) - 1, 0), 16)
    book.close()


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float):
        return round(value, 4)
    return value


def _version() -> str:
    """pcnb's installed version (the package face imports the front ends: not from there)."""
    try:
        return version("pcnb")
    except PackageNotFoundError:
        return "unknown"


def _csv(frame: pl.DataFrame) -> str:
    """Deterministic CSV: times as ISO UTC to the second, floats to 2 places, rows sorted."""
    shown = frame.select([
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(t, pl.Datetime) else
        pl.col(c).round(4) if t in (pl.Float32, pl.Float64) else pl.col(c)
        for c, t in frame.schema.items()])
    if "projects" in shown.columns:  # the counts table keeps the rule file's order of counts and tiers
        return shown.write_csv(float_precision=4)
    keys = [c for c in ("step", "count", "tier", "project_id", "entered") if c in shown.columns]
    return shown.sort(keys, maintain_order=True, nulls_last=True).write_csv(float_precision=4)


__all__ = ["build", "build_counts", "restatement", "write"]
