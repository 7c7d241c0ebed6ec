"""What the database cannot store or the code cannot compute, told before anything runs:
the checks behind the schema's input boundary (schema/boundary.py, for every String, ID,
DateTime, Date and JSON value of every operation) and the cursor decoder (pagination.py).
Each returns why a value is refused, or None.

- text: no NUL (PostgreSQL's text refuses it), no lone UTF-16 surrogate (no encoding can
  write one: JSON's "\\ud800" arrives as one), at most MAX_TEXT_CHARS characters (SQLite's
  LIKE refuses patterns past 50,000 bytes; no field of the hub holds more);
- moments and dates: within years 2 to 9998, in UTC for a moment — Python's datetime ends
  at years 1 and 9999, and a year of margin keeps the hub's date arithmetic (deadlines,
  weeks, windows) inside it;
- in cursors, which hold what columns hold: integers of 64 bits, moments in UTC in any year
  Python has."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

MAX_TEXT_CHARS = 10_000
FIRST_YEAR, LAST_YEAR = 2, 9998
INT64 = (-(2 ** 63), 2 ** 63 - 1)


def text_problem(value: str) -> str | None:
    if len(value) > MAX_TEXT_CHARS:
        return f"is longer than {MAX_TEXT_CHARS} characters"
    if "\x00" in value:
        return "may not contain NUL characters (U+0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "may not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)"
    return None


def json_problem(value: Any) -> str | None:
    """Text anywhere inside a JSON value (keys too)."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        problem = json_problem(item)
        if problem:
            return problem
    return None


def _out_of_range(year: int, years: tuple[int, int]) -> str | None:
    if not years[0] <= year <= years[1]:
        return f"must lie between the years {years[0]} and {years[1]}"
    return None


def moment_problem(value: datetime, years: tuple[int, int] = (FIRST_YEAR, LAST_YEAR)) -> str | None:
    if value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc)
        except OverflowError:
            return f"must lie between the years {years[0]} and {years[1]} in UTC"
    return _out_of_range(value.year, years)


def date_problem(value: date) -> str | None:
    return _out_of_range(value.year, (FIRST_YEAR, LAST_YEAR))


def int_problem(value: int) -> str | None:
    if not INT64[0] <= value <= INT64[1]:
        return "is not a 64-bit integer"
    return None


def value_problem(value: Any) -> str | None:
    """A value decoded from a cursor, by its Python type: what a column may hold (a moment
    in any year Python has, in UTC: the hub stores 9999-01-01 for "nothing due")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int_problem(value)
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, datetime):
        return moment_problem(value, (1, 9999))
    return None
