"""Adding a write action is one class: the grammar, the CLI, the planner, the executor, the journal
and the browser pick up a newly registered action without edits (the README's walkthrough)."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from pcnb import writeback
from pcnb.commands import CommandError, HelpShown, Session, build_parser, parse, run
from pcnb.writeback import actions
from pcnb.writeback.actions import Action, BrowserForm, register


class ExternalId(Action):
    """Set an inquiry thread's external id (SetInquiryThreadExternalId), e.g. a CRM ticket number."""

    name = command = "external-id"
    help = command_help = "admin: set the external id of inquiry threads"
    description = "SetInquiryThreadExternalId."
    admin = True
    target_column, value_column, value_option, required_options = "thread", "external_id", "id", ("id",)
    needs_project, needs_target = False, True
    browser = BrowserForm("Set thread external id", value="External id")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("threads", nargs="*", metavar="THREAD")
        parser.add_argument("--id", help="the external id")

    def validate(self, planner: Any, op: Any, req: Any, proj: Any) -> None:
        thread = planner.threads().get(req["target"])
        op.target, op.label, op.payload = req["target"], f"thread {req['target']}", {"value": str(req["value"])}
        if thread is None:
            op.problems.append(f"inquiry thread {req['target']!r} is not in the cache")
        else:
            op.project_id = thread["project_id"]

    def send(self, client: Any, program: str, op: Any) -> Any:
        return client.set_thread_external_id(program, op.target, op.payload["value"])


@pytest.fixture
def external_id():
    register(ExternalId)
    yield actions.get("external-id")
    actions.unregister("external-id")


def test_a_new_action_is_a_subcommand_of_the_magic_and_the_cli(external_id, capsys):
    assert "external-id" in build_parser().format_help()
    args = parse("external-id T1 T2 --id CRM-7")
    assert (args.command, args.threads, args.id) == ("external-id", ["T1", "T2"], "CRM-7")
    with pytest.raises(HelpShown, match="SetInquiryThreadExternalId"):
        parse("external-id --help")
    from pcnb.cli import main

    assert main(["external-id", "--help"]) == 0 and "usage: pcnb external-id" in capsys.readouterr().out
    assert "admin" in external_id.help and "external-id" in actions.commands()


def test_a_new_action_is_planned_executed_journaled_and_offered_by_the_browser(external_id, ws, fresh_sandbox):
    from pcnb.widgets.browser import browser_actions

    assert ("Set thread external id", "external-id") in browser_actions()
    thread = ws.inquiry_threads()["thread_id"][0]
    session = Session(workspace=ws)
    plan = run(parse(f"external-id {thread} --id CRM-7"), session)
    assert isinstance(plan, writeback.Plan) and plan.ok, plan.problems
    assert plan.diff.select("action", "target", "new").row(0) == ("external-id", f"thread {thread}", "CRM-7")
    with pytest.raises(CommandError, match="1 operation.s. of this plan cannot be undone .external-id. and would go to "
                                           "sandbox program"):
        run(parse("apply"), session)  # a registered action without undo needs the environment named
    result = run(parse("apply --irreversible sandbox"), session)
    assert result.counts == {"done": 1}
    assert fresh_sandbox.state.threads[thread].external_id == "CRM-7"
    journal = ws.journal(result.batch_id)
    assert journal.select("action", "state").row(0) == ("external-id", "done") and journal["request_id"][0]
    assert writeback.plan(ws, [{"action": "external-id", "thread": "nope", "external_id": "X"}]).problems.height == 1


def test_registering_a_name_twice_is_refused(external_id):
    with pytest.raises(ValueError, match="already registered"):
        register(ExternalId)
