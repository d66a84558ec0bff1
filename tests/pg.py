"""The test suite's PostgreSQL server (issue #28): a real server, never a mock.

``.ci/run`` starts one throwaway cluster (scripts/pg-cluster.sh) and exports PCNB_TEST_PG_URL (a
superuser URL) and PCNB_TEST_PG_DIR; without them the first pytest process starts its own cluster in
a temporary folder (so ``pytest`` alone works wherever Debian's ``postgresql`` package is installed)
and stops it at the end. Each store a test asks for is a fresh schema of that server (a URL with
``options=-csearch_path=...``): creating one costs milliseconds, where a database costs a template copy.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pg-cluster.sh"
#: why the PostgreSQL variants skip (set when the server could not start)
UNAVAILABLE_VAR = "PCNB_TEST_PG_UNAVAILABLE"


def start_if_needed() -> str | None:
    """Start a private cluster unless one is given; returns the folder to stop at the end (or None)."""
    if os.environ.get("PCNB_TEST_PG_URL") or os.environ.get(UNAVAILABLE_VAR):
        return None
    folder = tempfile.mkdtemp(prefix="pcnb-test-pg-")
    try:
        out = subprocess.run(["bash", str(SCRIPT), "start", folder], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        os.environ[UNAVAILABLE_VAR] = f"{type(exc).__name__}: {exc}"
        return None
    if out.returncode != 0:
        os.environ[UNAVAILABLE_VAR] = (out.stderr.strip().splitlines() or ["scripts/pg-cluster.sh failed"])[-1][:200]
        return None
    os.environ["PCNB_TEST_PG_URL"], os.environ["PCNB_TEST_PG_DIR"] = out.stdout.strip(), folder
    return folder


def stop(folder: str) -> None:
    """Stop the cluster and remove its folder."""
    import shutil

    subprocess.run(["bash", str(SCRIPT), "stop", folder], capture_output=True, timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


def unavailable() -> str | None:
    return os.environ.get(UNAVAILABLE_VAR) or (None if os.environ.get("PCNB_TEST_PG_URL") else
                                                "PCNB_TEST_PG_URL is not set")


def admin_url(database: str | None = None) -> str:
    url = os.environ["PCNB_TEST_PG_URL"]
    if database is None:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, "", ""))


def with_schema(url: str, schema: str) -> str:
    """``url`` whose connections use ``schema`` (created if missing by :func:`fresh_schema`)."""
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}', safe='')}"


def fresh_schema(prefix: str = "t") -> str:
    """A new empty schema on the test server: a store of its own for one test."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return with_schema(admin_url(), name)


def restart(folder: str, url: str, mode: str = "immediate", down_s: float = 0.0) -> None:
    """Stop the cluster in ``folder`` (``immediate``: as a crash would), wait ``down_s``, start it again
    on the port of ``url``."""
    import time

    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
    cluster = Path(folder, "cluster").resolve()
    port = urlsplit(url).port
    user = []
    if os.getuid() == 0:
        owner = cluster.owner()
        user = ["runuser", "-u", owner, "--"]
    opts = (f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200")
    subprocess.run([*user, str(bin_dir / "pg_ctl"), "-D", str(cluster / "data"), "-m", mode, "-w", "stop"],
                   cwd=cluster, check=True, capture_output=True)
    time.sleep(down_s)
    subprocess.run([*user, str(bin_dir / "pg_ctl"), "-D", str(cluster / "data"), "-l", str(cluster / "server.log"),
                    "-w", "-o", opts, "start"], cwd=cluster, check=True, capture_output=True)
