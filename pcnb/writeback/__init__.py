"""Write-back: plan (validate + diff) -> confirm -> execute (journal, resume) -> undo.

    plan = writeback.plan(ws, changes, action="set", form="FORM")
    plan                      # summary + diff table (project, field, current, new, check)
    result = plan.execute(confirm=True)
    writeback.undo(ws, plan.batch_id).execute(confirm=True)

The same engine serves the Python API, ``%powerclerk set/status/...``, the ``%%powerclerk`` cell
form and the project browser widget. Modules: actions (one class per action, the registry),
changes (frames/CSV -> change requests), fields (value checks), planner (resolve + validate + read
live form data), current (checks on live form data), journal (the journal's rows, batches and SQL),
execute (send), plan (Plan, Result, undo, resume), model (typed requests, operations, journal rows,
the Target protocol and the PlannerView protocol the actions check against).
"""

from pcnb.writeback import actions, journal
from pcnb.writeback.changes import CLEAR, parse_csv
from pcnb.writeback.model import JournalState
from pcnb.writeback.plan import Plan, Result, plan, plan_requests, resume, table, undo

__all__ = ["CLEAR", "JournalState", "Plan", "Result", "actions", "journal", "parse_csv", "plan", "plan_requests",
           "resume", "table", "undo"]
