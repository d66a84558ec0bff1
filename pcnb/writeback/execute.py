"""Send a confirmed plan: journal first, one rate-limited operation at a time, failures per row.

Non-idempotent actions (a note, a submit, a status move) whose previous attempt may have reached
the server (journal state ``sending``/``unknown``) are checked against the server before being
sent again: a duplicate inquiry note or a second status move is worse than a skipped one.

Exactly once across processes: each row is claimed (journal.claim) before anything is sent or
checked; a row claimed by another live run is left to it, and so are the later rows of the same
project. A 5xx answer to a non-idempotent write is ``unknown`` (a gateway may answer 502 after the
server applied it), like a lost answer. A check is conclusive only once the earlier attempt can no
longer land: ``check_after = max(answer time, sent + timeout) + LAND_MARGIN_S``; a check before
that which finds nothing waits until then and checks again before sending.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pcnb.errors import ApiError, InputError, PowerClerkError, RateLimited, TransportError
from pcnb.writeback import actions, journal
from pcnb.writeback.model import JournalState, Op, Target

if TYPE_CHECKING:
    from pcnb.api.response import Response

SKIPPED = "skipped (already done)"
VERIFIED = "done (verified)"
UNCHANGED = "unchanged"
BUSY = "in progress elsewhere"
#: result states meaning the server holds the operation's values
APPLIED = frozenset({JournalState.DONE.value, VERIFIED, UNCHANGED, SKIPPED})
#: seconds after an attempt's timeout (or its 5xx) until a request still in flight is assumed to
#: have landed or been dropped by the server
LAND_MARGIN_S = 5.0
#: a claim's lease beyond its own waits (renewed before each attempt leaves)
LEASE_S = 300.0


class ClaimLost(PowerClerkError):
    """Our claim on a journal row expired and another run took it over: we must not send it."""


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
    journal.record(store, batch, ops)
    owner = journal.new_owner()
    timeout = float(getattr(ws.client.http, "timeout", 30.0))
    results: dict[int, dict[str, Any]] = {}
    failed_drafts: set[tuple[str | None, str | None]] = set()
    elsewhere: dict[str | None, int] = {}  # project -> seq of its row another run is sending
    sent = 0
    held: int | None = None  # the seq we hold a claim on (released if we stop abruptly)
    bar = tqdm(ops, desc=f"write-back {batch}", unit="op", disable=not progress, leave=False)
    try:
        for op in bar:
            if op.project_id in elsewhere:  # a project's rows go in order, by one run at a time
                results[op.seq] = {"state": BUSY, "error": f"waits for operation {elsewhere[op.project_id]} of "
                                                           "this project, which another run is sending"}
                continue
            claimed, state, sent_at, check_after = journal.claim(store, batch, op.seq, owner, LEASE_S)
            if not claimed:
                if state in (JournalState.DONE, JournalState.UNDONE):
                    results[op.seq] = {"state": SKIPPED}
                else:
                    elsewhere[op.project_id] = op.seq
                    results[op.seq] = {"state": BUSY, "error": "another run (process, kernel or machine) is sending it"}
                continue
            held = op.seq
            if actions.unchanged(op):
                journal.mark(store, batch, op.seq, JournalState.DONE, error="unchanged: nothing to send")
                results[op.seq] = {"state": UNCHANGED}
                held = None
                continue
            if op.action == "submit" and op.payload.get("after_draft") and (op.project_id, op.form) in failed_drafts:
                journal.mark(store, batch, op.seq, JournalState.FAILED, error="its draft data was not saved")
                results[op.seq] = {"state": JournalState.FAILED.value, "error": "its draft data was not saved"}
                held = None
                continue
            maybe_sent = state in (JournalState.SENDING, JournalState.UNKNOWN) and sent_at is not None
            if maybe_sent and not actions.get(op.action).idempotent:
                land_by = check_after if check_after is not None else (sent_at or 0.0) + timeout + LAND_MARGIN_S
                try:
                    found = _check(ws, op, batch, owner, sent_at or 0.0, land_by)
                except ClaimLost as exc:
                    results[op.seq] = {"state": BUSY, "error": exc.message}
                    held = None
                    continue
                except RateLimited:
                    journal.mark(store, batch, op.seq, JournalState.UNKNOWN, error="rate limit: resume later",
                                 check_after=land_by)
                    results[op.seq] = {"state": JournalState.UNKNOWN.value, "error": "rate limit: resume later"}
                    held = None
                    break
                if found:
                    journal.mark(store, batch, op.seq, JournalState.DONE,
                                 error="verified on the server after a lost answer")
                    results[op.seq] = {"state": VERIFIED}
                    held = None
                    continue
            results[op.seq] = _send(ws, op, batch, owner, timeout)
            held = None
            state_now = results[op.seq]["state"]
            if state_now == JournalState.PLANNED and "rate limit" in str(results[op.seq].get("error")):
                break
            if op.action == "draft" and state_now in (JournalState.UNKNOWN, JournalState.FAILED):
                failed_drafts.add((op.project_id, op.form))
            if state_now == JournalState.DONE:
                sent += 1
                bar.set_postfix_str(f"{sent} done")
    finally:
        bar.close()
        if held is not None:  # stopped abruptly (e.g. KeyboardInterrupt) while holding a claim
            row = store.conn.execute("SELECT sent_at FROM journal WHERE batch_id = ? AND seq = ? AND owner = ?",
                                     (batch, held, owner)).fetchone()
            if row is not None:
                journal.mark(store, batch, held, JournalState.UNKNOWN if row[0] is not None else JournalState.PLANNED,
                             error="interrupted", check_after=None if row[0] is None else
                             row[0] + timeout + LAND_MARGIN_S)
    return results


def _check(ws: Target, op: Op, batch: str, owner: str, since: float, check_after: float) -> bool:
    """Is the earlier attempt applied? A "no" before ``check_after`` is not final: the attempt may
    still land, so wait (holding the claim) until then and ask once more."""
    if already_applied(ws, op, since):
        return True
    wait = check_after - time.time()
    if wait <= 0:
        return False
    if not journal.renew(ws.store, batch, op.seq, owner, check_after + LEASE_S):
        raise ClaimLost(f"operation {op.seq} was taken over by another run")
    time.sleep(wait)
    return already_applied(ws, op, since)


def _send(ws: Target, op: Op, batch: str, owner: str, timeout: float) -> dict[str, Any]:
    """Send one claimed row and record its outcome (which releases the claim)."""
    store = ws.store
    channel = ws.client.http

    def leaving() -> None:  # every attempt: our claim still holds, and the journal knows it left
        if not journal.renew(store, batch, op.seq, owner, time.time() + timeout + LEASE_S, timeout + LAND_MARGIN_S):
            raise ClaimLost(f"operation {op.seq} was taken over by another run; not sent")

    idempotent = actions.get(op.action).idempotent
    channel.before_send = leaving
    try:
        answer = send(ws, op)
    except ClaimLost as exc:
        return {"state": BUSY, "error": exc.message}
    except RateLimited as exc:
        journal.mark(store, batch, op.seq, JournalState.PLANNED, exc.request_id, error=brief(exc))
        return {"state": JournalState.PLANNED.value, "error": "rate limit reached; re-run to resume"}
    except TransportError as exc:  # sent, answer lost (or never arrived): re-run verifies
        journal.mark(store, batch, op.seq, JournalState.UNKNOWN, error=brief(exc), check_after=_land_by(store, batch,
                                                                                                        op, timeout))
        return {"state": JournalState.UNKNOWN.value, "error": brief(exc)}
    except ApiError as exc:
        rid = exc.request_id
        if exc.status is not None and exc.status >= 500 and not idempotent:  # may be applied behind a gateway
            journal.mark(store, batch, op.seq, JournalState.UNKNOWN, rid, error=brief(exc),
                         check_after=_land_by(store, batch, op, timeout))
            return {"state": JournalState.UNKNOWN.value, "request_id": rid,
                    "error": brief(exc) + " (may have been applied; a re-run checks the server before resending)"}
        journal.mark(store, batch, op.seq, JournalState.FAILED, rid, error=brief(exc))
        return {"state": JournalState.FAILED.value, "request_id": rid, "error": brief(exc)}
    except InputError as exc:
        journal.mark(store, batch, op.seq, JournalState.FAILED, None, error=brief(exc))
        return {"state": JournalState.FAILED.value, "request_id": None, "error": brief(exc)}
    finally:
        channel.before_send = None
    rid = answer.request_id
    journal.mark(store, batch, op.seq, JournalState.DONE, rid)
    return {"state": JournalState.DONE.value, "request_id": rid}


def _land_by(store: Any, batch: str, op: Op, timeout: float) -> float:
    """From when a check of this failed attempt on the server is conclusive."""
    row = store.conn.execute("SELECT sent_at FROM journal WHERE batch_id = ? AND seq = ?", (batch, op.seq)).fetchone()
    sent_at = row[0] if row and row[0] is not None else time.time()
    return max(time.time(), sent_at + timeout) + LAND_MARGIN_S
