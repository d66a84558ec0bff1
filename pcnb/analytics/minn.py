"""The minimum-n rule: a median or rate over fewer than ``min_n`` observations is not published.

As NREL and regulators publish: the value is left null, ``suppressed`` is true and the n stays
visible, in tables and charts alike. The default is 10; every metric takes ``min_n``.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

MIN_N = 10


def apply(df: pl.DataFrame, n: str | pl.Expr, values: Iterable[str], min_n: int = MIN_N,
          flag: str = "suppressed") -> pl.DataFrame:
    """Null ``values`` where ``n`` < ``min_n`` and add a boolean ``flag`` column (true = suppressed)."""
    if min_n < 0:
        raise ValueError("min_n must be >= 0")
    n_expr = pl.col(n) if isinstance(n, str) else n
    small = n_expr.fill_null(0) < min_n
    cols = [c for c in values if c in df.columns]
    return df.with_columns(*(pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in cols),
                           small.alias(flag))


__all__ = ["MIN_N", "apply"]
