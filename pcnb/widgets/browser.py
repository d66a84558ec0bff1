"""Project browser: filter cached projects, select rows, choose an action, review the plan, execute.

Stock ipywidgets only (JupyterLab, Notebook 7, VS Code). The table is a SelectMultiple of
formatted rows because stock widgets have no data grid; filters narrow it to a usable size. The
browser reads the local cache (no API call) until Plan is clicked; Execute is enabled only for a
plan that passed validation, and sends exactly what the diff showed.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import polars as pl

from pcnb import writeback
from pcnb.errors import PowerClerkError
from pcnb.writeback import actions


def browser_actions() -> list[tuple[str, str]]:
    """(label, action) of every registered action that offers itself to the browser."""
    return [(a.browser.label, a.name) for a in actions.all_actions() if a.browser]


class ProjectBrowser:
    def __init__(self, workspace: Any, max_rows: int = 500):
        self.ws, self.max_rows = workspace, max_rows
        self.frame = workspace.projects()
        statuses = sorted(self.frame["status"].cast(pl.String).drop_nulls().unique().to_list())
        self.status = w.Dropdown(options=["(all)", *statuses], description="Status")
        self.search = w.Text(description="Search", placeholder="number, id or owner contains")
        self.rows = w.SelectMultiple(options=[], rows=12, description="Projects",
                                     layout=w.Layout(width="95%"), style={"description_width": "initial"})
        self.count = w.HTML()
        self.action = w.Dropdown(options=browser_actions(), description="Action")
        forms = [f["CustomId"] for f in workspace.client.forms(workspace.program).get("Forms") or []]
        self.form = w.Dropdown(options=forms, value=forms[0] if forms else None, description="Form")
        known = sorted({name for _, _, name in workspace.store.status_refs() if name}
                       | set(statuses))
        self.to_status = w.Dropdown(options=known, description="To status")
        self.field = w.Text(description="Field")
        self.value = w.Text(description="Value")
        self.plan_button = w.Button(description="Plan", icon="list", tooltip="validate and show the diff")
        self.execute_button = w.Button(description="Execute", button_style="danger", disabled=True,
                                       tooltip="send the plan shown above")
        self.diff = w.HTML()
        self.message = w.HTML()
        self.plan: Any = None
        for control in (self.status, self.search):
            control.observe(lambda _: self.refresh(), names="value")
        self.action.observe(lambda _: self._layout(), names="value")
        for control in (self.rows, self.form, self.to_status, self.field, self.value):
            control.observe(lambda _: self._invalidate(), names="value")
        self.plan_button.on_click(lambda _: self.make_plan())
        self.execute_button.on_click(lambda _: self.execute())
        self.widget = w.VBox([w.HBox([self.status, self.search]), self.count, self.rows,
                              w.HBox([self.action, self.form, self.to_status]), w.HBox([self.field, self.value]),
                              w.HBox([self.plan_button, self.execute_button]), self.message, self.diff])
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
        self.rows.options = [(f"{r['project_number'] or r['project_id']:<12}  {r['status']:<24}  "
                              f"{(r['owner_name'] or '')[:28]:<28}  changed {str(r['last_change'])[:10]}",
                              r["project_id"]) for r in shown.iter_rows(named=True)]
        self.rows.value = tuple(v for _, v in self.rows.options if v in keep)
        more = f" (showing the {self.max_rows} most recently changed; filter to narrow)" if df.height > shown.height \
            else ""
        self.count.value = f"{df.height:,} project(s){more}"

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

    def changes(self) -> list[dict[str, Any]]:
        action, ids = actions.get(self.action.value), list(self.rows.value)
        if not ids:
            raise PowerClerkError("no projects selected", "select rows in the list (Shift/Ctrl-click for several)")
        return [action.browser_row(p, self.form.value, self.field.value, self.value.value, self.to_status.value)
                for p in ids]

    def make_plan(self) -> Any:
        self._invalidate()
        try:
            self.plan = writeback.plan(self.ws, self.changes())
        except PowerClerkError as exc:
            self._say(str(exc).replace("\n", " "), error=True)
            self.diff.value = ""
            return None
        self.diff.value = writeback.table(self.plan.diff)
        self.execute_button.disabled = not self.plan.ok
        self._say(self.plan.summary(), error=not self.plan.ok)
        return self.plan

    def execute(self) -> Any:
        if self.plan is None or not self.plan.ok:
            self._say("plan first: click Plan and review the diff", error=True)
            return None
        plan, self.plan = self.plan, None
        self.execute_button.disabled = True
        result = plan.execute(confirm=True, progress=False)
        self.diff.value = writeback.table(result.frame)
        self._say(result.summary() + " — run `%powerclerk sync` to refresh the cached table",
                  error=bool(result.failed.height))
        return result

    def _say(self, text: str, error: bool = False) -> None:
        color = "#b00020" if error else "#1b5e20"
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'
