"""namespace.py: the df.pc methods carry their functions' signatures and help."""

from __future__ import annotations

import polars as pl


def test_namespace_methods_have_the_functions_signatures():
    import inspect

    from pcnb.analytics.namespace import _SOURCES, PowerClerkFrame

    for name, fn in _SOURCES.items():
        method = getattr(PowerClerkFrame, name)
        ours = list(inspect.signature(method).parameters.values())[1:]  # without self
        theirs = list(inspect.signature(fn).parameters.values())[1:]  # without the frame
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs], name
        assert not any(p.kind is p.VAR_KEYWORD for p in ours) and method.__doc__ == fn.__doc__
    sla = pl.DataFrame().pc.sla
    assert "deadlines" in inspect.signature(sla).parameters and "min_n" in inspect.signature(sla).parameters
