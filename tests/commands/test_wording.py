"""wording.py: no argparse text reaches a user, in the magic or the console script.

Every subcommand is given an unknown option, an option without its value, a bad choice and a bad
number wherever it has one; the messages must be pcnb's (what was wrong, the fix), never argparse's.
"""

from __future__ import annotations

import argparse

import pytest

from pcnb import cli
from pcnb.commands import CommandError, build_parser, parse, registry

ARGPARSE = ("usage:", "invalid choice", "unrecognized arguments", "the following arguments are required",
            "expected one argument", "argument ", "error:", "invalid int value", "not allowed with argument")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def bad_lines(name: str, sub: argparse.ArgumentParser) -> list[str]:
    lines = [f"{name} --no-such-option", f"{name} --out"]
    for action in sub._actions:
        flag = action.option_strings[-1] if action.option_strings else ""
        if action.choices and flag:
            lines.append(f"{name} {flag} not-a-choice")
        elif action.choices:
            lines.append(f"{name} not-a-choice")
        if action.type is int and flag:
            lines.append(f"{name} {flag} many")
    return lines


def _assert_plain(text: str, line: str) -> None:
    assert "fix:" in text, (line, text)
    assert not [w for w in ARGPARSE if w in text], (line, text)


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_magic_subcommand_with_bad_input_speaks_pcnb(name):
    sub = _subparsers(build_parser())[name]
    for line in bad_lines(name, sub):
        with pytest.raises(CommandError) as info:
            parse(line)
        _assert_plain(str(info.value), line)


def test_the_typical_mistakes_get_the_closest_word():
    with pytest.raises(CommandError, match=r"'agin' is not a valid NAME \(did you mean 'aging'\?\)"):
        parse("chart agin")
    with pytest.raises(CommandError, match=r"unknown option --statsu \(did you mean --status\?\)"):
        parse("projects --statsu 'Application Review'")
    with pytest.raises(CommandError, match="fix: choose one of: throughput, cfd"):
        parse("chart")
    with pytest.raises(CommandError, match="--env and --sandbox cannot be used together"):
        parse("connect --sandbox --env trial")


@pytest.mark.parametrize("name", cli.OWN)
def test_every_console_command_with_bad_input_speaks_pcnb(name, capsys):
    sub = _subparsers(cli.parser())[name]
    for line in bad_lines(name, sub) + [f"{name} --port"] * (name != "report"):
        with pytest.raises(SystemExit) as info:
            cli.main(line.split())
        assert info.value.code == 2, line
        _assert_plain(capsys.readouterr().err, line)


def test_a_misspelled_console_command_and_a_bare_pcnb(capsys):
    with pytest.raises(SystemExit):
        cli.main(["reprot", "x.ipynb"])
    assert "unknown command 'reprot' (did you mean 'report'?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--bogus"])
    assert "pcnb: unknown option --bogus (options come after a command)" in capsys.readouterr().err
    assert cli.main([]) == 0 and "pcnb demo" in capsys.readouterr().out


def test_a_bare_powerclerk_shows_what_to_do_next_not_a_usage_line():
    from pcnb.commands import Session, run

    text = run(parse(""), Session())
    assert text.startswith("Not connected. Start with one of:") and "{" not in text
    full = run(parse("help"), Session())
    assert "  chart " in full and "usage" not in full and "{connect," not in full
