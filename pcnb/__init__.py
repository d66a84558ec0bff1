"""pcnb: a Jupyter analytics and integration plugin for the PowerClerk API V2.

``import pcnb`` stays light: IPython, widgets, polars and plotly are imported only by the modules
that need them, so the console script and the sandbox start fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension"]


def load_ipython_extension(ipython) -> None:  # pragma: no cover - exercised via IPython tests
    """Entry point of ``%load_ext pcnb``; imports the magics lazily."""
    from pcnb.magics import load_ipython_extension as _load

    _load(ipython)
