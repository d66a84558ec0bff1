"""``%powerclerk`` (line) and ``%%powerclerk`` (cell): a thin layer over pcnb.commands.

The cell form is write-back in bulk (command lines, or a CSV after a write command) or, after a
read command (``%%powerclerk projects``), a query: one ``key value`` filter per line
(pcnb.commands.query).

``{name}`` in a line is the notebook variable ``name``, quoted for the command grammar
(pcnb.commands.expand); IPython's own ``{}``/``$`` expansion is off for this magic because it
does not quote, so a value with a space would split into two words.

Options are traits (``%config PowerClerkMagic.display_limit = 5``) layered over ``PCNB_*`` and
``[tool.pcnb]`` (pcnb.config.magic_option): %config > environment > pyproject > default.

Loading never raises for missing credentials or bad config: it prints one line of what it found.
Errors are one-line UsageErrors with the fix; ``--debug`` (or ``short_errors = False``) shows the
full traceback.
"""

from __future__ import annotations

import html
import os
import re
import sys
from typing import Any

import polars as pl
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool, Int, TraitError, Unicode, validate

from pcnb.bidi import visible, visible_frame
from pcnb.commands import HelpShown, Session, parse, run, run_cell
from pcnb.commands.expand import expand
from pcnb.commands.query import QUERY_COMMANDS, run_query
from pcnb.config import MAGIC_OPTIONS, check_magic_option, magic_options
from pcnb.errors import ConfigError, PowerClerkError
from pcnb.frameview import caption, for_people

#: modules whose frames sit between a notebook's code and the magic
_OWN_FRAMES = ("IPython.", "pcnb.", "traitlets.", "decorator")


class ShownFrame(pl.DataFrame):
    """The frame a command returns, with every row, shown with at most ``shown_rows`` rows: like
    jupysql's displaylimit, the limit is about the screen, never the data."""

    shown_rows: int = 0  # not `limit`: that is a DataFrame method
    timezone: str = "UTC"  # the program's: times are shown in it (pcnb.frameview)

    def _shown(self, render: Any) -> Any:
        """``render`` of a copy for people (local times, rounded numbers, names before ids) whose names
        show their bidirectional controls (pcnb.bidi)."""
        frame = for_people(visible_frame(pl.DataFrame._from_pydf(self._df)), self.timezone)
        if not self.shown_rows:
            return render(frame)
        with pl.Config(tbl_rows=self.shown_rows):
            return render(frame)

    def __repr__(self) -> str:
        return str(self._shown(pl.DataFrame.__repr__))

    def __str__(self) -> str:
        return str(self._shown(pl.DataFrame.__str__))

    def _repr_html_(self, **kwargs: Any) -> str:
        table = str(self._shown(lambda frame: frame._repr_html_(**kwargs)))
        return f"<p><small>{html.escape(caption(self, self.timezone, self.shown_rows))}</small></p>{table}"


def _trait_help(name: str) -> str:
    default = MAGIC_OPTIONS[name][0]
    return f"{MAGIC_OPTIONS[name][1]}. Unset: PCNB_{name.upper()}, then [tool.pcnb] {name}, then {default!r}."


@magics_class
class PowerClerkMagic(Magics):
    """``%powerclerk``: PowerClerk API V2 from a notebook (``%powerclerk help``)."""

    display_limit = Int(None, allow_none=True, help=_trait_help("display_limit")).tag(config=True)
    default_environment = Unicode(None, allow_none=True, help=_trait_help("default_environment")).tag(config=True)
    progress = Bool(None, allow_none=True, help=_trait_help("progress")).tag(config=True)
    short_errors = Bool(None, allow_none=True, help=_trait_help("short_errors")).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any):
        super().__init__(shell, **kwargs)
        self.session = Session(namespace=shell.user_ns if shell is not None else {})

    @validate("display_limit", "default_environment")
    def _check(self, proposal: Any) -> Any:
        if proposal.value is None:
            return None
        name = proposal.trait.name
        try:
            return check_magic_option(name, proposal.value, f"PowerClerkMagic.{name}")
        except ConfigError as exc:
            raise TraitError(f"{exc.message}; {exc.hint}") from None

    def options(self) -> dict[str, Any]:
        """Every option's value: the trait when set by %config, else PCNB_*, [tool.pcnb], default."""
        unset = [name for name in MAGIC_OPTIONS if getattr(self, name) is None]
        layered = magic_options(names=unset) if unset else {}
        return {name: layered[name][0] if name in unset else getattr(self, name) for name in MAGIC_OPTIONS}

    def _namespace(self) -> dict[str, Any]:
        """The notebook's variables, and the locals of the notebook function the magic runs in
        (``def f(s): %powerclerk projects --status {s}``), as IPython's own expansion sees them."""
        ns = dict(self.session.namespace)
        frame = sys._getframe(1)
        while frame is not None and str(frame.f_globals.get("__name__", "")).startswith(_OWN_FRAMES):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None and frame.f_globals is self.session.namespace and frame.f_locals is not frame.f_globals:
            ns.update(frame.f_locals)
        return ns

    @no_var_expand
    @line_cell_magic
    def powerclerk(self, line: str, cell: str | None = None) -> Any:
        debug = "--debug" in line.split()
        if debug:  # only the flag: the spaces inside quoted values are the user's
            line = re.sub(r"(?<!\S)--debug(?!\S)", "", line)
        short = True
        try:
            options = self.options()
            short = options["short_errors"]
            self.session.progress = options["progress"]
            self.session.default_environment = options["default_environment"]
            limit = options["display_limit"]
            line = expand(line, self._namespace())
            if cell is not None and (line.split() or [""])[0] not in QUERY_COMMANDS:
                return run_cell(line, cell, self.session)
            if cell is not None:
                args, result = run_query(line, cell, self.session)
            else:
                args = parse(line)
                result = run(args, self.session)
        except HelpShown as shown:
            print(shown.text)
            return None
        except PowerClerkError as exc:
            if debug or not short:
                raise
            text = visible(" ".join(str(exc).replace("\n  fix:", " — fix:").split()))  # keeps request ids
            raise UsageError(text) from None
        self.session.history.append(args.command)
        if getattr(args, "out", None):
            assert self.shell is not None  # a line magic always runs inside a shell
            self.shell.user_ns[args.out] = result
            print(stored(args.out, result))
            return None
        if isinstance(result, str):
            print(visible(result))
            return None
        return self._show(result, limit, self._timezone())

    def _timezone(self) -> str:
        """The program's time zone, when its profile is in use (never inferred just to show a frame)."""
        ws = self.session.workspace
        loaded = getattr(getattr(ws, "profile_file", None), "profile", None)
        return str(loaded.calendar.timezone) if loaded is not None else "UTC"

    @staticmethod
    def _show(result: Any, limit: int, timezone: str = "UTC") -> Any:
        if type(result) is pl.DataFrame:  # shown with at most `limit` rows, for people, names made visible
            shown: ShownFrame = ShownFrame._from_pydf(result._df)  # type: ignore[assignment]
            shown.shown_rows, shown.timezone = limit or 0, timezone
            return shown
        return result


def stored(name: str, value: Any) -> str:
    """What ``-o NAME`` kept, in one line: a cell that prints nothing leaves the user guessing."""
    if isinstance(value, pl.DataFrame):
        what = f"a frame of {value.height:,} row(s) x {value.width} column(s)"
    elif hasattr(value, "to_html") and hasattr(value, "layout"):
        what = "a chart (plotly figure)"
    else:
        what = f"a {type(value).__name__}"
    return f"stored {what} in `{name}`"


#: the former name (the class is registered, and configured with %config, as PowerClerkMagic)
PowerClerkMagics = PowerClerkMagic


def _found() -> str:
    env = [v for v in ("PCNB_API_KEY", "PCNB_CLIENT_ID", "PCNB_CLIENT_SECRET") if os.environ.get(v)]
    mfa = "TOTP" if os.environ.get("PCNB_MFA_TOTP_SECRET") else (
        "session token" if os.environ.get("PCNB_MFA_SESSION_TOKEN") else "none")
    if len(env) == 3:
        return f"pcnb: credentials found in the environment (MFA: {mfa}); `%powerclerk connect --env trial`"
    return "pcnb: no credentials in the environment; `%powerclerk connect --sandbox` runs on synthetic data"


def _matcher(magic: PowerClerkMagic) -> Any:
    """An IPython (>= 8.6) context matcher completing ``%powerclerk`` lines, the first line of
    ``%%powerclerk`` cells and the filter lines of a query cell, from the grammar and the cache
    (pcnb.commands.completion). ``suppress`` keeps Python names out of a magic line's choices."""
    from IPython.core.completer import CompletionContext, SimpleCompletion, context_matcher

    from pcnb.commands.completion import complete, complete_query

    @context_matcher()  # type: ignore[untyped-decorator]
    def powerclerk_matcher(context: CompletionContext) -> dict[str, Any]:
        before = context.text_until_cursor
        head = context.full_text.split("\n", 1)[0].split()
        found = None
        ours = False
        try:
            if context.cursor_line == 0 and before.lstrip().startswith(("%powerclerk ", "%%powerclerk ")):
                ours = True
                found = complete(before.lstrip(), magic.session)
            elif context.cursor_line > 0 and head[:2] in (["%%powerclerk", c] for c in QUERY_COMMANDS):
                ours = True
                found = complete_query(head[1], before, magic.session)
        except Exception:  # noqa: BLE001 - Tab must never print a traceback; no completion instead
            found = None
        if not found and not ours:
            return {"completions": [], "suppress": False}
        if not found or not found[1]:
            # IPython suppresses the other matchers only for a non-empty result, so "nothing" would
            # let Python names (%xdel, `if`, README.md) into a magic line: offer the typed word itself
            typed = re.search(r"\S*\Z", before).group()  # type: ignore[union-attr]  # always matches
            found = (typed, [typed])
        fragment, words = found
        return {"completions": [SimpleCompletion(w, type="powerclerk") for w in words],
                "matched_fragment": fragment, "suppress": True, "ordered": True}

    return powerclerk_matcher


def load_ipython_extension(ipython: Any) -> None:
    magic = PowerClerkMagic(ipython, parent=ipython)
    ipython.register_magics(magic)
    # %config finds configurables by class name; a reload replaces the previous instance
    ipython.configurables[:] = [c for c in ipython.configurables if type(c).__name__ != "PowerClerkMagic"]
    ipython.configurables.append(magic)
    completer = getattr(ipython, "Completer", None)
    if completer is not None:  # a shell without completion (some embedders) still gets the magic
        completer.custom_matchers[:] = [m for m in completer.custom_matchers
                                        if getattr(m, "__name__", "") != "powerclerk_matcher"]
        completer.custom_matchers.append(_matcher(magic))
    try:
        print(_found())
    except Exception as exc:  # noqa: BLE001 - loading must never fail on configuration
        print(f"pcnb: loaded ({type(exc).__name__} while checking configuration)")
