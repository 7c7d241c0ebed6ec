"""The import contract: which layer may import which, read from the source itself.

Layers, lowest first: `settings`, `models`, `policies` (the access model, no web or GraphQL),
`resolvers` (reads, writes and the domain, callable from the CLI and the benchmarks),
`schema` (strawberry), and the web: the HTTP layer `web/`, the command `cli/` and the
composition root `app.py`. A module imports only its own layer and those below; imports
inside functions count, since a lazy import is still a dependency (and is how loops hide).
There are no import loops left: `test_no_import_loops_beyond_the_known` fails on the first
one."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "policies", "resolvers", "schema", "web", "cli")
LAYERS = ("settings", "models", "policies", "resolvers", "schema", "web")
WEB_FRAMEWORKS = ("strawberry", "graphql", "starlette")

# modules that import each other, directly or around a loop (each loop by its members): none
IMPORT_LOOPS: set[frozenset[str]] = set()


def module_files() -> list[Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts]
    return files + [p for p in ROOT.glob("*.py")]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def layer_of(module: str) -> str:
    head = module.split(".")[0]
    return head if head in LAYERS else "web"


@cache
def known_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in module_files())


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """The project modules and the third-party packages a file imports, anywhere in it."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    ours, theirs = set(), set()

    def ours_or_theirs(name: str) -> None:
        if name.startswith("gridhub."):
            name = name.removeprefix("gridhub.")
        elif name == "gridhub":
            return
        elif name.split(".")[0] not in known_modules() and name not in known_modules():
            theirs.add(name.split(".")[0])
            return
        while name and name not in known_modules():  # `models.enums.Tier` → `models.enums`
            name = name.rpartition(".")[0]
        if name:
            ours.add(name)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                ours_or_theirs(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module in ("gridhub", "") or module in known_modules() and not node.module and node.level:
                # `from gridhub import models` / `from . import validation`: the names are modules
                for alias in node.names:
                    ours_or_theirs(f"{module}.{alias.name}".strip(".") if module != "gridhub" else alias.name)
            else:
                for alias in node.names:
                    candidate = f"{module}.{alias.name}"
                    ours_or_theirs(candidate if candidate.removeprefix("gridhub.") in known_modules() else module)
    ours.discard(here)
    return ours, theirs


@cache
def import_graph() -> dict[str, tuple[set[str], set[str]]]:
    return {module_name(p): imports_of(p) for p in module_files()}


def test_each_layer_imports_only_itself_and_below():
    graph = import_graph()
    upward = sorted(
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, (ours, _) in graph.items() for target in ours
        if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(module)))
    assert not upward, "\n".join(upward)


def test_only_the_schema_and_web_layers_import_web_frameworks():
    """The read engine, the writes and the domain take plain values: documents, GraphQL types
    and HTTP stay in schema/ and above, so the CLI and the benchmarks call them directly."""
    found = {
        f"{module.replace('.', '/')}.py": sorted(set(theirs) & set(WEB_FRAMEWORKS))
        for module, (_, theirs) in import_graph().items()
        if layer_of(module) in ("settings", "models", "policies", "resolvers") and set(theirs) & set(WEB_FRAMEWORKS)}
    assert not found, found


def import_loops(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, loops, counter = {}, {}, [], set(), set(), [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                loops.add(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return loops


def test_no_import_loops_beyond_the_known():
    graph = {m: ours for m, (ours, _) in import_graph().items()}
    found = import_loops(graph)
    assert found == IMPORT_LOOPS, (
        f"new loops {[sorted(c) for c in found - IMPORT_LOOPS]}, fixed {[sorted(c) for c in IMPORT_LOOPS - found]}")


def test_the_contract_reads_imports_truly():
    """The reader itself: it must see lazy, relative and `from gridhub import x` imports, or
    every check above passes for nothing."""
    graph = import_graph()
    assert "resolvers.write.mutations" in graph["resolvers.domain.workflow"][0]  # from .mutations import …
    assert "models" in graph["resolvers.write.mutations"][0]  # from gridhub import models
    assert "resolvers.write.validation" in graph["resolvers.write.mutations"][0]  # from . import validation as v
    assert "strawberry" in graph["schema.connection"][1]
    assert import_loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}


# The one audit hook, `resolvers.write.audit.record_change`, writes every audit entry, with these
# exceptions by file, each with its reason; the list must shrink, never grow.
AUDIT_HOOK = "resolvers/write/audit.py"
AUDIT_WRITERS_BESIDES_THE_HOOK = {
    # a layer below resolvers/: a policy edit's entry is written by the store itself
    "policies/store.py": "AuditEntry.create",
    # the sensitive values a request revealed: one INSERT per request for all its fields
    "resolvers/identity/context.py": "INSERT INTO audit_entry",
    # the same notes written by the compiled read, inside its own statement
    "resolvers/read/sqlread/render.py": "INSERT INTO audit_entry",
    # every row a re-gridding moves, one INSERT … SELECT per table
    "resolvers/domain/regrid.py": "INSERT INTO audit_entry",
}


def audit_writes(source: str) -> set[str]:
    """How a module writes audit entries itself: an `AuditEntry(…)` made or created by the ORM
    (`.create`, `.bulk_create`, `.get_or_create`), or SQL inserting into its table."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("create", "bulk_create", "get_or_create"):
                func = func.value
                how = "AuditEntry.create"
            else:
                how = "AuditEntry(…)"
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "AuditEntry":
                found.add(how)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "insert into audit_entry" in " ".join(node.value.lower().split()):
            found.add("INSERT INTO audit_entry")
    return found


def test_audit_entries_are_written_by_the_one_hook():
    writers = {
        str(path.relative_to(ROOT)): sorted(ways) for path in module_files()
        if (ways := audit_writes(path.read_text())) and str(path.relative_to(ROOT)) != AUDIT_HOOK}
    allowed = {path: [how] for path, how in AUDIT_WRITERS_BESIDES_THE_HOOK.items()}
    assert writers == allowed, (
        f"write audit entries through resolvers.write.audit.record_change: "
        f"{ {p: w for p, w in writers.items() if allowed.get(p) != w} }, "
        f"no longer writing them (drop from the list): {sorted(set(allowed) - set(writers))}")


def test_the_audit_check_sees_each_way_of_writing():
    assert audit_writes("await models.AuditEntry.create(actor='a')") == {"AuditEntry.create"}
    assert audit_writes("await AuditEntry.bulk_create([AuditEntry(actor='a')])") == {
        "AuditEntry.create", "AuditEntry(…)"}
    assert audit_writes('sql = f"INSERT INTO  audit_entry (at) SELECT {x}"') == {"INSERT INTO audit_entry"}
    assert audit_writes("await AuditEntry.filter(actor='a').count()") == set()
    assert audit_writes(Path(ROOT / AUDIT_HOOK).read_text()) == {"AuditEntry.create"}
