"""What differs between SQLite and PostgreSQL when the database writes the JSON.

Every expression here must produce exactly the text strawberry would serialise for the
same value (ISO datetimes, enum NAMEs, relay ids, cursors), since the two read paths are
compared byte for byte. The JSON itself too: the database's text goes into the response
unparsed (raw.py), so it must be orjson's, compact. SQLite's json_object and
json_group_array write that already. PostgreSQL's json_build_object and json_agg do not
(`{"a" : 1}`, `[1, 2]`); row_to_json and array_to_json do, so objects are rows of a one-row
subquery whose column names are the keys, and arrays are arrays of their values. Strings
are escaped alike by all three (control characters as `\\u00xx` but the short forms, nothing
else)."""

from __future__ import annotations

import base64

from tortoise import connections

from gridhub.policies import sensitivity

from gridhub.resolvers.read.query import sql_dialect as dialect  # noqa: F401 (one definition for all hand-built SQL)


def quote(text: str) -> str:
    """A SQL string literal for names we control (type names, enum names, JSON keys)."""
    return "'" + text.replace("'", "''") + "'"


def quote_name(name: str) -> str:
    """A quoted SQL identifier (a JSON key as a column name: its case kept). PostgreSQL cuts
    names at 63 bytes, so the planner refuses longer keys (schema/plan.py)."""
    return '"' + name.replace('"', '""') + '"'


MAX_KEY_BYTES = 63


def _pg_array(aggregated: str) -> str:
    """A compact JSON array of the aggregated values (`value ORDER BY …`), `[]` for none."""
    return f"COALESCE(array_to_json(array_agg({aggregated})), '[]'::json)"


class Sql:
    """The JSON and text building blocks of one dialect; `d.obj(...)` etc."""

    def __init__(self, name: str):
        self.name = name
        self.pg = name == "postgres"

    # -- JSON values ------------------------------------------------------------------
    def obj(self, pairs: list[tuple[str, str]]) -> str:
        """A JSON object with keys in this order (both databases keep the order given)."""
        if self.pg:
            columns = ", ".join(f"{v} AS {quote_name(k)}" for k, v in pairs)
            return f"(SELECT row_to_json(gh_o) FROM (SELECT {columns}) gh_o)"
        return f"json_object({', '.join(f'{quote(k)}, {v}' for k, v in pairs)})"

    def embed(self, subquery_json: str) -> str:
        """A JSON value coming out of a scalar subquery, to nest in an object. SQLite drops
        the JSON subtype across subqueries, so the text is re-read as JSON."""
        return subquery_json if self.pg else f"json({subquery_json})"

    def text(self, literal: str) -> str:
        return f"{quote(literal)}::text" if self.pg else quote(literal)

    def boolean(self, condition: str) -> str:
        return f"({condition})" if self.pg else f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"

    def true(self, value: bool) -> str:
        return ("true" if value else "false") if self.pg else f"json('{'true' if value else 'false'}')"

    def agg(self, value: str, order: str, source: str) -> str:
        """A JSON array of `value` over the rows of `source` (a FROM … WHERE … tail), in
        `order`; `[]` when there are none. SQLite's json_group_array keeps the order of an
        ordered subquery; PostgreSQL's array_agg takes the order itself."""
        if self.pg:
            return f"(SELECT {_pg_array(f'{value} ORDER BY {order}')} {source})"
        return (f"json((SELECT json_group_array(json(gh_v)) FROM (SELECT {value} AS gh_v {source} "
                f"ORDER BY {order})))")

    def agg_limited(self, value: str, order: str, source: str, limit: int) -> str:
        """As `agg`, over the first `limit` rows of `source` in `order`. Written flat (no
        `IN (subquery)`): SQLite's parser takes only so many nested levels."""
        if self.pg:
            return (f"(SELECT {_pg_array('gh_v ORDER BY gh_n')} FROM (SELECT {value} AS gh_v, "
                    f"ROW_NUMBER() OVER (ORDER BY {order}) AS gh_n {source} ORDER BY {order} LIMIT {limit}) gh_l)")
        return (f"json((SELECT json_group_array(json(gh_v)) FROM (SELECT {value} AS gh_v {source} "
                f"ORDER BY {order} LIMIT {limit})))")

    def agg_text(self, value: str, order: str, source: str) -> str:
        """As `agg`, for a text value (tags) rather than a JSON one."""
        if self.pg:
            return f"(SELECT {_pg_array(f'{value} ORDER BY {order}')} {source})"
        return (f"json((SELECT json_group_array(gh_v) FROM (SELECT {value} AS gh_v {source} "
                f"ORDER BY {order})))")

    # -- scalars as strawberry writes them ----------------------------------------------
    def datetime(self, column: str) -> str:
        """`datetime.isoformat()` of an aware UTC value: T separator, microseconds only
        when not zero, `+00:00`. SQLite stores exactly that with a space for the T."""
        if not self.pg:
            return f"replace({column}, ' ', 'T')"
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (f"CASE WHEN {column} IS NULL THEN NULL ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
                f"CASE WHEN to_char({utc}, 'US') = '000000' THEN '' ELSE '.' || to_char({utc}, 'US') END "
                f"|| '+00:00' END")

    def date(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM-DD')" if self.pg else column

    def json_text(self, expression: str) -> str:
        """The JSON text of a string value (for cursors, built as text)."""
        return f"to_json({expression}::text)::text" if self.pg else f"json_quote({expression})"

    def int_text(self, expression: str) -> str:
        return f"({expression})::text" if self.pg else f"CAST({expression} AS TEXT)"

    def base64(self, expression: str, urlsafe: bool) -> str:
        """Base64 of the UTF-8 text. PostgreSQL wraps its output at 76 characters, hence the
        translate; SQLite has no base64, so `gridhub_b64` is registered on the connection."""
        if self.pg:
            to = "-_" if urlsafe else "+/"
            return f"translate(encode(convert_to({expression}, 'UTF8'), 'base64'), E'+/\\n', '{to}')"
        return f"gridhub_b64{'url' if urlsafe else ''}({expression})"

    def stars(self, count: str) -> str:
        if self.pg:
            return f"repeat('*', greatest({count}, 0))"
        return f"replace(hex(zeroblob(max({count}, 0))), '00', '*')"

    def year(self, column: str) -> str:
        """The year of a date column, as an integer."""
        return f"EXTRACT(YEAR FROM {column})::int" if self.pg else f"CAST(substr({column}, 1, 4) AS INTEGER)"

    def keep_ends(self, column: str, head: int, tail: int) -> str:
        """policies.sensitivity.KeepEnds: the first `head` and last `tail` characters, stars between."""
        if self.pg:
            return (f"left({column}, {head}) || {self.stars(f'length({column}) - {head + tail}')} "
                    f"|| right({column}, {tail})")
        return (f"substr({column}, 1, {head}) || {self.stars(f'length({column}) - {head + tail}')} "
                f"|| substr({column}, -{tail})")


async def prepare_connection(d: Sql) -> None:
    """SQLite lacks base64: register it (once per connection) as a deterministic function, and
    the identity document's mask (policies.sensitivity.DocumentNumber) as its Python."""
    if d.pg:
        return
    client = connections.get("default")
    raw = getattr(client, "_connection", None)
    if raw is None:
        await client.create_connection(with_db=True)
        raw = client._connection
    if getattr(raw, "_gridhub_b64", False):
        return
    await raw.create_function("gridhub_b64", 1, _b64, deterministic=True)
    await raw.create_function("gridhub_b64url", 1, _b64url, deterministic=True)
    await raw.create_function(sensitivity.SQLITE_FUNCTION, 1, sensitivity.DocumentNumber().python, deterministic=True)
    raw._gridhub_b64 = True


def _b64(text):
    return None if text is None else base64.b64encode(str(text).encode()).decode()


def _b64url(text):
    return None if text is None else base64.urlsafe_b64encode(str(text).encode()).decode()
