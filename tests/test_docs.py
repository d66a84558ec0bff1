"""README and docs/: every code block runs or parses, every page is linked, every module named exists.

Why: documentation rots silently. Here a Python block is executed (in one namespace per page, magics
through IPython, against one small sandbox that ``connect --sandbox`` and ``Workspace.open`` find
through PCNB_SANDBOX_CONNECTION); a ``%powerclerk`` line or ``%%powerclerk`` cell shown as text is
parsed by the command grammar; a ``pcnb`` shell line by the console script's parser; a program
definition (YAML) is loaded by the sandbox; any other shell line's local files must exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)


def blocks(page: Path) -> list[tuple[str, str]]:
    """(language, code) of each fenced block, indentation removed."""
    out = []
    for m in BLOCK.finditer(page.read_text()):
        indent = len(m.group(1))
        code = "\n".join(line[indent:] for line in m.group(3).splitlines())
        out.append((m.group(2), code))
    return out


def test_every_page_is_linked_from_the_readme_and_every_link_resolves():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[^)#]+)\)", readme))
    assert {f"docs/{p.name}" for p in ROOT.glob("docs/*.md")} == linked
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_the_readme_stays_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_every_module_the_architecture_page_names_exists():
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text[text.index("## Where each concern lives"):text.index("## Layout")]
    paths = set(re.findall(r"`((?:pcnb|tests|scripts)/[\w/.]+)`", table))
    for folder, names in re.findall(r"`((?:pcnb|tests)/\w+/)` \(([^)]*)\)", table):
        paths |= {folder + n for n in re.findall(r"`([\w.]+\.py)`", names)}
    assert len(paths) > 30
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []
    layout = text[text.index("## Layout"):]
    named = re.findall(r"^(pcnb/[\w/.]+)", layout, re.M)
    assert len(named) > 20 and sorted(p for p in named if not (ROOT / p).exists()) == []


def _shell_lines(code: str) -> list[list[str]]:
    return [shlex.split(line, comments=True) for line in code.splitlines() if line.strip()
            and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_shell_lines_parse_and_name_files_that_exist(page: Path):
    from pcnb import cli
    from pcnb.commands import parse, registry

    for lang, code in blocks(page):
        if lang != "bash":
            continue
        for words in _shell_lines(code):
            for i, w in enumerate(words):
                if w == "pcnb" and (i == 0 or words[i - 1] in ("&&", ";")):
                    argv = words[i + 1:words.index("&&", i) if "&&" in words[i:] else len(words)]
                    if argv[0] in registry():
                        parse(shlex.join(argv))
                    else:
                        cli.parser().parse_args(argv)
            for w in words:
                if re.fullmatch(r"(notebooks|scripts|benchmarks|tests)/[\w./-]+\.(ipynb|sh|py)", w):
                    assert (ROOT / w).exists(), f"{page.name}: {w} does not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_magic_text_and_definitions_parse(page: Path):
    """``%powerclerk`` lines and ``%%powerclerk`` cells shown as text (not Python) follow the grammar."""
    import yaml

    from pcnb.commands import parse
    from pcnb.commands.write import parser as cell_parser
    from pcnb.compliance.rules import from_dict
    from pcnb.compliance.rules import load as load_rules
    from pcnb.sandbox.definition import load

    for lang, code in blocks(page):
        data = yaml.safe_load(code) if lang == "yaml" else None
        if isinstance(data, dict) and {"steps", "counts", "based_on"} & set(data):  # a rule file (compliance.md)
            residential = [s.name for s in load("residential").statuses]
            roles = {"intake": "Application Submitted", "approval": "Approved to Install",
                     "completion": "Permission to Operate"}
            exits = {"withdrawn": ["Withdrawn"], "rejected": ["Rejected"], "completed": ["Permission to Operate"]}
            if "based_on" in data:  # a utility's short file over a shipped shape
                path = Path(pytest.importorskip("tempfile").mkdtemp()) / "rules.yaml"
                path.write_text(code)
                rules = load_rules(path, residential, roles, exits)
            else:
                rules = from_dict(data, residential, roles, exits)
            assert rules.steps or rules.counts
        elif lang == "yaml":
            path = Path(pytest.importorskip("tempfile").mkdtemp()) / "program.yaml"
            path.write_text(code)
            assert load(str(path)).statuses
        if lang:
            continue
        lines = [line.strip() for line in code.splitlines() if line.strip()]
        if lines and lines[0].startswith("%%powerclerk"):
            head = lines[0].removeprefix("%%powerclerk").strip()
            if head.split()[:1] in (["projects"], ["history"], ["threads"]):
                continue  # a query cell: its filter lines are checked by tests/commands/test_query.py
            if head and not head.startswith("-"):
                parse(head)  # the CSV form: `%%powerclerk set --form ...` then CSV rows
            else:
                for line in lines[1:]:
                    cell_parser().parse_args(shlex.split(line, comments=True))
        for line in lines:
            if line.startswith("%powerclerk "):
                parse(line.removeprefix("%powerclerk "))


@pytest.fixture(scope="module")
def docs_sandbox(tmp_path_factory, monkeypatch_module):
    """One small sandbox that the docs' ``connect --sandbox`` and ``Workspace.open("sandbox")`` reach."""
    from pcnb.sandbox import running
    from tests.conftest import END, FAST

    with running(projects=150, seed=7, rate_limit=FAST, end=END) as sb:
        path = sb.write_connection(tmp_path_factory.mktemp("docs") / "sandbox.json")
        monkeypatch_module.setenv("PCNB_SANDBOX_CONNECTION", str(path))
        yield sb


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


#: pages whose Python blocks build on each other (one namespace), and what they need first
RUN = {"README.md": "", "notebooks-and-reports.md": "", "magic.md": "", "client.md": "", "process-mining.md": "",
       "large-programs.md": "",
       "write-back.md": "import polars as pl\nfrom pcnb.workspace import Workspace\nws = Workspace.open('sandbox')\n"
                        "ws.sync(progress=False)\n"}


@pytest.mark.parametrize("name", sorted(RUN))
def test_python_blocks_run(name: str, docs_sandbox, tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    from pcnb.commands import Session

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "store.sqlite"))
    page = ROOT / ("README.md" if name == "README.md" else f"docs/{name}")
    code = [c for lang, c in blocks(page) if lang == "python"]
    assert code, f"{name} has no Python block to run"
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    saved, magic.session = magic.session, Session(namespace=shell.user_ns)
    try:
        for source in [RUN[name], *code]:
            if not source:
                continue
            if name == "client.md":  # the example serves 2,000 projects; the listing is the point
                source = source.replace("projects=2000", "projects=300")
            result = shell.run_cell(source, store_history=False)
            assert result.success, f"{name}: {result.error_in_exec or result.error_before_exec}\n{source}"
    finally:
        if magic.session.workspace is not None:
            magic.session.workspace.close()
        magic.session = saved
        if "ws" in shell.user_ns and hasattr(shell.user_ns["ws"], "close"):
            shell.user_ns["ws"].close()
