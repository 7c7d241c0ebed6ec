"""A planned root field as one SQL statement whose single row holds the response JSON of
that field and, beside it, the sensitive values it revealed unmasked (for the audit).

Scope and masking are the same predicates and masks the resolver path uses, rendered to
SQL: rows by `visible(scope, kind)`, unmasked values by the grant of the sensitive value
they are or derive from (policies.sensitivity), key tags by `KEY_TAG` and
`scope.where("person.key_tags")`. Text is rendered with `?` placeholders and
numbered for PostgreSQL at the end, so fragments can be cached and concatenated."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from gridhub.policies.predicate import FALSE, Pred, SqlParams
from gridhub.policies.scope import Scope
from gridhub.policies.sensitivity import KEY_TAG, governing

from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.read.query import visible
from gridhub.resolvers.read.sqlread.dialect import Sql, quote
from gridhub.resolvers.read.sqlread.plan import (
    Column, ConnectionSel, GlobalId, ListRel, Masked, NodeSel, PageRel, Relation, RootField, Tags, Typename,
)



@dataclass
class Frag:
    """SQL text with `?` placeholders and their values, in order."""

    text: str
    params: list = field(default_factory=list)


class Renderer:
    def __init__(self, d: Sql, scope: Scope, nested: list | None = None):
        self.d, self.scope = d, scope
        self.nested = nested or []  # run.NestedRequest by PageRel slot
        self.params: list = []
        self._aliases = itertools.count(1)

    def pred(self, p: Pred, alias: str) -> str:
        sp = SqlParams("sqlite")
        text = p.to_sql(sp, alias)
        self.params.extend(sp.values)
        return text

    def alias(self, prefix: str) -> str:
        return f"{prefix}{next(self._aliases)}"

    # -- a node as a JSON object ---------------------------------------------------------
    def node(self, sel: NodeSel, a: str) -> str:
        return self.d.obj([(key, self.entry(sel.kind, e, a)) for key, e in sel.entries])

    def entry(self, kind: str, e, a: str) -> str:
        d = self.d
        if isinstance(e, Typename):
            return d.text(e.name)
        if isinstance(e, GlobalId):
            return d.base64(f"{quote(e.type_name + ':')} || {d.int_text(f'{a}.id')}", urlsafe=False)
        if isinstance(e, Column):
            return self.column(e, a)
        if isinstance(e, Masked):
            sensitive = governing(kind, e.field)
            raw = f"{a}.{e.value.column}"
            sees = self.pred(self.scope.where(sensitive.grant), a)
            return (f"CASE WHEN {raw} IS NULL THEN NULL WHEN {sees} THEN {self.column(e.value, a)} "
                    f"ELSE {sensitive.fields[e.field].sql(d, raw, a)} END")
        if isinstance(e, Tags):
            t = self.alias("g")
            sees = self.pred(self.scope.where("person.key_tags"), a)
            key_tag = self.pred(KEY_TAG, t)
            source = (f"FROM person_tag {t} WHERE {t}.person_id = {a}.id AND {t}.deleted_at IS NULL "
                      f"AND ({sees} OR NOT {key_tag})")
            return d.agg_text(f"{t}.tag", f"{t}.id", source)
        if isinstance(e, Relation):
            r = self.alias("r")
            target = e.node.kind
            body = self.node(e.node, r)  # rendered first: its params come first in the text
            where = self.pred(visible(self.scope, target), r)
            table = kind_of(target).model._meta.db_table
            return d.embed(f"(SELECT {body} FROM {table} {r} WHERE {r}.id = {a}.{e.fk} AND {where})")
        if isinstance(e, ListRel):
            return self.to_many(e, a)
        if isinstance(e, PageRel):
            return self.page(e, a)
        raise TypeError(e)

    # -- a relation connection (resolvers.relations) of the row `a` ----------------------
    def page_source(self, rel: PageRel, a: str, x: str, with_after: bool) -> str:
        """FROM … WHERE … of the relation's rows of `a` (alias `x`) as
        `pagination.fetch_relation_pages` reads them, after the cursor if `with_after`."""
        via, request = rel.via, self.nested[rel.slot]
        table = kind_of(via.target).model._meta.db_table
        if via.link is None:
            head = f"FROM {table} {x} WHERE {x}.{via.column} = {a}.id"
        else:
            l = self.alias("l")
            link_table = kind_of(via.link).model._meta.db_table
            head = (f"FROM {link_table} {l} JOIN {table} {x} ON {x}.{via.target_column} = {l}.{via.to_column} "
                    f"WHERE {l}.{via.column} = {a}.id AND {self.pred(visible(self.scope, via.link), l)}")
        text = f"{head} AND {self.pred(via.target_where(self.scope), x)}"
        if with_after and request.after is not None:
            text += f" AND {self.pred(request.after, x)}"
        return text

    def page_ids(self, rel: PageRel, a: str) -> str:
        """The ids of the page's rows of `a`, for `IN`."""
        x = self.alias("x")
        request = self.nested[rel.slot]
        return (f"SELECT {x}.id {self.page_source(rel, a, x, True)} ORDER BY {_ordering(request.order, x)} "
                f"LIMIT {request.first}")

    def page(self, rel: PageRel, a: str) -> str:
        d, request = self.d, self.nested[rel.slot]
        target = rel.via.target
        first = request.first
        pairs = []
        for key, part in rel.sel.entries:
            if isinstance(part, Typename):
                pairs.append((key, d.text(part.name)))
            elif part == "totalCount":
                x = self.alias("x")
                pairs.append((key, f"(SELECT COUNT(*) {self.page_source(rel, a, x, False)})"))
            elif part[0] == "pageInfo":
                info = []
                for k, name in part[1]:
                    if isinstance(name, Typename):
                        info.append((k, d.text(name.name)))
                    elif name == "hasNextPage":
                        x = self.alias("x")
                        # pagination.fetch_relation_pages reads nothing for first=0
                        info.append((k, d.true(False) if not first else d.boolean(
                            f"EXISTS (SELECT 1 {self.page_source(rel, a, x, True)} "
                            f"ORDER BY {_ordering(request.order, x)} LIMIT 1 OFFSET {first})")))
                    elif name == "hasPreviousPage":
                        info.append((k, d.true(request.after is not None)))
                    elif name in ("startCursor", "endCursor"):
                        x, p = self.alias("x"), self.alias("p")
                        cursor = cursor_expression(d, target, request.order, p)
                        reverse = name == "endCursor"
                        info.append((k, f"(SELECT {cursor} FROM (SELECT {x}.* "
                                        f"{self.page_source(rel, a, x, True)} ORDER BY "
                                        f"{_ordering(request.order, x)} LIMIT {first}) {p} ORDER BY "
                                        f"{_ordering(request.order, p, reverse)} LIMIT 1)"))
                    else:
                        raise TypeError(name)
                pairs.append((key, d.obj(info)))
            elif part[0] == "edges":
                p = self.alias("p")
                edge = []
                for k, e in part[1]:
                    if isinstance(e, Typename):
                        edge.append((k, d.text(e.name)))
                    elif e == "cursor":
                        edge.append((k, cursor_expression(d, target, request.order, p)))
                    else:
                        edge.append((k, self.node(e, p)))
                value = d.obj(edge)  # rendered before its source: its params come first
                pairs.append((key, d.agg_limited(value, _ordering(request.order, p),
                                                 self.page_source(rel, a, p, True), first)))
            elif part[0] == "nodes":
                p = self.alias("p")
                value = self.node(part[1], p)
                pairs.append((key, d.agg_limited(value, _ordering(request.order, p),
                                                 self.page_source(rel, a, p, True), first)))
        return d.obj(pairs)

    def to_many(self, e: ListRel, a: str) -> str:
        """A correlated JSON array of the list's nodes, as `Loaders.rows_by` (visible targets
        whose column holds the parent's id, in the target's default order) or
        `Loaders.linked` (live link rows in id order, each to its visible target) read it."""
        r = self.alias("r")
        target = e.node.kind
        body = self.node(e.node, r)  # rendered first: its params come first in the text
        table = kind_of(target).model._meta.db_table
        if e.how[0] == "by":
            _, _, column = e.how
            where = self.pred(visible(self.scope, target), r)
            order = ", ".join(f"{r}.{c} {'DESC' if desc else 'ASC'}" for c, desc in kind_of(target).default_order)
            source = f"FROM {table} {r} WHERE {r}.{column} = {a}.id AND {where}"
        else:
            _, link_kind, from_column, to_column, _ = e.how
            l = self.alias("l")
            link_table = kind_of(link_kind).model._meta.db_table
            link_where = self.pred(visible(self.scope, link_kind), l)
            where = self.pred(visible(self.scope, target), r)
            order = f"{l}.id ASC"
            source = (f"FROM {link_table} {l} JOIN {table} {r} ON {r}.id = {l}.{to_column} "
                      f"WHERE {l}.{from_column} = {a}.id AND {link_where} AND {where}")
        return self.d.agg(body, order, source)

    def column(self, c: Column, a: str) -> str:
        value = f"{a}.{c.column}"
        if c.how == "enum":
            whens = " ".join(f"WHEN {quote(v)} THEN {quote(n)}" for v, n in c.enum_names)
            return f"CASE {value} {whens} END"
        if c.how == "datetime":
            return self.d.datetime(value)
        if c.how == "date":
            return self.d.date(value)
        if c.how == "year":
            return self.d.year(value)
        return value

    # -- the audit of what a node tree revealed ---------------------------------------
    def revealed(self, sel: NodeSel, path: tuple, a: str, out: list[str], first: int) -> None:
        """One SELECT (kind, field, id, region_path) per sensitive field of `sel`, over the
        rows of the page reached by the same relation path and scope as the JSON. `path` is
        the joins from the page row: (table, alias, parent alias, fk, kind)."""
        for _, e in sel.entries:
            if isinstance(e, Masked):
                sensitive = governing(sel.kind, e.field)
                if self.scope.where(sensitive.grant) == FALSE:
                    continue  # masked on every row: nothing to audit

                def cond(e=e, sensitive=sensitive):
                    sees = self.pred(self.scope.where(sensitive.grant), a)
                    return f"{a}.{e.value.column} IS NOT NULL AND {sees}"
                out.append(self._revealed_row(sel.kind, sensitive.name, path, a, cond, first))
            elif isinstance(e, Tags):
                if self.scope.where("person.key_tags") == FALSE:
                    continue

                def cond():
                    t = self.alias("g")
                    key_tag = self.pred(KEY_TAG, t)
                    sees = self.pred(self.scope.where("person.key_tags"), a)
                    return (f"EXISTS (SELECT 1 FROM person_tag {t} WHERE {t}.person_id = {a}.id AND "
                            f"{t}.deleted_at IS NULL AND {key_tag}) AND {sees}")
                out.append(self._revealed_row(sel.kind, "key_tags", path, a, cond, first))
            elif isinstance(e, Relation):
                r = self.alias("r")
                table = kind_of(e.node.kind).model._meta.db_table
                self.revealed(e.node, path + (("one", table, r, a, e.fk, e.node.kind),), r, out, first)
            elif isinstance(e, ListRel):
                r = self.alias("r")
                table = kind_of(e.node.kind).model._meta.db_table
                if e.how[0] == "by":
                    step = ("by", table, r, a, e.how[2], e.node.kind)
                else:
                    _, link_kind, from_column, to_column, _ = e.how
                    step = ("link", table, r, a, (kind_of(link_kind).model._meta.db_table, self.alias("l"),
                                                  link_kind, from_column, to_column), e.node.kind)
                self.revealed(e.node, path + (step,), r, out, first)
            elif isinstance(e, PageRel):
                for node in _page_nodes(e.sel):
                    r = self.alias("r")
                    table = kind_of(e.via.target).model._meta.db_table
                    self.revealed(node, path + (("page", table, r, a, e, node.kind),), r, out, first)

    def _revealed_row(self, kind: str, field_name: str, path: tuple, a: str, cond, first: int) -> str:
        """Rendered in text order (joins, then the condition) so the parameters line up."""
        d = self.d
        joins = "".join(self._join(step) for step in path)
        return (f"SELECT {d.text(kind)} AS gh_k, {d.text(field_name)} AS gh_f, {a}.id AS gh_i, "
                f"{a}.region_path AS gh_p FROM gh_page t0{joins} WHERE t0.gh_rn <= {first} AND {cond()}")


    def _join(self, step: tuple) -> str:
        """One relation step of an audit path as a JOIN, predicates in text order."""
        how, table, r, parent, via, k = step
        if how == "page":
            return f" JOIN {table} {r} ON {r}.id IN ({self.page_ids(via, parent)})"
        if how == "one":
            return f" JOIN {table} {r} ON {r}.id = {parent}.{via} AND {self.pred(visible(self.scope, k), r)}"
        if how == "by":
            return f" JOIN {table} {r} ON {r}.{via} = {parent}.id AND {self.pred(visible(self.scope, k), r)}"
        link_table, l, link_kind, from_column, to_column = via
        link = (f" JOIN {link_table} {l} ON {l}.{from_column} = {parent}.id AND "
                f"{self.pred(visible(self.scope, link_kind), l)}")
        return link + f" JOIN {table} {r} ON {r}.id = {l}.{to_column} AND {self.pred(visible(self.scope, k), r)}"


def _ordering(order, alias: str, reverse: bool = False) -> str:
    return ", ".join(f"{alias}.{c} {'DESC' if desc != reverse else 'ASC'}" for c, desc in order)


def _page_nodes(sel: ConnectionSel) -> list[NodeSel]:
    """The node selections of a connection, under `nodes` and under `edges`."""
    found = []
    for _, part in sel.entries:
        if isinstance(part, tuple) and part[0] == "nodes":
            found.append(part[1])
        elif isinstance(part, tuple) and part[0] == "edges":
            found.extend(e for _, e in part[1] if isinstance(e, NodeSel))
    return found


def cursor_expression(d: Sql, kind_name: str, order, a: str) -> str:
    """resolvers.read.pagination.encode_cursor: urlsafe base64 of the JSON list of the sort key
    (json.dumps, so `, ` between values and ISO text for times)."""
    kind = kind_of(kind_name)
    parts = []
    for column, _ in order:
        typ = kind.order_columns.get(column, int).__name__
        value = f"{a}.{column}"
        if typ == "int":
            parts.append(d.int_text(value))
        elif typ == "datetime":
            parts.append(f"'\"' || {d.datetime(value)} || '\"'")
        elif typ == "date":
            parts.append(f"'\"' || {d.date(value)} || '\"'")
        else:
            parts.append(d.json_text(value))
    return d.base64("'[' || " + " || ', ' || ".join(parts) + " || ']'", urlsafe=True)


def render_root(d: Sql, scope: Scope, root: RootField, page_where: Pred, count_where: Pred, order,
                first: int, has_previous: bool, nested: list | None = None) -> Frag:
    """The statement of one root connection: a CTE of the page (first + 1 rows, to tell
    whether there is a next one), then the connection's JSON and the audit list."""
    kind = kind_of(root.kind)
    table = kind.model._meta.db_table
    ordering = ", ".join(f"t0.{c} {'DESC' if desc else 'ASC'}" for c, desc in order)
    limit = first + 1 if first else 0  # pagination.fetch_page reads nothing for first=0

    head = Renderer(d, scope)
    if d.pg:
        # the page's ids first, then its rows: a sparse page in id order (500 key persons
        # county-wide) walks 34,000 keys to find them, and the live rows' index
        # (migration 0025) walks them without reading the table
        keys = ", ".join(f"k0.{c} {'DESC' if desc else 'ASC'}" for c, desc in order)
        page = (f"t0.id IN (SELECT k0.id FROM {table} k0 WHERE {head.pred(page_where, 'k0')} "
                f"ORDER BY {keys} LIMIT {limit})")
    else:
        page = f"{head.pred(page_where, 't0')} ORDER BY {ordering} LIMIT {limit}"
    cte = (f"WITH gh_page AS (SELECT t0.*, ROW_NUMBER() OVER (ORDER BY {ordering}) AS gh_rn "
           f"FROM {table} t0 WHERE {page}) ")

    body = Renderer(d, scope, nested)
    data = connection_json(body, root, root.selection, table, count_where, order, first, has_previous)
    audit = Renderer(d, scope, nested)  # its own parameters: on PostgreSQL its text comes before the data's
    audit_parts: list[str] = []
    for node in _page_nodes(root.selection):
        audit.revealed(node, (), "t0", audit_parts, first)
    if not audit_parts:
        return Frag(cte + f"SELECT {data} AS data, NULL AS audit", head.params + body.params)
    revealed = f"SELECT DISTINCT gh_k, gh_f, gh_i, gh_p FROM ({' UNION ALL '.join(audit_parts)}) gh_u"
    if d.pg:
        # written by the read itself, in the same round trip (a data-modifying CTE runs
        # whether or not the query reads it): one entry per (kind, field), as
        # resolvers.identity.context.audit_entries makes them on the resolver path
        text = (cte.rstrip() + f", gh_audit AS ({AUDIT_INSERT} SELECT now(), ?, 'read_sensitive', g.gh_k, '', g.gh_f, "
                f"{AUDIT_REGION}, jsonb_build_object('region_paths', g.gh_paths), g.gh_ids "
                f"FROM (SELECT gh_k, gh_f, min(gh_p COLLATE \"C\") AS gh_lo, max(gh_p COLLATE \"C\") AS gh_hi, "
                f"jsonb_agg(gh_p ORDER BY gh_i) AS gh_paths, jsonb_agg(gh_i ORDER BY gh_i) AS gh_ids "
                f"FROM ({revealed}) gh_d GROUP BY gh_k, gh_f) g) "
                f"SELECT {data} AS data, NULL AS audit")
        return Frag(text, head.params + [ACTOR] + audit.params + body.params)
    text = cte + (f"SELECT {data} AS data, (SELECT json_group_array(json_array(gh_k, gh_f, gh_i, gh_p)) "
                  f"FROM ({revealed})) AS audit")
    return Frag(text, head.params + body.params + audit.params)


class _Actor:
    """Stands in a cached statement's parameters for who is reading (run.py fills it in)."""

    def __repr__(self):
        return "ACTOR"


ACTOR = _Actor()
AUDIT_INSERT = ("INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, detail, "
                "object_ids)")
# resolvers.identity.context.holding_region in SQL: the longest common prefix of the lowest and the
# highest path (so of all), cut after its last '/'
AUDIT_REGION = ("(SELECT left(g.gh_lo, max(i)) FROM generate_series(1, length(g.gh_lo)) i "
                "WHERE substr(g.gh_lo, i, 1) = '/' AND left(g.gh_lo, i) = left(g.gh_hi, i))")


def connection_json(r: Renderer, root: RootField, sel: ConnectionSel, table: str, count_where: Pred, order,
                    first: int, has_previous: bool) -> str:
    d = r.d
    cursor = cursor_expression(d, root.kind, order, "t0")
    shown = f"FROM gh_page t0 WHERE t0.gh_rn <= {first}"
    pairs = []
    for key, part in sel.entries:
        if isinstance(part, Typename):
            pairs.append((key, d.text(part.name)))
        elif part == "totalCount":
            pairs.append((key, f"(SELECT COUNT(*) FROM {table} c0 WHERE {r.pred(count_where, 'c0')})"))
        elif part[0] == "pageInfo":
            info = []
            for k, name in part[1]:
                if isinstance(name, Typename):
                    info.append((k, d.text(name.name)))
                elif name == "hasNextPage":
                    info.append((k, d.boolean(f"(SELECT COUNT(*) FROM gh_page) > {first}")))
                elif name == "hasPreviousPage":
                    info.append((k, d.true(has_previous)))
                elif name == "startCursor":
                    info.append((k, f"(SELECT {cursor} {shown} ORDER BY t0.gh_rn LIMIT 1)"))
                elif name == "endCursor":
                    info.append((k, f"(SELECT {cursor} {shown} ORDER BY t0.gh_rn DESC LIMIT 1)"))
                else:
                    raise TypeError(name)
            pairs.append((key, d.obj(info)))
        elif part[0] == "edges":
            edge = []
            for k, e in part[1]:
                if isinstance(e, Typename):
                    edge.append((k, d.text(e.name)))
                elif e == "cursor":
                    edge.append((k, cursor))
                else:
                    edge.append((k, r.node(e, "t0")))
            pairs.append((key, d.agg(d.obj(edge), "t0.gh_rn", shown)))
        elif part[0] == "nodes":
            pairs.append((key, d.agg(r.node(part[1], "t0"), "t0.gh_rn", shown)))
    return d.obj(pairs)


def bind(d: Sql, frag: Frag) -> Frag:
    """The statement as it is sent: on PostgreSQL each text or integer value written into the
    text as a literal, the rest (who is reading, times, lists) numbered `$1`, `$2`, … for
    asyncpg.

    Literals, because a prepared statement falls back to a generic plan after five runs, and
    a generic plan cannot see a `LIKE $n` pattern's prefix: a grid's page walked the primary
    key of the whole county (37 ms for the last town's grid instead of 6), and the police's
    key persons seq-scanned the tags. With its values written in, each statement text is
    planned for them once per connection and its plan kept (the cache of statements is per
    plan and arguments, run.statement). E'' strings escape the same under either setting of
    standard_conforming_strings; a value PostgreSQL could not hold in text (NUL), or an
    integer past 64 bits, stays a parameter and fails as one would."""
    if not d.pg:
        return frag
    pieces = frag.text.split("?")  # no literal we write contains a `?`; values are inlined below
    text, params = [pieces[0]], []
    for value, piece in zip(frag.params, pieces[1:]):
        literal = _literal(value)
        if literal is None:
            params.append(value)
            literal = f"${len(params)}"
        text.append(literal + piece)
    return Frag("".join(text), params)


def _literal(value) -> str | None:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and -2**63 <= value < 2**63:
        return str(value) if value >= 0 else f"({value})"  # `- -1`, never `--1`, a comment
    if isinstance(value, str) and "\x00" not in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return None
