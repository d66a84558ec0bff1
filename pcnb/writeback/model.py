"""The write-back's typed domain: change requests, operations, journal rows and states, and the
small protocol the engine needs from its caller (a Workspace satisfies it; nothing here imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

if TYPE_CHECKING:
    import polars as pl

    from pcnb.api.client import PowerClerkClient
    from pcnb.cache.store import Store


class JournalState(StrEnum):
    """A journaled operation's life: planned -> sending (committed before the request leaves) ->
    done | failed | unknown (sent, answer lost); done -> undone once an undo batch restored it."""

    PLANNED = "planned"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"
    UNDONE = "undone"


#: states whose operation still has to be sent (or verified)
PENDING = frozenset({JournalState.PLANNED, JournalState.SENDING, JournalState.UNKNOWN})


class ChangeRequest(TypedDict):
    """One change as normalised from a frame, a CSV, a command line or the browser: what to do to
    which project/target, with the options of its action and the input row that asked for it."""

    row: int
    action: str
    project: str | None
    target: str | None
    value: Any
    form: Any
    subject: Any
    note: Any
    auto_communication: Any
    run_followup_actions: Any
    submit: Any


class JournalAfter(TypedDict, total=False):
    form: str | None
    label: str
    project_number: str | None
    payload: dict[str, Any]


class JournalRow(TypedDict):
    """One journaled operation of a batch, before/after decoded."""

    seq: int
    action: str
    project_id: str | None
    target: str | None
    before: dict[str, Any]
    after: JournalAfter
    state: str


@dataclass
class Op:
    """One API write. ``payload`` is what is sent, ``before`` what it replaces (for the diff and undo)."""

    seq: int
    action: str
    project_id: str | None
    project_number: str | None
    form: str | None = None
    target: str | None = None
    label: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # of the whole operation
    field_problems: dict[str, str] = field(default_factory=dict)  # field id -> problem (data actions)
    #: can an undo take it back? None: as its action's class says (``undoable``); a status move knows
    #: only at planning, from the workflow (is there a move back?)
    reversible: bool | None = None

    @property
    def invalid(self) -> bool:
        return bool(self.problems or self.field_problems)

    def all_problems(self) -> list[str]:
        return [*self.problems, *self.field_problems.values()]


class Target(Protocol):
    """What the write-back engine needs: a client, the store, the program and cached frames."""

    client: PowerClerkClient
    store: Store
    program: str

    def projects(self) -> pl.DataFrame: ...

    def status_events(self) -> pl.DataFrame: ...

    def inquiry_threads(self) -> pl.DataFrame: ...


class PlannerView(Protocol):
    """What an action's checks read from the planner (``writeback.planner.Planner`` is the one
    implementation). Actions type against this, so ``actions`` and ``current`` need not import the
    planner, which imports them: no circle, not even one for types."""

    def project(self, ref: str | None) -> dict[str, Any] | None: ...

    def form(self, ref: str | None) -> dict[str, Any] | None: ...

    def form_problem(self, ref: Any) -> str: ...

    def resolve_attachment(self, op: Op, ref: Any, form_ref: Any) -> None: ...

    def schema(self, form: dict[str, Any]) -> dict[str, Any] | str: ...

    def transitions(self) -> dict[str, set[str]]: ...

    def statuses(self) -> list[tuple[str, str | None, str]]: ...

    def threads(self) -> dict[str, dict[str, Any]]: ...
