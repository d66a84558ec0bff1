"""The write actions: one class per action, registered by name. Everything about an action that
touches production is on its class: its columns and command options, whether it needs a program
admin, whether it is idempotent, how a change is validated, the request it sends, how to verify that
a lost answer landed, its diff, its undo and its place in the project browser.

The planner (plan.py), the executor (execute.py), the journal, the ``%powerclerk`` grammar
(pcnb.commands.write), the CLI and the project browser read this registry; adding an action is one
class here (decorated with ``@register``) plus its tests.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pcnb.contract import ATTACHMENT_ACTIONS, THREAD_STATUSES, parse_timestamp
from pcnb.errors import InputError
from pcnb.writeback.current import fill_before, form_not_open, required_after
from pcnb.writeback.fields import same
from pcnb.writeback.model import ChangeRequest, JournalRow, Op, PlannerView

if TYPE_CHECKING:
    from pcnb.api.client import PowerClerkClient
    from pcnb.api.response import Response

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
#: option columns (and keyword defaults) every action's requests carry
OPTIONS = ("form", "subject", "note", "auto_communication", "run_followup_actions", "submit")


@dataclass(frozen=True)
class BrowserForm:
    """How the project browser offers an action: its label and which inputs it shows."""

    label: str
    field: str | None = None  # label of the free-text "field" input, None to hide it
    value: str | None = None  # label of the free-text "value" input
    form: bool = False  # show the form input
    status: bool = False  # show the to-status dropdown


class Action:
    """Base class of a write action; subclasses set the class variables and override the hooks."""

    name: ClassVar[str]
    help: ClassVar[str]  # one line: what it does (errors, --help)
    command_help: ClassVar[str] = ""  # the subcommand's one-line help
    description: ClassVar[str] = ""  # the subcommand's description
    admin: ClassVar[bool] = False  # needs program-admin credentials
    idempotent: ClassVar[bool] = True  # False: a lost answer is verified on the server before a resend
    target_column: ClassVar[str | None] = None  # column naming what is changed (field, thread, attachment)
    value_column: ClassVar[str | None] = None  # column holding the new value
    needs_project: ClassVar[bool] = True
    needs_target: ClassVar[bool] = False
    data: ClassVar[bool] = False  # form data: one operation per (project, form), one column per field
    undoable: ClassVar[bool] = False  # PowerClerk has an inverse: undo restores the before-values
    #: the ``%powerclerk`` subcommand (None: reached through another one, as draft through `set --draft`)
    command: ClassVar[str | None] = None
    value_option: ClassVar[str | None] = None  # the command option that carries the value column
    required_options: ClassVar[tuple[str, ...]] = ()  # command options needed unless --from a frame
    browser: ClassVar[BrowserForm | None] = None
    #: "submitted" or "draft": planning reads the project's live form data and calls check_current
    reads_form: ClassVar[str | None] = None

    # ---- grammar --------------------------------------------------------------------------------
    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The subcommand's own options (PROJECT..., --from, --yes are added for every action)."""

    def command_action(self, args: argparse.Namespace) -> str:
        """The action a parsed command line stands for (``set --draft`` is the draft action)."""
        return self.name

    def command_rows(self, targets: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
        """The rows of changes a command line stands for: its value option into the value column and
        its thread/attachment option into the target column, exactly as a frame of changes has them."""
        d = args.__dict__
        key_col = "project" if self.needs_project else (self.target_column or "project")
        extra: dict[str, Any] = {}
        if self.value_column and self.value_option:
            extra[self.value_column] = d.get(self.value_option)
        if self.target_column and self.target_column != key_col and d.get(self.target_column):
            extra[self.target_column] = d[self.target_column]
        return [{key_col: t, **extra} for t in targets]

    # ---- plan -----------------------------------------------------------------------------------
    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        """Fill ``op`` (target, label, payload, before) from ``req``; append what is wrong to op.problems."""
        raise NotImplementedError

    def data_options(self, req: ChangeRequest) -> dict[str, Any]:
        """Data actions: the options kept in the operation's payload."""
        return {}

    def check_current(self, planner: PlannerView, op: Op, data: dict[str, Any], form: dict[str, Any]) -> None:
        """With the live form data (``reads_form``): fill op.before and add what is wrong."""

    def unchanged(self, op: Op) -> bool:
        """Would sending change nothing?"""
        return False

    def diff_new(self, op: Op) -> Any:
        """The diff's "new" column."""
        return op.payload.get("value") or op.payload.get("text") or op.payload.get("file") or op.label

    # ---- execute --------------------------------------------------------------------------------
    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        raise NotImplementedError

    def verify(self, client: PowerClerkClient, program: str, op: Op, newer: Callable[[Any], bool]) -> bool:
        """Did an attempt whose answer was lost reach the server? (Only asked of non-idempotent
        actions; ``newer(timestamp)`` says whether a server timestamp is after the attempt.)"""
        raise NotImplementedError(f"{self.name} is idempotent: it is simply sent again")

    # ---- undo -----------------------------------------------------------------------------------
    def undo_requests(self, row: JournalRow, batch: str, submitted: set[tuple[str | None, Any]]
                      ) -> list[ChangeRequest]:
        """Requests restoring a done row's before-values ([] when PowerClerk has no inverse)."""
        return []

    # ---- browser --------------------------------------------------------------------------------
    def browser_row(self, project: str, form: str, field: str, value: str, status: str) -> dict[str, Any]:
        """A change for one selected project from the browser's inputs."""
        row: dict[str, Any] = {"action": self.name, "project": project}
        if self.value_column:
            row[self.value_column] = value.strip()
        return row


_REGISTRY: dict[str, Action] = {}


A = TypeVar("A", bound=type[Action])


def register(cls: A) -> A:
    """Class decorator: add an action to the registry (its ``name`` must be new)."""
    if cls.name in _REGISTRY:
        raise ValueError(f"write action {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls()
    return cls


def unregister(name: str) -> None:
    """Remove an action (tests that register a throwaway one clean up with this)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Action:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"action {name!r} is unknown", f"use one of {', '.join(_REGISTRY)}") from None


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def all_actions() -> Iterator[Action]:
    return iter(list(_REGISTRY.values()))


def commands() -> dict[str, Action]:
    """subcommand name -> action, for the write subcommands of the grammar."""
    return {a.command: a for a in _REGISTRY.values() if a.command}


def admin_actions() -> frozenset[str]:
    return frozenset(a.name for a in _REGISTRY.values() if a.admin)


def unchanged(op: Op) -> bool:
    return get(op.action).unchanged(op)


# ---- shared checks ---------------------------------------------------------------------------------
def flag(value: Any) -> bool | None:
    """A yes/no option from a frame cell, a CSV or a keyword."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise InputError(f"{value!r} is not a yes/no value", "use true or false")


def clean(value: Any) -> str | None:
    """Stripped text, or None for a missing or blank value."""
    if value is None:
        return None
    return str(value).strip() or None


def _projects_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("projects", nargs="*", metavar="PROJECT", help="project ids or numbers")


# ---- form data ---------------------------------------------------------------------------------------
class _DataAction(Action):
    target_column, value_column = "field", "value"
    needs_target = data = undoable = True

    def unchanged(self, op: Op) -> bool:
        return all(same(op.before.get("fields", {}).get(k), v) for k, v in op.payload["fields"].items())

    def undo_requests(self, row: JournalRow, batch: str, submitted: set[tuple[str | None, Any]]
                      ) -> list[ChangeRequest]:
        form = row["after"].get("form")
        masked = set(row["before"].get("masked", []))
        if masked:
            raise InputError(f"batch {batch} changed sensitive field(s) whose before-values the API masked; "
                             "they cannot be restored", "restore them by hand")
        options = row["after"].get("payload", {}).get("options", {})
        return [ChangeRequest(row=row["seq"], action=row["action"], project=row["project_id"], target=fid,
                              value="" if value is None else value, form=form, subject=None, note=None,
                              auto_communication=None, run_followup_actions=options.get("run_followup_actions"),
                              submit=None)
                for fid, value in row["before"].get("fields", {}).items()]


#: column names of a frame of changes that are not form fields
RESERVED_COLUMNS = frozenset({"project", "action", "form", "field", "value", "submit", "run_followup_actions",
                              "auto_communication", "subject", "note", "row"})


@register
class SetData(_DataAction):
    command_help = "set form data (admin: submitted data; --draft: the draft)"
    name, command, admin = "set", "set", True
    help = "admin: set submitted form data (SetProjectData on .../Data; run_followup_actions)"
    description = ("Set FIELD=VALUE on each PROJECT, e.g. `set PRJ-00011 PRJ-00012 FIELD=7.5 --form "
                   "FORM`. Fields by custom id, id or name; values are checked against the form schema.")
    browser = BrowserForm("Set a form field", field="Field", value="Value", form=True)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--form", help="form id, custom id or name")
        parser.add_argument("--draft", action="store_true",
                            help="write the draft (applicants) instead of submitted data")
        parser.add_argument("--submit", action="store_true", help="with --draft: submit the form afterwards")
        parser.add_argument("--no-followup", action="store_true", help="admin: run_followup_actions=false")

    def command_action(self, args: argparse.Namespace) -> str:
        return "draft" if args.draft else "set"

    def command_rows(self, targets: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
        pairs = [t for t in targets if "=" in t]
        if not pairs:
            raise InputError("set needs FIELD=VALUE assignments", "e.g. set PRJ-00011 FIELD=7.5 --form FORM")
        values: dict[str, str] = {}
        for name, value in (p.split("=", 1) for p in pairs):
            name = name.strip()
            if name in RESERVED_COLUMNS:  # frame columns are lower case; field ids are not
                raise InputError(f"set {name}=...: {name!r} is not a field (it names the project or an option)",
                                 "name projects before the assignments and use --form / --submit for options")
            if name in values:
                raise InputError(f"set assigns {name} twice ({values[name]!r} and {value!r})", "keep one")
            values[name] = "" if value.strip() == "<clear>" else value  # <clear> empties, as in a CSV
        return [{"project": t, **values} for t in targets if "=" not in t]

    reads_form = "submitted"

    def data_options(self, req: ChangeRequest) -> dict[str, Any]:
        return {"run_followup_actions": flag(req.get("run_followup_actions"))}

    def check_current(self, planner: PlannerView, op: Op, data: dict[str, Any], form: dict[str, Any]) -> None:
        fill_before(op, data)
        required_after(planner, op, form, data)

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_project_data(program, op.project_id or "", op.form or "", dict(op.payload["fields"]),
                                       admin=True, run_followup_actions=op.payload["options"].get(
                                           "run_followup_actions"))

    def browser_row(self, project: str, form: str, field: str, value: str, status: str) -> dict[str, Any]:
        return {"action": "set", "project": project, "form": form, "field": field.strip(), "value": value}


@register
class Draft(_DataAction):
    name = "draft"
    help = "set draft form data, optionally submitting the form afterwards"

    reads_form = "draft"

    def data_options(self, req: ChangeRequest) -> dict[str, Any]:
        return {"submit": bool(flag(req.get("submit")))}

    def check_current(self, planner: PlannerView, op: Op, data: dict[str, Any], form: dict[str, Any]) -> None:
        status = data.get("CurrentStatus") or {}
        if problem := form_not_open(form, status):
            op.problems.append(problem)
        fill_before(op, data)
        op.before["status"] = status.get("Name")

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_project_data(program, op.project_id or "", op.form or "", dict(op.payload["fields"]))

    def undo_requests(self, row: JournalRow, batch: str, submitted: set[tuple[str | None, Any]]
                      ) -> list[ChangeRequest]:
        if (row["project_id"], row["after"].get("form")) in submitted:
            raise InputError(f"batch {batch} submitted the draft of project {row['project_id']}; a draft undo "
                             "cannot unsubmit it", "restore submitted values with an admin `set` plan instead")
        return super().undo_requests(row, batch, submitted)


# ---- workflow -------------------------------------------------------------------------------------
@register
class SetStatus(Action):
    command_help = "move projects to a status (admin)"
    name = command = "status"
    help = "admin: move a project to a status (SetProjectStatus; AutoCommunication)"
    description = "SetProjectStatus on each PROJECT; the transition must be one the program's history shows."
    admin, idempotent = True, False
    undoable = True  # where the workflow moves back: each op says (op.reversible), the undo plan checks
    value_column, value_option, required_options = "status", "to", ("to",)
    browser = BrowserForm("Move to status", status=True)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--to", metavar="STATUS", help="status name, custom id or id")
        parser.add_argument("--auto-communication", choices=("on", "off"),
                            help="send (or suppress) automated emails")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        ref = str(req["value"]).strip()
        match = next((s for s in planner.statuses() if ref in s), None)
        op.payload = {"options": {"auto_communication": flag(req.get("auto_communication"))}}
        if match is None:
            names_ = ", ".join(sorted({s[2] for s in planner.statuses()}))
            op.problems.append(f"status {ref!r} is unknown (statuses: {names_})")
            op.target, op.label, op.payload["value"] = ref, ref, ref
            return
        op.target, op.label, op.payload["value"] = match[0], match[2], match[2]
        if proj is None:
            return
        current = proj["status"]
        op.before = {"value": current, "status_id": proj["status_id"]}
        if current != match[2]:
            seen = planner.transitions().get(current, set())
            if match[2] not in seen:
                op.problems.append(f"{current} -> {match[2]} is not a transition this program's history shows "
                                   f"(from {current}: {', '.join(sorted(seen)) or 'none, it looks terminal'})")
            op.reversible = current in planner.transitions().get(match[2], set())  # can it move back?

    def unchanged(self, op: Op) -> bool:
        return same(op.before.get("value"), op.payload.get("value"))

    def undo_requests(self, row: JournalRow, batch: str, submitted: set[tuple[str | None, Any]]
                      ) -> list[ChangeRequest]:
        """Move back to the status it left; the undo plan checks that the workflow allows it now."""
        back = row["before"].get("value")
        if not back:
            return []
        options = row["after"].get("payload", {}).get("options", {})
        return [ChangeRequest(row=row["seq"], action="status", project=row["project_id"], target=None, value=back,
                              form=None, subject=None, note=None,
                              auto_communication=options.get("auto_communication"), run_followup_actions=None,
                              submit=None)]

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_project_status(program, op.project_id or "", op.target or "",
                                         op.payload["options"].get("auto_communication"))

    def verify(self, client: PowerClerkClient, program: str, op: Op, newer: Callable[[Any], bool]) -> bool:
        history = client.status_history(program, op.project_id or "").get("StatusHistory") or []
        latest = history[0] if history else {}
        return bool(latest.get("StatusId") == op.target and newer(latest.get("Timestamp")))

    def browser_row(self, project: str, form: str, field: str, value: str, status: str) -> dict[str, Any]:
        return {"action": "status", "project": project, "status": status}


# ---- inquiries ------------------------------------------------------------------------------------
@register
class Note(Action):
    command_help = "add an inquiry note (admin)"
    name = command = "note"
    help = "admin: add an inquiry note to a thread, or open a new thread with a subject"
    description = "Reply in --thread, or open a new thread with --subject."
    admin, idempotent = True, False
    target_column, value_column, value_option, required_options = "thread", "text", "text", ("text",)
    browser = BrowserForm("Add inquiry note (new thread)", field="Subject", value="Note")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--text", help="the note")
        g = parser.add_mutually_exclusive_group()
        g.add_argument("--thread", help="thread id to reply in")
        g.add_argument("--subject", help="subject of a new thread")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        text = req["value"] if isinstance(req["value"], str) else ""
        if not text.strip():
            op.problems.append("the note text is empty")
        thread, subject = req.get("target"), clean(req.get("subject"))
        op.payload = {"text": text, "thread": thread, "subject": subject}
        op.target = thread
        if thread:
            t = planner.threads().get(thread)
            if t is None:
                op.problems.append(f"inquiry thread {thread!r} is not in the cache (run sync with inquiries)")
            elif proj is not None and t["project_id"] != proj["project_id"]:
                op.problems.append(f"thread {thread} belongs to another project")
            op.label = f"reply in {t['subject'] if t else thread}"
        elif not subject:
            op.problems.append("a new thread needs a subject (or give the thread id to reply in)")
        else:
            op.label = f"new thread: {subject}"

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        p = op.payload
        return client.set_inquiry_note(program, op.project_id or "", p["text"], thread_id=p["thread"],
                                       subject=p["subject"])

    def verify(self, client: PowerClerkClient, program: str, op: Op, newer: Callable[[Any], bool]) -> bool:
        """Find our text in the thread (or in a new thread with our subject) after the attempt."""
        threads = client.inquiry_threads(program, op.project_id or "").get("InquiryThreads") or []
        for t in threads:
            if op.payload["thread"] and t.get("ThreadId") != op.payload["thread"]:
                continue
            new_thread = t.get("Subject") == op.payload["subject"] and newer(t.get("CreatedTimestamp"))
            if not op.payload["thread"] and not new_thread:
                continue
            notes = client.inquiry_notes(program, t["ThreadId"]).get("Notes") or []
            if any(n.get("Text") == op.payload["text"] and newer(n.get("Timestamp")) for n in notes):
                return True
        return False

    def browser_row(self, project: str, form: str, field: str, value: str, status: str) -> dict[str, Any]:
        return {"action": "note", "project": project, "subject": field, "text": value}


@register
class ThreadStatus(Action):
    command_help = "open or close inquiry threads (admin)"
    name = command = "thread-status"
    help = "admin: open or close an inquiry thread"
    description = "SetInquiryThreadStatus."
    admin = True
    target_column, value_column, value_option, required_options = "thread", "status", "to", ("to",)
    needs_project, needs_target = False, True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("threads", nargs="*", metavar="THREAD")
        parser.add_argument("--to", choices=("Open", "Closed"))

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        value, thread = str(req["value"]).strip().capitalize(), req["target"]
        op.target, op.label, op.payload = thread, f"thread {thread}", {"value": value}
        if value not in THREAD_STATUSES:
            op.problems.append(f"thread status {req['value']!r} must be one of {', '.join(THREAD_STATUSES)}")
        t = planner.threads().get(thread or "")
        if t is None:
            op.problems.append(f"inquiry thread {thread!r} is not in the cache (run sync with inquiries)")
            return
        op.project_id = t["project_id"]
        p = planner.project(t["project_id"])
        op.project_number = p["project_number"] if p else None
        op.before = {"value": t["status"]}

    def unchanged(self, op: Op) -> bool:
        return same(op.before.get("value"), op.payload.get("value"))

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_thread_status(program, op.target or "", op.payload["value"])


# ---- people -------------------------------------------------------------------------------------------
class _Person(Action):
    value_column = value_option = "email"
    required_options = ("email",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--email")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        email = str(req["value"]).strip()
        op.label, op.payload = op.action, {"value": email}
        if not re.match(_EMAIL, email):
            op.problems.append(f"{email!r} is not an email address")


@register
class Assign(_Person):
    command_help = "set the assignee of projects"
    name = command = "assign"
    help = "set a project's assignee (email)"
    description = "SetAssignee."
    browser = BrowserForm("Assign to", value="Email")

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_assignee(program, op.project_id or "", op.payload["value"])


@register
class Owner(_Person):
    command_help = "set the owner of projects"
    name = command = "owner"
    help = "set a project's owner (email)"
    description = "SetProjectOwner."
    browser = BrowserForm("Set owner", value="Email")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        super().validate(planner, op, req, proj)
        if proj is not None:
            op.before = {"value": proj["owner_email"]}

    def unchanged(self, op: Op) -> bool:
        return same(op.before.get("value"), op.payload.get("value"))

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_owner(program, op.project_id or "", op.payload["value"])


# ---- attachments --------------------------------------------------------------------------------------
@register
class Upload(Action):
    command_help = "upload a file to a form's draft attachment"
    name = command = "upload"
    help = "upload a file to a form's draft attachment, optionally submitting afterwards"
    description = "UploadAttachment (then --submit)."
    target_column, value_column, value_option = "attachment", "file", "file"
    required_options = ("attachment", "file", "form")
    needs_target = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--attachment", help="attachment id, custom id or name")
        parser.add_argument("--file", help="path of the file")
        parser.add_argument("--form")
        parser.add_argument("--submit", action="store_true", help="submit the form afterwards")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        path = Path(str(req["value"])).expanduser()
        op.payload = {"file": str(path), "options": {"submit": bool(flag(req.get("submit")))}}
        if not path.is_file():
            op.problems.append(f"file {str(path)!r} does not exist")
        elif path.stat().st_size == 0:
            op.problems.append(f"file {str(path)!r} is empty")
        planner.resolve_attachment(op, req["target"], req.get("form"))

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.upload_attachment(program, op.project_id or "", op.form or "", op.target or "",
                                        op.payload["file"])


@register
class Submit(Action):
    command_help = "submit a form's draft"
    name = command = "submit"
    help = "submit a form's draft (moves the project to the form's next status)"
    description = "SubmitProject: moves each PROJECT to the form's next status."
    idempotent = False
    required_options = ("form",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--form")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        form = planner.form(req.get("form"))
        op.label, op.payload = "submit", {}
        if form is None:
            op.problems.append(planner.form_problem(req.get("form")))
        else:
            op.form = form["FormId"]

    reads_form = "draft"

    def check_current(self, planner: PlannerView, op: Op, data: dict[str, Any], form: dict[str, Any]) -> None:
        status = data.get("CurrentStatus") or {}
        if problem := form_not_open(form, status):
            op.problems.append(problem)
        op.before = {"value": status.get("Name"), "status_id": status.get("StatusId")}
        if not op.payload.get("after_draft") and data.get("CanSubmit") is False:
            op.problems.append(f"form {form.get('Name')} cannot be submitted yet (CanSubmit is false: "
                               "required fields or attachments are missing)")

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.submit_project(program, op.project_id or "", op.form or "")

    def verify(self, client: PowerClerkClient, program: str, op: Op, newer: Callable[[Any], bool]) -> bool:
        data = client.project_data(program, op.project_id or "", op.form or "", draft=True).get("Project") or {}
        return bool((data.get("CurrentStatus") or {}).get("StatusId") != op.before.get("status_id"))


@register
class AttachmentDecision(Action):
    command_help = "approve/reject an uploaded attachment (admin)"
    name = command = "attachment"
    help = "admin: Approve / Reject / Unmark / Save an uploaded attachment, with a note"
    description = "SetAttachmentMetadata."
    admin, needs_target = True, True
    target_column, value_column, value_option = "attachment", "decision", "decision"
    required_options = ("attachment", "decision")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--attachment")
        parser.add_argument("--decision", choices=("Approve", "Reject", "Unmark", "Save"))
        parser.add_argument("--note", help="note shown to the applicant")

    def validate(self, planner: PlannerView, op: Op, req: ChangeRequest, proj: dict[str, Any] | None) -> None:
        decision = str(req["value"]).strip().capitalize()
        op.payload = {"value": decision, "note": clean(req.get("note"))}
        if decision not in ATTACHMENT_ACTIONS:
            op.problems.append(f"attachment decision {req['value']!r} must be one of {', '.join(ATTACHMENT_ACTIONS)}")
        planner.resolve_attachment(op, req["target"], req.get("form"))

    def send(self, client: PowerClerkClient, program: str, op: Op) -> Response:
        return client.set_attachment_metadata(program, op.project_id or "", op.target or "", op.payload["value"],
                                              op.payload["note"])


def newer_than(since: float) -> Callable[[Any], bool]:
    """``newer(timestamp)``: is a server timestamp at or after ``since`` (epoch s) minus clock skew?"""
    after = since - 300.0

    def newer(ts: Any) -> bool:
        try:
            parsed = parse_timestamp(ts)
            return parsed is not None and parsed.timestamp() >= after
        except (TypeError, ValueError, AttributeError):
            return False
    return newer
