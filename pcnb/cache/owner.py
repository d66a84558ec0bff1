"""Whose data a cache file holds: one program of one server, and the server is who the API says it is.

Why: one file named by PCNB_STORE_PATH (or store_path) for every connection made program B open
program A's cache (fixed by recording the program id), and then a program of *another server*
reached through Custom URLs with the same program id was synced into the first server's file:
"same environment" was all that was compared, and every Custom URL is environment "custom".

A store records its owner: the environment, the program id, the server (its base URL without
user-info or query) and the program's identity as the API states it (GetPrograms: Name and CustomId,
recorded at the first sync, one call). Opening the file from a URL:

- the recorded server: its cache;
- another port of a loopback server (a sandbox restarted on a new port), or another URL of the same
  named environment (trial, production through a gateway): opened, and the first sync asks
  GetPrograms before it writes; the same identity adopts the new URL, another one is refused;
- any other server: refused at once, whatever the environment is called.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pcnb.cache.store import StoreError

if TYPE_CHECKING:
    from pcnb.api.client import PowerClerkClient
    from pcnb.cache.store import Store

NAMED = ("trial", "production")  # environments whose server is known by name, whatever URL reaches it
FIX = ("PCNB_STORE_PATH (or store_path) must name one file per program and server: unset it to use the "
       "default path of each, or point it at a file of its own for this one")


class OwnerError(StoreError):
    """The cache file belongs to another program or server."""

    hint = FIX


def server_key(url: str | None) -> str:
    """The server a base URL names: scheme, host and port (explicit), path; no user-info, query or
    trailing slash, host in lower case."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = (parts.hostname or "").lower()
    except ValueError:
        return url.split("?", 1)[0].rsplit("@", 1)[-1].rstrip("/")
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme.lower()}://{host}:{port}{parts.path.rstrip('/')}"


def _loopback(key: str) -> bool:
    host = urlsplit(key).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _same_but_port(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return pa.scheme == pb.scheme and pa.path == pb.path and _loopback(a) and _loopback(b)


def _describe(owner: dict[str, Any]) -> str:
    name = (owner.get("identity") or {}).get("Name")
    return (f"program {owner.get('program')!r}" + (f" ({name})" if name else "")
            + f" of {owner.get('base_url') or owner.get('environment')}")


def claim(store: Store, environment: str, program: str, base_url: str | None) -> bool:
    """Record the owner of a new (or older, unmarked) file, or check the opener against it; raise
    OwnerError for another program or server. True: the server must still show its identity
    (GetPrograms) before a sync writes (see :func:`verify`)."""
    state = store.get_state()
    owner, current = state.get("owner"), server_key(base_url)
    if not isinstance(owner, dict):
        with store.tx(data=False) as conn:
            store.put_state(conn, owner={"environment": environment, "program": program, "base_url": current,
                                         "identity": None})
        return True
    theirs = server_key(owner.get("base_url")) or None
    if str(owner.get("program")) != program:
        raise OwnerError(f"the cache {store.where} holds {_describe(owner)}, not program {program!r} of "
                         f"{current or environment}")
    if theirs == current:
        return owner.get("identity") is None
    same_named = environment == owner.get("environment") and environment in NAMED
    if theirs is None or _same_but_port(theirs, current) or same_named:
        return True  # possibly the same server elsewhere: its identity decides before anything is written
    raise OwnerError(f"the cache {store.where} holds {_describe(owner)}, not of {current or environment}")


def identity(client: PowerClerkClient, program: str) -> dict[str, str] | None:
    """The program as the server names it (GetPrograms, one call); None if it does not list it."""
    for p in client.programs().get("Programs") or []:
        if isinstance(p, dict) and program in (str(p.get("ProgramId")), str(p.get("CustomId"))):
            return {"Name": str(p.get("Name")), "CustomId": str(p.get("CustomId"))}
    return None


def verify(store: Store, client: PowerClerkClient, program: str) -> None:
    """Before a sync writes: the server the client reaches must be the one the file belongs to.
    Records the identity the first time; adopts a new URL (a restarted sandbox) when the identity
    matches; raises OwnerError when it does not."""
    owner = store.get_state().get("owner")
    if not isinstance(owner, dict):
        return
    current = server_key(client.settings.base_url)
    if server_key(owner.get("base_url")) == current and owner.get("identity"):
        return
    seen = identity(client, program)
    recorded = owner.get("identity")
    moved = server_key(owner.get("base_url")) != current
    if recorded and seen != recorded:
        name = f"({seen['Name']})" if seen else "(it does not list the program)"
        raise OwnerError(f"the cache {store.where} holds {_describe(owner)}; the server at {current} names "
                         f"program {program!r} {name}: another server's data is not mixed in")
    if moved and not recorded and seen is None:
        raise OwnerError(f"the cache {store.where} holds {_describe(owner)}, and the server at {current} does "
                         f"not list program {program!r}, so it cannot be shown to be the same server")
    with store.tx(data=False) as conn:
        store.put_state(conn, owner={**owner, "base_url": current, "identity": seen or recorded})
