"""The served schema teaches: every type, field, argument, input field and enum value carries
a description, read by introspection over HTTP the way GraphiQL's docs pane reads it."""

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}

INTROSPECTION = """
{
  __schema {
    types {
      kind name description
      fields(includeDeprecated: true) {
        name description
        args { name description }
      }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}
"""


def undescribed(types: list[dict]) -> list[str]:
    """Every schema element without a non-empty description, as `Type`, `Type.field`,
    `Type.field(arg)` or `Enum.VALUE`."""
    missing = []

    def check(path: str, item: dict) -> None:
        if not (item.get("description") or "").strip():
            missing.append(path)

    for t in types:
        name = t["name"]
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        check(name, t)
        for field in t.get("fields") or ():
            check(f"{name}.{field['name']}", field)
            for arg in field.get("args") or ():
                check(f"{name}.{field['name']}({arg['name']})", arg)
        for field in t.get("inputFields") or ():
            check(f"{name}.{field['name']}", field)
        for value in t.get("enumValues") or ():
            check(f"{name}.{value['name']}", value)
    return missing


def test_the_check_names_what_lacks_a_description():
    types = [{"kind": "OBJECT", "name": "Thing", "description": "物",
              "fields": [{"name": "code", "description": " ", "args": [{"name": "x", "description": None}]}],
              "inputFields": None, "enumValues": None},
             {"kind": "ENUM", "name": "Kind", "description": "", "fields": None, "inputFields": None,
              "enumValues": [{"name": "HYDRANT", "description": "消防栓"}]},
             {"kind": "SCALAR", "name": "String", "description": None},
             {"kind": "OBJECT", "name": "__Type", "description": None}]
    assert undescribed(types) == ["Thing.code", "Thing.code(x)", "Kind"]


async def test_every_element_of_the_served_schema_has_a_description(anonymous):
    types = (await anonymous.query(INTROSPECTION))["__schema"]["types"]
    missing = undescribed(types)
    assert not missing, f"{len(missing)} schema elements without a description:\n" + "\n".join(missing)


async def test_generated_pages_name_their_kind(anonymous):
    """Connection and Edge types come from one generic each; their descriptions still say
    which kind a page holds."""
    data = await anonymous.query("""{ c: __type(name: "PlaceConnection") { description }
        e: __type(name: "PlaceEdge") { description fields { name description } } }""")
    assert "Place list" in data["c"]["description"]
    assert "One Place of a page" in data["e"]["description"]
    assert {"name": "node", "description": "The Place."} in data["e"]["fields"]
