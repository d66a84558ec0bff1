"""Project browser: filter cached projects, select rows, choose an action, review the plan, execute.

Stock ipywidgets plus grids (pcnb.grids: itables HTML in an Output widget, no lab extension): the
filtered projects and the plan's diff are sortable, searchable grids with every column aligned and
long texts wrapped. A grid is HTML, so it cannot tell the kernel which rows were clicked: picking
rows is the Select list beside it (one line per project, in the grid's order). The browser reads
the local cache (no API call) until Plan is clicked; Execute is enabled only for a plan that
passed validation, and sends exactly what the diff showed; Sync refreshes the cache afterwards.
Messages speak of the buttons, not of Python calls.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import polars as pl

from pcnb import writeback
from pcnb.bidi import visible
from pcnb.errors import IrreversibleUnconfirmed, PowerClerkError
from pcnb.widgets.grid import GridOutput
from pcnb.writeback import actions

COLUMNS = ("project_number", "project_id", "status", "owner_name", "owner_email", "last_change")


def browser_actions() -> list[tuple[str, str]]:
    """(label, action) of every registered action that offers itself to the browser."""
    return [(a.browser.label, a.name) for a in actions.all_actions() if a.browser]


class ProjectBrowser:
    def __init__(self, workspace: Any, max_rows: int = 500):
        self.ws, self.max_rows = workspace, max_rows
        self.frame = workspace.projects()
        statuses = sorted(self.frame["status"].cast(pl.String).drop_nulls().unique().to_list())
        self.statuses = statuses
        self.status = w.Dropdown(options=_labelled(["(all)", *statuses]), value="(all)", description="Status")
        self.search = w.Text(description="Search", placeholder="number, id or owner contains")
        self.table = GridOutput()
        self.rows = w.SelectMultiple(options=[], rows=8, description="Select",
                                     layout=w.Layout(width="95%"), style={"description_width": "initial"})
        self.count = w.HTML()
        self.action = w.Dropdown(options=browser_actions(), description="Action")
        forms = [f["CustomId"] for f in workspace.client.forms(workspace.program).get("Forms") or []]
        self.form = w.Dropdown(options=forms, value=forms[0] if forms else None, description="Form")
        known = sorted({name for _, _, name in workspace.store.status_refs() if name}
                       | set(statuses))
        self.to_status = w.Dropdown(options=_labelled(known), description="To status")
        self.field = w.Text(description="Field")
        self.value = w.Text(description="Value")
        self.plan_button = w.Button(description="Plan", icon="list", tooltip="validate and show the diff")
        self.execute_button = w.Button(description="Execute", button_style="danger", disabled=True,
                                       tooltip="send the plan shown above")
        self.sync_button = w.Button(description="Sync", icon="refresh", tooltip="bring the cache up to date")
        self.confirm_env = w.Text(description="Confirm", placeholder="type the environment's name",
                                  layout=w.Layout(display="none"), style={"description_width": "initial"})
        self.undo_button = w.Button(description="Undo last batch", icon="undo", disabled=True,
                                    tooltip="restore the before-values of the last batch's data changes")
        self.last_batch: str | None = None
        self.diff = GridOutput()
        self.message = w.HTML()
        self.plan: Any = None
        for control in (self.status, self.search):
            control.observe(lambda _: self.refresh(), names="value")
        self.action.observe(lambda _: self._layout(), names="value")
        for control in (self.rows, self.form, self.to_status, self.field, self.value):
            control.observe(lambda _: self._invalidate(), names="value")
        self.plan_button.on_click(lambda _: self.make_plan())
        self.execute_button.on_click(lambda _: self.execute())
        self.undo_button.on_click(lambda _: self.undo())
        self.sync_button.on_click(lambda _: self.sync())
        self.widget = w.VBox([w.HBox([self.status, self.search, self.sync_button]), self.count, self.table.widget,
                              self.rows, w.HBox([self.action, self.form, self.to_status]),
                              w.HBox([self.field, self.value]),
                              w.HBox([self.plan_button, self.confirm_env, self.execute_button, self.undo_button]),
                              self.message, self.diff.widget])
        self.refresh()
        self._layout()

    # ---- table ---------------------------------------------------------------------------------
    def filtered(self) -> pl.DataFrame:
        df = self.frame
        if self.status.value != "(all)":
            df = df.filter(pl.col("status").cast(pl.String) == self.status.value)
        needle = self.search.value.strip().lower()
        if needle:
            hay = pl.concat_str([pl.col(c).fill_null("") for c in ("project_number", "project_id", "owner_name",
                                                                   "owner_email")], separator=" ")
            df = df.filter(hay.str.to_lowercase().str.contains(needle, literal=True))
        out: pl.DataFrame = df.sort("last_change", descending=True, nulls_last=True)
        return out

    def refresh(self) -> None:
        df = self.filtered()
        shown = df.head(self.max_rows)
        keep = set(self.rows.value)
        self.rows.options = [(visible(f"{r['project_number'] or r['project_id']:<12}  {r['status']:<24}  "
                                      f"{(r['owner_name'] or '')[:28]:<28}  changed {str(r['last_change'])[:10]}"),
                              r["project_id"]) for r in shown.iter_rows(named=True)]
        self.rows.value = tuple(v for _, v in self.rows.options if v in keep)
        more = f" (showing the {self.max_rows} most recently changed; filter to narrow)" if df.height > shown.height \
            else ""
        self.count.value = (f"{df.height:,} project(s){more}: sort and search the grid, pick rows in the Select "
                            "list under it (Shift/Ctrl-click for several)")
        self.table.show(shown.select([c for c in COLUMNS if c in shown.columns]))

    # ---- action --------------------------------------------------------------------------------
    def _layout(self) -> None:
        form = actions.get(self.action.value).browser
        assert form is not None
        field_label, value_label = form.field, form.value
        self.form.layout.display = "" if form.form else "none"
        self.to_status.layout.display = "" if form.status else "none"
        self.field.layout.display = "" if field_label else "none"
        self.value.layout.display = "" if value_label else "none"
        self.field.description, self.value.description = field_label or "", value_label or ""
        self._invalidate()

    def _invalidate(self) -> None:
        """Any change after planning makes the shown plan stale: it must be planned again."""
        self.plan = None
        self.execute_button.disabled = True
        self.confirm_env.value, self.confirm_env.layout.display = "", "none"

    def changes(self) -> list[dict[str, Any]]:
        action, ids = actions.get(self.action.value), list(self.rows.value)
        if not ids:
            raise PowerClerkError("no projects selected",
                                  "pick rows in the Select list (Shift/Ctrl-click for several), then click Plan")
        return [action.browser_row(p, self.form.value, self.field.value, self.value.value, self.to_status.value)
                for p in ids]

    def make_plan(self) -> Any:
        self._invalidate()
        try:
            self.plan = writeback.plan(self.ws, self.changes())
        except PowerClerkError as exc:
            self._say(str(exc).replace("\n", " "), error=True)
            self.diff.clear()
            return None
        self.diff.show(self.plan.diff)
        self.execute_button.disabled = not self.plan.ok
        if self.plan.ok and self.plan.irreversible():  # the second confirmation: the environment, typed
            self.confirm_env.layout.display = None
            self.confirm_env.placeholder = f"type {self.plan.environment} to send"
        self._say(plan_message(self.plan), error=not self.plan.ok)
        return self.plan

    def execute(self) -> Any:
        if self.plan is None or not self.plan.ok:
            self._say("plan first: click Plan and review the diff", error=True)
            return None
        try:
            result = self.plan.execute(confirm=True, progress=False,
                                       irreversible=self.confirm_env.value.strip() or None)
        except IrreversibleUnconfirmed as exc:  # the plan stays: type the name and click Execute again
            self._say(f"{exc.message}. Type {self.plan.environment} in Confirm, then click Execute.", error=True)
            return None
        self._invalidate()
        self.last_batch = result.batch_id
        self.undo_button.disabled = not any(actions.get(a).undoable for a in result.frame["action"].to_list())
        self.diff.show(result.frame)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items()))
        rest = "; click Plan, then Execute, to finish the rest (done ones are not sent again)" \
            if result.failed.height else ""
        self._say(f"batch {result.batch_id}: {counts}{rest}; click Sync to see the new values in the table",
                  error=bool(result.failed.height))
        return result

    def undo(self) -> Any:
        """Plan the undo of the last batch here and show its diff; Execute sends it (every undo is a
        data change that can itself be undone)."""
        if self.last_batch is None:
            self._say("nothing to undo: no batch was executed from this browser", error=True)
            return None
        self._invalidate()
        try:
            self.plan = writeback.undo(self.ws, self.last_batch)
        except PowerClerkError as exc:
            self._say(str(exc).replace("\n", " "), error=True)
            return None
        self.undo_button.disabled = True
        self.diff.show(self.plan.diff)
        self.execute_button.disabled = not self.plan.ok
        if self.plan.ok and self.plan.irreversible():  # an undo that itself cannot be undone: name the place
            self.confirm_env.layout.display = None
            self.confirm_env.placeholder = f"type {self.plan.environment} to send"
        self._say(f"undo of {self.last_batch} planned: " + plan_message(self.plan), error=not self.plan.ok)
        return self.plan

    def sync(self) -> None:
        """Bring the cache up to date (incremental: a page plus the changed projects) and re-filter."""
        try:
            report = self.ws.sync(progress=False)
        except PowerClerkError as exc:
            self._say(str(exc).replace("\n", " "), error=True)
            return
        self.frame = self.ws.projects()
        statuses = sorted(self.frame["status"].cast(pl.String).drop_nulls().unique().to_list())
        current, self.statuses = self.status.value, statuses
        self.status.options = _labelled(["(all)", *statuses])  # resets the value to "(all)"; the choice is kept
        self.status.value = current if current in statuses else "(all)"
        self.refresh()
        self._say(f"synced: {report.calls} call(s), the table shows the cache as of now")

    def _say(self, text: str, error: bool = False) -> None:
        color = "#b00020" if error else "#1b5e20"
        self.message.value = f'<span style="color:{color}">{html.escape(visible(text))}</span>'


def _labelled(names: list[str]) -> list[tuple[str, str]]:
    """Dropdown options (label, value): a label shows a name's bidirectional controls (pcnb.bidi),
    the value stays the program's own name (filters and plans use it)."""
    return [(visible(name), name) for name in names]


def plan_message(plan: Any) -> str:
    """The plan's summary in the browser's terms: its buttons, not execute(confirm=True)."""
    bad = sum(op.invalid for op in plan.ops)
    same = sum(actions.unchanged(op) and not op.invalid for op in plan.ops)
    send = len(plan.ops) - bad - same
    if bad:
        return (f"{bad} of {len(plan.ops)} operation(s) have problems (the check column says which): change the "
                "selection or the values and click Plan again; nothing was sent")
    final = plan.irreversible()
    where = f"for {plan.environment} program {plan.ws.program}"
    if final:
        return (f"plan ready {where}: {send} operation(s) to send, {same} unchanged; {len(final)} cannot be undone "
                f"({plan.kinds(final)}). Review the diff below, type {plan.environment} "
                "in Confirm, then click Execute (changing anything first needs Plan again)")
    return (f"plan ready {where}: {send} operation(s) to send, {same} unchanged, every one can be undone. Review "
            "the diff below, then click Execute (changing anything first needs Plan again)")
