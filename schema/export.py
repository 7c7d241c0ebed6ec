"""Bulk export of one kind (`GET /export/{kind}`, `gridhub pull`): every row the caller may
pull, or the changes since a moment (resolvers/bulk/sync.py), as NDJSON or CSV, produced batch
by batch while it is sent, so memory stays flat whatever the size.

Each batch of rows is the caller's own GraphQL root connection (`persons(first, after,
filter, orderBy)`) over the leaf fields of the node type and the ids of its to-one
relations, executed in process with the caller's context under the pull scope (read and
export). So the values are GraphQL's by construction: masking, the audit of unmasked
reads and the compiled read path (one SQL statement per batch where it applies) come with
it. Tombstones are read by `sync.tombstones`. Every export request ends with one audit
entry (who, kind, filter, what was sent), written even when the client went away.

Lines (NDJSON), one JSON object each:
    {"row": {…the node as GraphQL gives it…}, "cursor": "…"}
    {"tombstone": {"kind": "person", "id": "<global id>", "at": "<time of the change>"}, "cursor": "…"}
    {"@end": {"rows": N, "tombstones": M, "nextSince": "<until>"}}      (the pull's totals)
    {"@error": {"message": "…", "extensions": {"code": "…"}}}          (instead of @end)
CSV: a header row `op,<fields>,cursor` (relations flattened as `region.id`), then one row
per upsert (`upsert`) or tombstone (`delete`: `id` and `updatedAt` set), and a last row
`end` whose `updatedAt` is the pull's upper bound (nextSince), or `error,<message>`.
GeoJSON (RFC 7946), one FeatureCollection streamed: a Feature per row, its geometry the row's
point (places, things, events: as GraphQL gives it, so a home's is its cell's centre where
the address is not granted) or its boundary (regions), null where it has none (persons, …),
its properties the node and `cursor`; a tombstone is a Feature with a null geometry and
properties `{"@tombstone": …, "cursor": …}`; the pull's totals (or error) close it as the
foreign member `"@end"` (or `"@error"`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

import orjson
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type, is_leaf_type

from gridhub.policies.scope import Scope

from gridhub.resolvers import errors
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.identity.context import RequestContext
from gridhub.resolvers.errors import BadInput, GridhubError, Unavailable
from gridhub.resolvers.read.filters import as_utc
from gridhub.resolvers.kinds import LISTED
from gridhub.resolvers.bulk.sync import (
    DONE, PULL_KINDS, ROWS, TOMBSTONES, PullCursor, check_kind, count_tombstones, fingerprint, pull_scope,
    pull_until, tombstone_position, tombstones,
)
from gridhub.resolvers.runtime.unavailable import database_unavailable

log = logging.getLogger("gridhub.export")

FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}
PARAMETERS = ("filter", "updated_since", "format", "cursor")
# aggregates over other rows, not data of the row: left to GraphQL
NOT_EXPORTED = {("Region", "overdueEventCount"),
                # key-person work is read person by person, where the key tags are (resolvers.domain.visits);
                # the reporting grid is history, shown on the event, not a column of a pull
                ("Person", "lastVisitedAt"), ("Person", "visitDueAt"), ("Person", "visitOverdue"),
                # whether a care visit is overdue is a question about now, not the row: the pull
                # carries careVisitDueAt to answer it
                ("Person", "careVisitOverdue"),
                ("Event", "reportedRegion")}
# what a to-one relation is exported as: its id, and for regions the path (where a row lives)
RELATION_FIELDS = {"Region": ("id", "path")}
WINDOW_KEYS = ("updatedSince", "updatedUntil")  # the pull sets them; the caller gives `updated_since`

Execute = Callable[[str, dict, RequestContext], Awaitable[Any]]  # (query, variables, context) -> result


@dataclass(frozen=True)
class ExportRequest:
    """An export as asked, checked: the kind, the GraphQL filter input (field names as in
    GraphQL), the start of an incremental window, the format, a cursor to resume at."""

    kind: str
    filter: dict = field(default_factory=dict)
    since: datetime | None = None
    format: str = "ndjson"
    cursor: str | None = None

    @classmethod
    def from_params(cls, kind: str, params: Mapping[str, str]) -> ExportRequest:
        check_kind(kind)
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            raise BadInput(f"unknown parameter {unknown[0]!r}; known: {', '.join(PARAMETERS)}", field=unknown[0])
        spec: Any = {}
        if params.get("filter"):
            try:
                spec = json.loads(params["filter"])
            except ValueError:
                raise BadInput("filter is not JSON", field="filter") from None
            if not isinstance(spec, dict):
                raise BadInput("filter is a JSON object with the GraphQL filter's fields", field="filter")
            for key in WINDOW_KEYS:
                if key in spec:
                    raise BadInput(f"give the window as ?updated_since=, not as filter.{key}", field="filter")
        since = None
        if params.get("updated_since"):
            try:
                since = as_utc(datetime.fromisoformat(params["updated_since"]))
            except ValueError:
                raise BadInput("updated_since is an ISO 8601 time, e.g. 2026-11-01T00:00:00Z",
                               field="updated_since") from None
        fmt = params.get("format") or "ndjson"
        if fmt not in FORMATS:
            raise BadInput(f"format is one of {', '.join(FORMATS)}", field="format")
        return cls(kind, spec, since, fmt, params.get("cursor") or None)


@dataclass(frozen=True)
class Column:
    name: str  # the GraphQL field
    sub: tuple[str, ...] = ()  # the fields of a to-one relation

    def selection(self) -> str:
        return f"{self.name} {{ {' '.join(self.sub)} }}" if self.sub else self.name

    def headers(self) -> list[str]:
        return [f"{self.name}.{s}" for s in self.sub] if self.sub else [self.name]

    def values(self, node: dict) -> list:
        value = node.get(self.name)
        if not self.sub:
            return [value]
        return [None if value is None else value.get(s) for s in self.sub]


def export_columns(gql_schema: Any, type_name: str) -> list[Column]:
    """What an export of the type holds: every leaf field without arguments (scalars,
    enums, lists of them), and each to-one relation to a node as its id."""
    gtype = gql_schema.type_map[type_name]
    columns = []
    for name, gfield in gtype.fields.items():
        if (type_name, name) in NOT_EXPORTED or any(isinstance(a.type, GraphQLNonNull) for a in gfield.args.values()):
            continue
        inner = gfield.type.of_type if isinstance(gfield.type, GraphQLNonNull) else gfield.type
        target = get_named_type(gfield.type)
        if is_leaf_type(target):
            columns.append(Column(name))
        elif (isinstance(inner, GraphQLObjectType) and not isinstance(inner, GraphQLList)
              and any(i.name == "Node" for i in inner.interfaces)):
            columns.append(Column(name, RELATION_FIELDS.get(inner.name, ("id",))))
    return columns


def rows_query(kind: str, columns: list[Column], with_total: bool) -> str:
    type_name, root = PULL_KINDS[kind], LISTED[kind].root_field
    selection = " ".join(c.selection() for c in columns)
    return (f"query Export($first: Int!, $after: String, $filter: {type_name}Filter, "
            f"$orderBy: [{type_name}Order!]) {{ {root}(first: $first, after: $after, filter: $filter, "
            f"orderBy: $orderBy) {{ {'totalCount ' if with_total else ''}edges {{ cursor node {{ {selection} }} }} "
            f"pageInfo {{ hasNextPage }} }} }}")


def raise_first_error(result: Any) -> None:
    """A GraphQL error of a batch as the GridhubError it stands for (its code kept)."""
    if not result.errors:
        return
    error = result.errors[0]
    code = (error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")
    kinds = {c.code: c for c in (errors.BadInput, errors.Forbidden, errors.Unauthenticated, errors.NotFound,
                                 errors.Conflict, errors.Unavailable)}
    problem = kinds.get(code, GridhubError)(error.message)
    problem.extra = {k: v for k, v in (error.extensions or {}).items() if k not in ("code", "field")}
    problem.field = (error.extensions or {}).get("field")
    raise problem


def audit_root(domains: list[str]) -> str:
    """The region an export is filed under in the audit trail: the deepest node covering
    every domain the caller holds a role at (auditors see the exports of their subtree)."""
    paths = [d.rstrip("*") for d in domains]
    if not paths or "" in paths:
        return ""
    common = [p.strip("/").split("/") for p in paths]
    shared = []
    for parts in zip(*common):
        if len(set(parts)) > 1:
            break
        shared.append(parts[0])
    return "/" + "/".join(shared) + "/" if shared else ""


def _geometry(node: dict) -> dict | None:
    """A row's GeoJSON geometry: a region's boundary, a located row's point, else none."""
    if node.get("boundary"):
        return node["boundary"]
    if node.get("longitude") is not None and node.get("latitude") is not None:
        return {"type": "Point", "coordinates": [node["longitude"], node["latitude"]]}
    return None


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


class Export:
    """One export request: `start` checks it and reads the first batch (so that refusals
    are answered with a status before anything is streamed), `chunks` streams it, `finish`
    audits what was sent."""

    def __init__(self, request: ExportRequest, *, scope: Scope, user: Any, settings: Any, store: Any,
                 gql_schema: Any, execute: Execute, audit_path: str = "", token: str | None = None):
        self.request, self.user, self.store = request, user, store
        self.execute, self.audit_path, self.token = execute, audit_path, token
        self.batch = settings.export_batch_size
        # the in-process connection pages are as large as a batch, whatever frontends may ask
        self.settings = settings.model_copy(update={"max_page_size": max(settings.max_page_size, self.batch)})
        self.scope = pull_scope(scope, (request.kind,))
        self.columns = export_columns(gql_schema, PULL_KINDS[request.kind])
        self.sent_rows = self.sent_tombstones = 0
        self.complete = False
        self.total = 0
        self._features = 0  # GeoJSON: features written, for the commas between them
        self._first_page: dict | None = None

    async def start(self) -> None:
        r = self.request
        pull = fingerprint([r.kind, r.filter, r.format])
        if r.cursor:
            cursor = PullCursor.parse(r.cursor)
            cursor.check((r.kind,), self.scope, pull)
            if r.since is not None and r.since != cursor.since:
                raise BadInput("updated_since differs from the cursor's pull", field="updated_since")
        else:
            cursor = PullCursor.start((r.kind,), r.since, pull_until(self.settings.export_settle_seconds),
                                      self.scope, pull)
        self.cursor = cursor
        rows_total = cursor.rows
        if cursor.phase == ROWS:
            self._first_page = await self._rows_page(cursor, with_total=True)
            rows_total = self._first_page["totalCount"]
        tombstones_total = 0
        if cursor.incremental and cursor.phase != DONE:
            tombstones_total = await count_tombstones(self.scope, cursor)
        self.total = max(rows_total + tombstones_total, cursor.rows + cursor.tombstones)

    @property
    def media_type(self) -> str:
        return FORMATS[self.request.format]

    def headers(self) -> dict[str, str]:
        """Known before the first byte: the pull's upper bound (the `since` of the next pull),
        about how many lines the whole pull has, and how many came before this request."""
        return {"X-Gridhub-Until": self.cursor.until.isoformat(), "X-Gridhub-Total": str(self.total),
                "X-Gridhub-Done": str(self.cursor.rows + self.cursor.tombstones), "Cache-Control": "no-store"}

    async def _rows_page(self, cursor: PullCursor, with_total: bool = False) -> dict:
        window = {}
        if cursor.incremental:
            window = {"updatedSince": cursor.since.isoformat(), "updatedUntil": cursor.until.isoformat()}
        order = [{"field": c.upper(), "direction": "ASC"} for c, _ in cursor.order]
        variables = {"first": self.batch, "after": cursor.position or None,
                     "filter": {**self.request.filter, **window}, "orderBy": order}
        # a context per batch: loaders (and what they hold) live as long as one batch
        context = RequestContext(scope=self.scope, settings=self.settings, user=self.user, store=self.store)
        result = await self.execute(rows_query(cursor.kind, self.columns, with_total), variables, context)
        raise_first_error(result)
        return result.data[LISTED[cursor.kind].root_field]

    # -- lines ------------------------------------------------------------------------
    def _rows(self, edges: list[dict], cursor: PullCursor) -> bytes:
        """A batch of rows, each line with the cursor that resumes after it."""
        head, before, tombstones = cursor.head(), cursor.rows, cursor.tombstones
        cursors = [f"{head}.{before + i}.{tombstones}.{e['cursor']}" for i, e in enumerate(edges, 1)]
        if self.request.format == "ndjson":
            return b"".join(orjson.dumps({"row": e["node"], "cursor": c}) + b"\n" for e, c in zip(edges, cursors))
        if self.request.format == "geojson":
            return self._features_of([(_geometry(e["node"]), {**e["node"], "cursor": c}, e["node"].get("id"))
                                      for e, c in zip(edges, cursors)])
        return self._csv([["upsert", *(v for column in self.columns for v in column.values(e["node"])), c]
                          for e, c in zip(edges, cursors)])

    def _features_of(self, features: list[tuple]) -> bytes:
        out = []
        for geometry, properties, feature_id in features:
            feature = {"type": "Feature", "geometry": geometry, "properties": properties}
            if feature_id is not None:
                feature["id"] = feature_id
            out.append((b"," if self._features else b"") + orjson.dumps(feature) + b"\n")
            self._features += 1
        return b"".join(out)

    def _tombstone(self, tombstone: Any, cursor: str) -> bytes:
        if self.request.format == "ndjson":
            return orjson.dumps({"tombstone": tombstone.as_json(), "cursor": cursor}) + b"\n"
        if self.request.format == "geojson":
            return self._features_of([(None, {"@tombstone": tombstone.as_json(), "cursor": cursor}, None)])
        return self._csv([self._csv_row("delete", {"id": tombstone.id, "updatedAt": tombstone.at.isoformat()},
                                        cursor)])

    def _csv_row(self, op: str, named: dict, cursor: str) -> list:
        return [op, *(named.get(h) for c in self.columns for h in c.headers()), cursor]

    def _csv(self, rows: list[list]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows([[_csv_text(v) for v in row] for row in rows])
        return out.getvalue().encode()

    def _end(self, cursor: PullCursor) -> bytes:
        until = self.cursor.until.isoformat()
        end = {"rows": cursor.rows, "tombstones": cursor.tombstones, "nextSince": until}
        if self.request.format == "ndjson":
            return orjson.dumps({"@end": end}) + b"\n"
        if self.request.format == "geojson":
            return b'], "@end": ' + orjson.dumps(end) + b"}\n"
        return self._csv([self._csv_row("end", {"updatedAt": until}, "")])

    def _error(self, problem: GridhubError) -> bytes:
        error = {"message": problem.message, "extensions": problem.extensions}
        if self.request.format == "ndjson":
            return orjson.dumps({"@error": error}) + b"\n"
        if self.request.format == "geojson":
            return b'], "@error": ' + orjson.dumps(error) + b"}\n"
        return self._csv([["error", problem.message]])

    async def chunks(self) -> AsyncIterator[bytes]:
        """The response body, a batch per chunk. Counts only what was handed on."""
        cursor = self.cursor
        ahead: asyncio.Future | None = None
        try:
            if self.request.format == "csv":
                yield self._csv([["op", *(h for c in self.columns for h in c.headers()), "cursor"]])
            elif self.request.format == "geojson":
                yield b'{"type": "FeatureCollection", "features": [\n'
            while cursor.phase == ROWS:
                if ahead is not None:
                    page, ahead = await ahead, None
                else:
                    page, self._first_page = self._first_page or await self._rows_page(cursor), None
                edges = page["edges"]
                chunk = self._rows(edges, cursor)
                if edges:
                    cursor = replace(cursor, position=edges[-1]["cursor"], rows=cursor.rows + len(edges))
                if page["pageInfo"]["hasNextPage"]:
                    # the database builds the next batch while this one is on its way
                    ahead = asyncio.ensure_future(self._rows_page(cursor))
                else:
                    cursor = cursor.next_phase()
                if edges:
                    yield chunk
                    self.sent_rows += len(edges)
            while cursor.phase == TOMBSTONES:
                found = await tombstones(self.scope, cursor, self.batch)
                head = cursor.head()
                lines = []
                for t in found:
                    cursor = replace(cursor, position=tombstone_position(t), tombstones=cursor.tombstones + 1)
                    lines.append(self._tombstone(t, cursor.text(head)))
                if found:
                    yield b"".join(lines)
                    self.sent_tombstones += len(found)
                if len(found) < self.batch:
                    cursor = cursor.next_phase()
            yield self._end(cursor)
            self.complete = True
        except GridhubError as problem:
            yield self._error(problem)
        except Exception as error:
            # the status is sent already: the stream says it failed (no @end) and the log why
            if database_unavailable(error):
                log.warning("export of %s cut: the database is away", self.request.kind)
                yield self._error(Unavailable("the database went away; resume from the last cursor shortly"))
            else:
                log.exception("export of %s failed", self.request.kind)
                yield self._error(GridhubError("the export failed; resume it from the last cursor"))
        finally:
            if ahead is not None:  # the client went away: the batch read ahead is not wanted
                ahead.add_done_callback(lambda f: f.cancelled() or f.exception())
                ahead.cancel()

    async def finish(self) -> None:
        r = self.request
        await record_change(
            self.user.username, "export", r.kind, region_path=self.audit_path,
            detail={"filter": r.filter, "format": r.format, "since": r.since.isoformat() if r.since else None,
                    "until": self.cursor.until.isoformat(), "rows": self.sent_rows,
                    "tombstones": self.sent_tombstones, "complete": self.complete, "resumed": bool(r.cursor),
                    "token": self.token})
