"""Send a confirmed plan: journal first, one rate-limited operation at a time, failures per row.

Non-idempotent actions (a note, a submit, a status move) whose previous attempt may have reached
the server (journal state ``sending``/``unknown``) are checked against the server before being
sent again: a duplicate inquiry note or a second status move is worse than a skipped one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcnb.api.response import Response
from pcnb.errors import ApiError, InputError, RateLimited, TransportError
from pcnb.writeback import journal_db as journal

if TYPE_CHECKING:
    from pcnb.writeback.plan import Op

NOT_IDEMPOTENT = frozenset({"note", "submit", "status"})
SKIPPED = "skipped (already done)"
#: result states meaning the server holds the operation's values
APPLIED = frozenset({"done", "done (verified)", "unchanged", SKIPPED})
_CLOCK_SKEW_S = 300.0


def brief(exc: Exception) -> str:
    """One line for the journal and the result table: status, message and the field errors (the
    request id has its own column; the URL is in the diff already)."""
    if isinstance(exc, ApiError):
        return f"{exc.status} {exc.message}" + (": " + "; ".join(exc.errors) if exc.errors else "")
    return str(exc).splitlines()[0]


def send(ws: Any, op: Op) -> Response:
    c, prog, pid = ws.client, ws.program, op.project_id
    p = op.payload
    if op.action in ("set", "draft"):
        kw = {"admin": True, "run_followup_actions": p["options"].get("run_followup_actions")} \
            if op.action == "set" else {}
        return c.set_project_data(prog, pid, op.form, dict(p["fields"]), **kw)
    if op.action == "submit":
        return c.submit_project(prog, pid, op.form)
    if op.action == "status":
        return c.set_project_status(prog, pid, op.target, p["options"].get("auto_communication"))
    if op.action == "note":
        return c.set_inquiry_note(prog, pid, p["text"], thread_id=p["thread"], subject=p["subject"])
    if op.action == "thread-status":
        return c.set_thread_status(prog, op.target, p["value"])
    if op.action == "assign":
        return c.set_assignee(prog, pid, p["value"])
    if op.action == "owner":
        return c.set_owner(prog, pid, p["value"])
    if op.action == "upload":
        return c.upload_attachment(prog, pid, op.form, op.target, p["file"])
    if op.action == "attachment":
        return c.set_attachment_metadata(prog, pid, op.target, p["value"], p["note"])
    raise InputError(f"unknown action {op.action!r}")


def already_applied(ws: Any, op: Op, since: float) -> bool:
    """Did an attempt that lost its answer reach the server? Looks for its effect, newer than
    ``since`` (epoch seconds, minus clock skew)."""
    from pcnb.api.contract import parse_timestamp

    c, prog, pid = ws.client, ws.program, op.project_id
    after = since - _CLOCK_SKEW_S

    def newer(ts: Any) -> bool:
        try:
            return ts is not None and parse_timestamp(ts).timestamp() >= after
        except (TypeError, ValueError):
            return False

    if op.action == "status":
        history = c.status_history(prog, pid).get("StatusHistory") or []
        latest = history[0] if history else {}
        return latest.get("StatusId") == op.target and newer(latest.get("Timestamp"))
    if op.action == "submit":
        data = c.project_data(prog, pid, op.form, draft=True).get("Project") or {}
        return (data.get("CurrentStatus") or {}).get("StatusId") != op.before.get("status_id")
    # a note: find our text in the thread (or a new thread with our subject) after the attempt
    threads = c.inquiry_threads(prog, pid).get("InquiryThreads") or []
    for t in threads:
        if op.payload["thread"] and t.get("ThreadId") != op.payload["thread"]:
            continue
        new_thread = t.get("Subject") == op.payload["subject"] and newer(t.get("CreatedTimestamp"))
        if not op.payload["thread"] and not new_thread:
            continue
        notes = c.inquiry_notes(prog, t["ThreadId"]).get("Notes") or []
        if any(n.get("Text") == op.payload["text"] and newer(n.get("Timestamp")) for n in notes):
            return True
    return False


def run(ws: Any, batch: str, ops: list[Op], progress: bool = True) -> dict[int, dict[str, Any]]:
    """Execute ``ops`` of ``batch``; return seq -> {state, request_id, error}. Stops (leaving the
    rest planned) when the API's rate limit outlasts the transport's patience."""
    from tqdm.auto import tqdm

    store = ws.store
    states = journal.record(store, batch, ops)
    results: dict[int, dict[str, Any]] = {}
    failed_drafts: set[tuple[str | None, str | None]] = set()
    sent = 0
    bar = tqdm(ops, desc=f"write-back {batch}", unit="op", disable=not progress, leave=False)
    for op in bar:
        state = states.get(op.seq, "planned")
        if state == "done":
            results[op.seq] = {"state": SKIPPED}
            continue
        if op.unchanged:
            journal.mark(store, batch, op.seq, "done", error="unchanged: nothing to send")
            results[op.seq] = {"state": "unchanged"}
            continue
        if op.action == "submit" and op.payload.get("after_draft") and (op.project_id, op.form) in failed_drafts:
            journal.mark(store, batch, op.seq, "failed", error="its draft data was not saved")
            results[op.seq] = {"state": "failed", "error": "its draft data was not saved"}
            continue
        if state in ("sending", "unknown") and op.action in NOT_IDEMPOTENT:
            try:
                if already_applied(ws, op, journal.sent_at(store, batch, op.seq)):
                    journal.mark(store, batch, op.seq, "done", error="verified on the server after a lost answer")
                    results[op.seq] = {"state": "done (verified)"}
                    continue
            except RateLimited:
                results[op.seq] = {"state": state, "error": "rate limit: resume later"}
                break
        journal.mark(store, batch, op.seq, "sending")
        try:
            answer = send(ws, op)
        except RateLimited as exc:
            journal.mark(store, batch, op.seq, "planned", exc.request_id, error=brief(exc))
            results[op.seq] = {"state": "planned", "error": "rate limit reached; re-run to resume"}
            break
        except TransportError as exc:  # sent, answer lost (or never arrived): re-run verifies
            journal.mark(store, batch, op.seq, "unknown", error=brief(exc))
            results[op.seq] = {"state": "unknown", "error": brief(exc)}
            if op.action == "draft":
                failed_drafts.add((op.project_id, op.form))
            continue
        except (ApiError, InputError) as exc:
            rid = getattr(exc, "request_id", None)
            journal.mark(store, batch, op.seq, "failed", rid, error=brief(exc))
            results[op.seq] = {"state": "failed", "request_id": rid, "error": brief(exc)}
            if op.action == "draft":
                failed_drafts.add((op.project_id, op.form))
            continue
        rid = answer.request_id
        journal.mark(store, batch, op.seq, "done", rid)
        results[op.seq] = {"state": "done", "request_id": rid}
        sent += 1
        bar.set_postfix_str(f"{sent} done")
    bar.close()
    return results
