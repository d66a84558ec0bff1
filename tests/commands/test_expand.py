"""{name} expansion of notebook variables in %powerclerk lines, through a real shell."""

from __future__ import annotations

import shlex

import polars as pl
import pytest
from IPython.core.error import UsageError

from pcnb.commands.expand import expand


def test_a_value_with_spaces_stays_one_word(pc):
    pc.user_ns["status"] = "Application Review"
    frame = pc.run_line_magic("powerclerk", "projects --status {status}")
    assert frame.height > 0 and set(frame["status"].cast(pl.String)) == {"Application Review"}
    # IPython's own expansion would have made it `--status Application Review`: two words
    pc.user_ns["wanted"] = {"status": "Application Review"}
    assert pc.run_line_magic("powerclerk", "projects --status {wanted['status']}").height == frame.height


def test_locals_of_a_notebook_function_are_seen(pc):
    pc.user_ns.pop("s", None)
    cell = "def f(s):\n    r = %powerclerk projects --status {s}\n    return r\nfound = f('Application Review')\n"
    assert pc.run_cell(cell).success
    assert set(pc.user_ns["found"]["status"].cast(pl.String)) == {"Application Review"}


def test_undefined_names_and_escapes(pc, capsys):
    pc.user_ns.pop("nosuchvar", None)
    with pytest.raises(UsageError, match=r"\{nosuchvar\}: no variable 'nosuchvar' in the notebook — fix: "
                                         r"define it in a cell first, or write \{\{ and \}\}"):
        pc.run_line_magic("powerclerk", "projects --status {nosuchvar}")
    with pytest.raises(UsageError, match=r"'\{len\(x\)\}' is not a variable reference"):
        pc.run_line_magic("powerclerk", "projects --status {len(x)}")  # a line never runs code
    with pytest.raises(UsageError, match=r"no status '\{Review\}' in this program"):
        pc.run_line_magic("powerclerk", "projects --status {{Review}}")  # literal braces reach the command


@pytest.mark.parametrize("value", ["Application Review", "O'Brien & Sons", 'say "hi"', "a\\b", "$HOME", ""])
@pytest.mark.parametrize("template", ["--x {v}", "--x '{v}'", '--x "{v}"'])
def test_every_value_reads_back_as_itself(template, value):
    assert shlex.split(expand(template, {"v": value})) == ["--x", value]
