"""The GraphQL schema: one strawberry type per kind, assembled here."""

from typing import Any

import strawberry

from .errors import ErrorCodes
from .mutation import Mutation
from .query import Query


class GridhubSchema(strawberry.Schema):
    def process_errors(self, errors: list, execution_context: Any = None) -> None:
        """Errors are logged by `ErrorCodes` where they are unexpected; expected ones
        (bad input, conflicts) are answers, not incidents."""


schema = GridhubSchema(query=Query, mutation=Mutation, extensions=[ErrorCodes])
