"""The tag vocabulary in GraphQL (resolvers/domain/vocabulary.py): `tagVocabulary` for everyone signed
in, and the policy admins' edits (`addTag`, `relabelTag`, `retireTag`, `removeTag`)."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import vocabulary

from .args import arg

Tag = arg(str, "The tag's path, such as `care/elderly_alone`.")
Label = arg(str, "Its Chinese label, such as 独居老人 (1 to 64 characters).")


@strawberry.type(description="A tag of the vocabulary persons' tags are drawn from, with its Chinese label.")
class VocabularyTag:
    tag: str = strawberry.field(description="The tag's path: a group and a name (`care/elderly_alone`). Tags under "
                                            "`key/` are key-person tags, shown only with `person.key_tags`.")
    label: str = strawberry.field(description="Its Chinese label, shown to people (独居老人).")
    retired_at: Optional[datetime] = strawberry.field(
        description="When it was retired: no longer given, still carried by those who have it; null while in use.")
    version: int = strawberry.field(description="Bumped by every change.")

    @strawberry.field(description="How many persons carry it now, in the whole county (a count, not who).")
    async def carriers(self: models.VocabularyTag, info: Info) -> int:
        counts = info.context.loaders._get(("vocabulary_carriers",), _carrier_counts)
        return await counts.load(self.tag)


def _carrier_counts():
    async def load(tags: list[str]) -> list[int]:
        found = await vocabulary.carriers(list(set(tags)))
        return [found.get(t, 0) for t in tags]

    return load


@strawberry.type
class VocabularyQuery:
    @strawberry.field(description="The tag vocabulary, by tag: the tags a person may be given (and the retired "
                                  "ones, which those who carry them keep).")
    async def tag_vocabulary(self, include_retired: arg(bool, "Also the retired tags.") = True
                             ) -> list[VocabularyTag]:
        return await vocabulary.list_vocabulary(include_retired)


@strawberry.type
class VocabularyMutation:
    @strawberry.mutation(description="Add a tag to the vocabulary, or give a retired one again. Needs `vocabulary` "
                                     "`update` at the county (policy admins).")
    async def add_tag(self, info: Info, tag: Tag, label: Label) -> VocabularyTag:
        return await vocabulary.add_tag(info.context.store, info.context.username, tag, label)

    @strawberry.mutation(description="Change a tag's label; its path stays, as persons carry it.")
    async def relabel_tag(self, info: Info, tag: Tag, label: Label) -> VocabularyTag:
        return await vocabulary.relabel_tag(info.context.store, info.context.username, tag, label)

    @strawberry.mutation(description="Retire a tag: no longer given; those who carry it keep it.")
    async def retire_tag(self, info: Info, tag: Tag) -> VocabularyTag:
        return await vocabulary.retire_tag(info.context.store, info.context.username, tag)

    @strawberry.mutation(description="Remove a tag nobody carries or ever carried (CONFLICT otherwise: retire it).")
    async def remove_tag(self, info: Info, tag: Tag) -> VocabularyTag:
        return await vocabulary.remove_tag(info.context.store, info.context.username, tag)
