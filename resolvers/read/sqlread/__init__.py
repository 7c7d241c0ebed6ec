"""The compiled read path: a GraphQL selection of plain reads becomes one SQL statement per
root field that builds the response JSON inside the database (DESIGN.md, "Two read paths,
one meaning"). `plan` turns a selection into a plan (or refuses: the resolvers then serve
it), `render` writes a plan as SQL for the dialect, `run` executes and audits, `raw` carries the
database's JSON text into the response unparsed."""

from gridhub.resolvers.read.sqlread.plan import Unsupported
from gridhub.resolvers.read.sqlread.raw import RawJSON, materialised
from gridhub.resolvers.read.sqlread.run import compiled_result

__all__ = ["RawJSON", "Unsupported", "compiled_result", "materialised"]
