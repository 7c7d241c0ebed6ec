"""The GraphQL face of the relation table (resolvers.relations): `with_relations(kind)` gives
a type one field per relation of its kind, made from the relation's entry — a to-one field, a
list, or a connection — so no relation is written in a type by hand."""

from typing import Any, Optional

import strawberry
from strawberry.types import Info

from gridhub.resolvers.relations import Many, One, Via, relations_of

from .connection import relation_field
from .refs import REFS


def with_relations(kind: str):
    """Class decorator, under `@strawberry.type`: adds the kind's relation fields."""

    def decorate(cls: type) -> type:
        for name, relation in relations_of(kind).items():
            if name in vars(cls):
                raise TypeError(f"{cls.__name__}.{name} is both written by hand and in resolvers.relations")
            setattr(cls, name, graphql_field(relation))
        return cls

    return decorate


def graphql_field(relation: One | Many | Via) -> Any:
    target = REFS[relation.target]
    if isinstance(relation, Via):
        return relation_field(target, relation, description=relation.description, deep=relation.deep)
    if isinstance(relation, One):
        async def resolve(root, info: Info):
            return await info.context.loaders.one(relation.target, getattr(root, relation.column))

        resolve.__annotations__ = {"info": Info, "return": Optional[target]}
    else:
        async def resolve(root, info: Info):
            loaders = info.context.loaders
            if relation.link is None:
                return await loaders.rows_by(relation.target, relation.column).load(root.id)
            return await loaders.linked(relation.link, relation.column, relation.to_column,
                                        relation.target).load(root.id)

        resolve.__annotations__ = {"info": Info, "return": list[target]}
    return strawberry.field(resolver=resolve, description=relation.description)
