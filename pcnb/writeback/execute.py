"""Send a confirmed plan: journal first, one rate-limited operation at a time, failures per row.

Non-idempotent actions (a note, a submit, a status move) whose previous attempt may have reached
the server (journal state ``sending``/``unknown``) are checked against the server before being
sent again: a duplicate inquiry note or a second status move is worse than a skipped one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcnb.errors import ApiError, InputError, RateLimited, TransportError
from pcnb.writeback import actions, journal
from pcnb.writeback.model import JournalState, Op, Target

if TYPE_CHECKING:
    from pcnb.api.response import Response

SKIPPED = "skipped (already done)"
VERIFIED = "done (verified)"
UNCHANGED = "unchanged"
#: result states meaning the server holds the operation's values
APPLIED = frozenset({JournalState.DONE.value, VERIFIED, UNCHANGED, SKIPPED})


def brief(exc: Exception) -> str:
    """One line for the journal and the result table: status, message and the field errors (the
    request id has its own column; the URL is in the diff already)."""
    if isinstance(exc, ApiError):
        return f"{exc.status} {exc.message}" + (": " + "; ".join(exc.errors) if exc.errors else "")
    return str(exc).splitlines()[0]


def send(ws: Target, op: Op) -> Response:
    return actions.get(op.action).send(ws.client, ws.program, op)


def already_applied(ws: Target, op: Op, since: float) -> bool:
    """Did an attempt that lost its answer reach the server? Looks for its effect, newer than
    ``since`` (epoch seconds, minus clock skew)."""
    return actions.get(op.action).verify(ws.client, ws.program, op, actions.newer_than(since))


def run(ws: Target, batch: str, ops: list[Op], progress: bool = True) -> dict[int, dict[str, Any]]:
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
        state = states.get(op.seq, JournalState.PLANNED)
        if state == JournalState.DONE:
            results[op.seq] = {"state": SKIPPED}
            continue
        if actions.unchanged(op):
            journal.mark(store, batch, op.seq, JournalState.DONE, error="unchanged: nothing to send")
            results[op.seq] = {"state": UNCHANGED}
            continue
        if op.action == "submit" and op.payload.get("after_draft") and (op.project_id, op.form) in failed_drafts:
            journal.mark(store, batch, op.seq, JournalState.FAILED, error="its draft data was not saved")
            results[op.seq] = {"state": JournalState.FAILED.value, "error": "its draft data was not saved"}
            continue
        if state in (JournalState.SENDING, JournalState.UNKNOWN) and not actions.get(op.action).idempotent:
            try:
                if already_applied(ws, op, journal.sent_at(store, batch, op.seq)):
                    journal.mark(store, batch, op.seq, JournalState.DONE,
                                 error="verified on the server after a lost answer")
                    results[op.seq] = {"state": VERIFIED}
                    continue
            except RateLimited:
                results[op.seq] = {"state": str(state), "error": "rate limit: resume later"}
                break
        journal.mark(store, batch, op.seq, JournalState.SENDING)
        try:
            answer = send(ws, op)
        except RateLimited as exc:
            journal.mark(store, batch, op.seq, JournalState.PLANNED, exc.request_id, error=brief(exc))
            results[op.seq] = {"state": JournalState.PLANNED.value, "error": "rate limit reached; re-run to resume"}
            break
        except TransportError as exc:  # sent, answer lost (or never arrived): re-run verifies
            journal.mark(store, batch, op.seq, JournalState.UNKNOWN, error=brief(exc))
            results[op.seq] = {"state": JournalState.UNKNOWN.value, "error": brief(exc)}
            if op.action == "draft":
                failed_drafts.add((op.project_id, op.form))
            continue
        except (ApiError, InputError) as exc:
            rid = getattr(exc, "request_id", None)
            journal.mark(store, batch, op.seq, JournalState.FAILED, rid, error=brief(exc))
            results[op.seq] = {"state": JournalState.FAILED.value, "request_id": rid, "error": brief(exc)}
            if op.action == "draft":
                failed_drafts.add((op.project_id, op.form))
            continue
        rid = answer.request_id
        journal.mark(store, batch, op.seq, JournalState.DONE, rid)
        results[op.seq] = {"state": JournalState.DONE.value, "request_id": rid}
        sent += 1
        bar.set_postfix_str(f"{sent} done")
    bar.close()
    return results
