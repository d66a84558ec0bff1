"""argparse's complaints, said in pcnb's words: what was wrong, the closest valid word, and the fix.

Why: argparse writes for programmers ("argument name: invalid choice: 'nam' (choose from ...)",
"unrecognized arguments", "the following arguments are required"). The magic and the console
script both parse with argparse, so both pass every complaint through :func:`plain` before a user
sees it; a message this module does not know is still stripped of argparse's jargon.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re

_CHOICE = re.compile(r"argument (?P<arg>\S+): invalid choice: '(?P<got>[^']*)' \(choose from (?P<choices>.*)\)$")
_REQUIRED = re.compile(r"the following arguments are required: (?P<args>.*)$")
_ONE = re.compile(r"argument (?P<arg>\S+): expected (?:one|at least one) argument$")
_EXCLUSIVE = re.compile(r"argument (?P<arg>\S+): not allowed with argument (?P<other>\S+)$")
_TYPED = re.compile(r"argument (?P<arg>\S+): invalid (?P<type>\w+) value: '(?P<got>[^']*)'$")
_AMBIGUOUS = re.compile(r"ambiguous option: (?P<opt>\S+) could match (?P<matches>.*)$")
_UNKNOWN = re.compile(r"unrecognized arguments: (?P<args>.*)$")
_OTHER = re.compile(r"argument (?P<arg>\S+): (?P<msg>.*)$")

_TYPES = {"int": "a whole number", "float": "a number"}


def _name(arg: str) -> str:
    """An option as typed (--status); a positional by its metavar in capitals (NAME)."""
    if arg.startswith("-"):
        return arg.split("/")[-1]
    return arg.upper()


def _choices(text: str) -> list[str]:
    try:
        return [str(c) for c in ast.literal_eval(f"[{text}]")]
    except (ValueError, SyntaxError):
        return [c.strip(" '") for c in text.split(",")]


def options_of(parser: argparse.ArgumentParser) -> list[str]:
    return [s for a in parser._actions for s in a.option_strings if s.startswith("--")]


def unknown(prog: str, words: list[str], parser: argparse.ArgumentParser) -> tuple[str, str]:
    """Words no option of ``parser`` takes: name the first, with the closest option."""
    first = words[0]
    if not first.startswith("-"):
        return (f"{prog}: {first!r} is one word too many (a value with spaces needs quotes)",
                f"quote it ('{' '.join(words)}'), or see `{prog} --help`")
    key = first.split("=", 1)[0]
    spelled = {o.lstrip("-"): o for o in options_of(parser) if o not in ("--help", "--out")}
    close = [spelled[w] for w in difflib.get_close_matches(key.lstrip("-"), list(spelled), n=1, cutoff=0.6)]
    return (f"{prog}: unknown option {key}" + (f" (did you mean {close[0]}?)" if close else ""),
            f"`{prog} --help` lists its options")


def plain(prog: str, message: str, parser: argparse.ArgumentParser | None = None) -> tuple[str, str]:
    """(what was wrong, the fix) for one argparse complaint about a ``prog`` line."""
    helps = f"`{prog} --help` shows how"
    if m := _CHOICE.match(message):
        got, choices = m["got"], _choices(m["choices"])
        close = difflib.get_close_matches(got, choices, n=1, cutoff=0.5)
        mean = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{prog}: {got!r} is not a valid {_name(m['arg'])}{mean}", f"choose one of: {', '.join(choices)}"
    if m := _REQUIRED.match(message):
        names = [_name(a) for a in m["args"].split(", ")]
        choices = [c for a in (parser._actions if parser else []) if a.choices
                   and _name(a.option_strings[-1] if a.option_strings else str(a.metavar or a.dest)) in names
                   for c in a.choices]
        return (f"{prog}: {' and '.join(names)} {'is' if len(names) == 1 else 'are'} missing",
                f"choose one of: {', '.join(map(str, choices))}" if choices else helps)
    if m := _ONE.match(message):
        return f"{prog}: {_name(m['arg'])} needs a value", f"write {_name(m['arg'])} VALUE (quote a value with spaces)"
    if m := _EXCLUSIVE.match(message):
        return (f"{prog}: {_name(m['arg'])} and {_name(m['other'])} cannot be used together",
                "keep one of them")
    if m := _TYPED.match(message):
        return (f"{prog}: {_name(m['arg'])} needs {_TYPES.get(m['type'], 'a ' + m['type'])}, not {m['got']!r}",
                helps)
    if m := _AMBIGUOUS.match(message):
        matches = [w.strip() for w in m["matches"].split(",")]
        return f"{prog}: {m['opt']} could be {' or '.join(matches)}", "spell the option out"
    if (m := _UNKNOWN.match(message)) and parser is not None:
        return unknown(prog, m["args"].split(), parser)
    if m := _OTHER.match(message):
        return f"{prog}: {_name(m['arg'])}: {m['msg']}", helps
    return f"{prog}: {message}", helps
