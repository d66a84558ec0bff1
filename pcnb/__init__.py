"""pcnb: a Jupyter analytics and integration plugin for the PowerClerk API V2.

The face of the package::

    from pcnb import Workspace                 # client + cache + frames + write-back of one program
    ws = Workspace.open("sandbox")             # or "trial" / "production" with PCNB_* credentials
    from pcnb import PowerClerkClient          # one method per V2 endpoint
    from pcnb import running_sandbox           # the embedded V2 sandbox server (context manager)
    from pcnb import PowerClerkError, ApiError, RateLimited, ...   # the error tree (pcnb.errors)

``import pcnb`` stays light: these names are imported on first use, and IPython, widgets, polars and
plotly only by the modules that need them, so the console script and the sandbox start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> (module, attribute)
_FACE = {
    "Workspace": ("pcnb.workspace", "Workspace"),
    "PowerClerkClient": ("pcnb.api.client", "PowerClerkClient"),
    "Response": ("pcnb.api.response", "Response"),
    "Credentials": ("pcnb.api.auth", "Credentials"),
    "Settings": ("pcnb.config", "Settings"),
    "running_sandbox": ("pcnb.sandbox.runner", "running"),
    "SandboxHandle": ("pcnb.sandbox.runner", "SandboxHandle"),
    **{name: ("pcnb.errors", name) for name in (
        "PowerClerkError", "InputError", "ConfigError", "TransportError", "ApiError", "BadRequest",
        "ValidationError", "AuthError", "Forbidden", "MfaRequired", "NotFound", "RateLimited", "ServerError",
        "ContractMismatch")},
}

__all__ = [
    "ApiError", "AuthError", "BadRequest", "ConfigError", "ContractMismatch", "Credentials", "Forbidden", "InputError",
    "MfaRequired", "NotFound", "PowerClerkClient", "PowerClerkError", "RateLimited", "Response", "SandboxHandle",
    "ServerError", "Settings", "TransportError", "ValidationError", "Workspace", "__version__",
    "load_ipython_extension", "running_sandbox",
]

if TYPE_CHECKING:
    from pcnb.api.auth import Credentials
    from pcnb.api.client import PowerClerkClient
    from pcnb.api.response import Response
    from pcnb.config import Settings
    from pcnb.errors import (
        ApiError,
        AuthError,
        BadRequest,
        ConfigError,
        ContractMismatch,
        Forbidden,
        InputError,
        MfaRequired,
        NotFound,
        PowerClerkError,
        RateLimited,
        ServerError,
        TransportError,
        ValidationError,
    )
    from pcnb.sandbox.runner import SandboxHandle
    from pcnb.sandbox.runner import running as running_sandbox
    from pcnb.workspace import Workspace


def __getattr__(name: str) -> Any:
    if name in _FACE:
        module, attr = _FACE[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pcnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FACE})


def load_ipython_extension(ipython: Any) -> None:  # pragma: no cover - exercised via IPython tests
    """Entry point of ``%load_ext pcnb``; imports the magics lazily."""
    from pcnb.magics import load_ipython_extension as _load

    _load(ipython)
