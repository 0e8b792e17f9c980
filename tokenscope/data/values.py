"""One bad value costs one field, never a file or the store.

The schema (``RUN_COLUMNS``) says each column's type and sensible range. A
value that does not fit, such as a count of 2**70, a NaN or a negative token
count, becomes null and is counted so the caller can say so. The same rules
apply when a run is stored (``clean_value``, plain Python) and when a file is
loaded (``conform_safely``, Polars expressions that cannot fail at collect).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from tokenscope.data.schema import RUN_COLUMNS, RUN_SCHEMA
from tokenscope.text import one_line

INT64_MAX = 2**63 - 1
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
QUOTE_WIDTH = 40


def _quote(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit
        text = "a huge number"
    return one_line(text, QUOTE_WIDTH)


def _kind(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List):
        return "list"
    return {pl.String(): "text", pl.Boolean(): "bool", pl.Int64(): "count"}.get(dtype, "number")


# Per column: its kind and range, looked up once (comparing Polars types per value would
# cost more than the check). Filled on first use, so a column added to the schema counts.
_SPECS: dict[str, tuple[str, float | None, float | None]] = {}


def _spec(name: str) -> tuple[str, float | None, float | None]:
    spec = _SPECS.get(name)
    if spec is None:
        col = RUN_COLUMNS[name]
        spec = _SPECS[name] = (_kind(col.dtype), col.low, col.high)
    return spec


def _in_range(name: str, number: float) -> bool:
    _, low, high = _spec(name)
    return (low is None or number >= low) and (high is None or number <= high)


def clean_value(name: str, value: Any) -> tuple[Any, str | None]:
    """``value`` as column ``name`` holds it, or (None, why) when it does not fit.

    A missing value (None) is simply null, without a reason.
    """
    if value is None:
        return None, None
    kind, low, _ = _spec(name)
    if kind == "text":
        return (value, None) if type(value) is str else (str(value), None)
    if kind == "count" and type(value) is int and 0 <= value <= INT64_MAX and low == 0:
        return value, None  # the common case, checked in full
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, f"{name} {_quote(value)} is not true or false"
    if kind == "list":
        if isinstance(value, list) and all(v is None or isinstance(v, bool) for v in value):
            return value, None
        return None, f"{name} {_quote(value)} is not a list of true/false"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"{name} {_quote(value)} is not a number"
    if kind == "count":
        whole = value
        if isinstance(value, float):
            if not math.isfinite(value) or value != math.floor(value):
                return None, f"{name} {_quote(value)} is not a whole number"
            whole = int(value)
        if whole > INT64_MAX or not _in_range(name, whole):
            return None, f"{name} {_quote(value)} is out of range"
        return whole, None
    try:
        number = float(value)
    except OverflowError:
        return None, f"{name} {_quote(value)} is out of range"
    if not math.isfinite(number):
        return None, f"{name} {_quote(value)} is not a finite number"
    if not _in_range(name, number):
        return None, f"{name} {_quote(value)} is out of range"
    return number, None


def clean_row(row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every schema column of ``row`` cleaned; the reasons for the values that were dropped."""
    out, problems = {}, []
    for name in RUN_SCHEMA:
        value, why = clean_value(name, row.get(name))
        out[name] = value
        if why:
            problems.append(why)
    return out, problems


# ---- Polars: the same rules as expressions over a whole file -------------------------


def _bool_from_words(text: pl.Expr) -> pl.Expr:
    lower = text.str.strip_chars().str.to_lowercase()
    return (
        pl.when(lower.is_in(TRUE_WORDS))
        .then(pl.lit(True))
        .when(lower.is_in(FALSE_WORDS))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, pl.Boolean))
    )


def _from_string(name: str, target: pl.DataType) -> pl.Expr:
    text = pl.col(name).cast(pl.String).str.strip_chars()
    if target == pl.Boolean():
        return _bool_from_words(text)
    if isinstance(target, pl.List):
        # How exports write a list to CSV: "true; false".
        return text.str.split(";").list.eval(_bool_from_words(pl.element()))
    number = text.cast(pl.Float64, strict=False)
    if target == pl.Int64():
        # "120" exactly; "120.0" (a float column written as text) through the float.
        return pl.coalesce(text.cast(pl.Int64, strict=False), _float_to_int(number))
    return number


def _float_to_int(number: pl.Expr) -> pl.Expr:
    whole = number.is_finite() & (number == number.floor()) & (number.abs() < 2.0**63)
    return pl.when(whole).then(number.cast(pl.Int64, strict=False))


def _ranged(name: str, value: pl.Expr) -> pl.Expr:
    col = RUN_COLUMNS[name]
    ok = value.is_not_null()
    if col.dtype == pl.Float64():
        ok = ok & value.is_finite()
    if col.low is not None:
        ok = ok & (value >= col.low)
    if col.high is not None:
        ok = ok & (value <= col.high)
    return pl.when(ok).then(value)


def clean_expr(name: str, source: pl.DataType) -> pl.Expr | None:
    """Column ``name`` of type ``source`` as the schema wants it; None when it cannot be."""
    target = RUN_SCHEMA[name]
    col = pl.col(name)
    if source == pl.Null():
        value = pl.lit(None, target)
    elif target == pl.String():
        if source.is_nested() or source == pl.Binary():  # bytes need not be text
            return None
        value = col.cast(pl.String, strict=False)
    elif source == pl.String() or source == pl.Categorical() or isinstance(source, pl.Enum):
        value = _from_string(name, target).cast(target)
        if target.is_numeric():
            value = _ranged(name, value)
    elif isinstance(target, pl.List):
        inner = source.inner if isinstance(source, pl.List) else None
        if inner == pl.String():
            value = col.list.eval(_bool_from_words(pl.element()))
        elif inner is not None and (inner.is_numeric() or inner in (pl.Boolean(), pl.Null())):
            value = col.cast(target, strict=False)
        else:
            return None
    elif source.is_numeric() or source == pl.Boolean():
        if target == pl.Int64() and source.is_float():
            value = _float_to_int(col)
        else:
            value = col.cast(target, strict=False)
        if target.is_numeric():
            value = _ranged(name, value)
    else:
        return None
    return value.alias(name)


def conform_safely(
    frame: pl.LazyFrame, schema: dict[str, pl.DataType]
) -> tuple[pl.LazyFrame, pl.LazyFrame, list[str]]:
    """``frame`` (whose columns and types are ``schema``) conformed to the run schema.

    Returns the conformed frame, a one-row frame counting per column the
    values that became null (plus ``_rows`` and ``_no_model``, rows without a
    model, which are dropped), and the columns ignored as a whole because
    their type cannot hold the schema's (a table where a number belongs).
    Collecting the counts reads every value once, so a page that cannot be
    decoded fails there, at load, and not in a later view.
    """
    exprs, counts, ignored = [], [pl.len().alias("_rows")], []
    for name, target in RUN_SCHEMA.items():
        expr = clean_expr(name, schema[name]) if name in schema else None
        if name in schema and expr is None:
            ignored.append(name)
        if expr is None:
            exprs.append(pl.lit(None, dtype=target).alias(name))
            continue
        exprs.append(expr)
        raw = pl.col(name)
        # Every present column is read in full here, so a corrupt page shows now.
        if schema[name] == target == pl.String():
            # Text stays text: reading it is all the check there is (and the cheapest read).
            counts.append(raw.is_null().sum().alias(f"_read_{name}"))
        else:
            counts.append((raw.is_not_null() & expr.is_null()).sum().alias(name))
    if "model" in schema:
        counts.append(pl.col("model").is_null().sum().alias("_no_model"))
    conformed = frame.select(exprs).filter(pl.col("model").is_not_null())
    return conformed, frame.select(counts), ignored


def describe_counts(counts: dict[str, int], ignored: list[str]) -> str | None:
    """One clause for a file's note: what was set to null or dropped, or None."""
    parts = []
    nulled = {k: v for k, v in counts.items() if not k.startswith("_") and v}
    if nulled:
        total = sum(nulled.values())
        detail = ", ".join(f"{k}: {v}" for k, v in nulled.items())
        parts.append(f"set {total} unusable value{'s' * (total > 1)} to null ({detail})")
    if ignored:
        parts.append(
            f"ignored column{'s' * (len(ignored) > 1)} of the wrong type: " + ", ".join(ignored)
        )
    dropped = counts.get("_no_model", 0)
    if dropped:
        parts.append(f"dropped {dropped} row{'s' * (dropped > 1)} without a model")
    return "; ".join(parts) or None
