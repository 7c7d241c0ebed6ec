"""The tag vocabulary: every tag a person may carry, with its Chinese label (DOMAIN.md).

The vocabulary is data (`models.VocabularyTag`), seeded at first start from `TAGS` below and
edited by policy admins (`vocabulary` + `update` at the county root, as the category tree):
a tag is added, relabelled, retired (no longer given; those who carry it keep it, and it is
still filtered and counted) or removed while nobody carries it. Every edit is audited.

Tags are compared exactly and case-sensitively: a tag written must be a live tag of the
vocabulary exactly as spelled there; a tag filtered on must at least be spelled as a path
(`KEY`, `ｋｅｙ`, `care/%` or `care//x` are refused; a well-formed path nobody carries finds no one).
A tag under `key/` is a key-person tag wherever it comes from (policies.sensitivity)."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.policies.store import PolicyStore

from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound

TAGS: dict[str, str] = {
    # care/…: people in need, civil affairs' business
    "care/low_income": "低保",
    "care/extreme_poverty": "特困/五保",
    "care/disabled": "残疾",
    "care/elderly_alone": "独居老人",
    "care/left_behind_child": "留守儿童",
    "care/left_behind_elderly": "留守老人",
    "care/veteran": "退役军人",
    "care/unemployed": "失业人员",
    # key/…: key persons (重点人员), public security's business; sensitive
    "key/released_prisoner": "刑满释放人员",
    "key/community_correction": "社区矫正对象",
    "key/mental_disorder": "严重精神障碍患者",
    "key/drug": "吸毒人员",
    "key/aids_risk": "艾滋病危险人员",
    "key/key_youth": "重点青少年",
    "key/petitioner": "重点上访人员",
    "key/dangerous_goods": "危险品从业人员",
    # role/…: roles in the community
    "role/party_member": "党员",
    "role/resident_representative": "居民代表",
    "role/volunteer": "志愿者",
}

# A tag: a group and a name, lower-case words (`care/elderly_alone`, `key/drug`)
TAG_PATH = re.compile(r"[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)+")
# a tag or a group to filter by (`care` names all of care/…)
TAG_OR_GROUP = re.compile(r"[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*")

# GB/T 3304 (中国各民族名称的罗马字母拼写法和代码): the 56 ethnic groups in the standard's order
# (code 01 汉族 … 56 基诺族), then its two further entries.
ETHNIC_GROUPS: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
    "其他", "外国血统",  # 97 其他未识别民族, 98 外国血统中国籍人士
)


async def seed_vocabulary() -> bool:
    """Write `TAGS` into an empty vocabulary (first start; the migration fills an older database)."""
    if await models.VocabularyTag.exists():
        return False
    await models.VocabularyTag.bulk_create([models.VocabularyTag(tag=t, label=label) for t, label in TAGS.items()],
                                           ignore_conflicts=True)  # several processes may start at once
    return True


async def check_tags(tags, carried=()) -> None:
    """Each tag written is a live tag of the vocabulary; a retired one only where the person
    already carries it (an edit that sends the tags back does not lose it)."""
    wanted = set(tags) - set(carried)
    if not wanted:
        return
    live = set(await models.VocabularyTag.filter(tag__in=wanted, retired_at=None, deleted_at=None)
               .values_list("tag", flat=True))
    for tag in sorted(wanted - live):
        raise BadInput(f"not a tag of the vocabulary: {tag!r} (like care/low_income; see tagVocabulary)",
                       field="tags")


def check_tag_filter(tag: str, field: str = "tags") -> str:
    """A tag or a group to filter by, spelled as one (no wildcard, capital or look-alike)."""
    if not (isinstance(tag, str) and TAG_OR_GROUP.fullmatch(tag)):
        raise BadInput(f"not a tag or tag group of the vocabulary: {tag!r} (like care or care/low_income)",
                       field=field)
    return tag


# the seeded tags and their groups: filtering on them asks the database nothing, so a read
# the compiled path answers stays one statement (a seeded tag is removed only while nobody
# ever carried it: filtering on it then finds no one, as it should)
SEEDED = frozenset(TAGS) | frozenset(
    "/".join(parts[:i]) for parts in (t.split("/") for t in TAGS) for i in range(1, len(parts)))


async def check_tag_filters(tags, field: str = "tags") -> None:
    """Tags to filter by name tags of the vocabulary (retired ones too: people carry them) or
    groups of them (`care`); beyond the seeded ones, one statement asks the vocabulary."""
    for tag in tags:
        check_tag_filter(tag, field)
    if all(tag in SEEDED for tag in tags):
        return
    known = await models.VocabularyTag.filter(deleted_at=None).values_list("tag", flat=True)
    groups = {"/".join(parts[:i]) for parts in (t.split("/") for t in known) for i in range(1, len(parts))}
    for tag in tags:
        if tag not in known and tag not in groups:
            raise BadInput(f"not a tag or tag group of the vocabulary: {tag!r} (like care or care/low_income)",
                           field=field)


async def list_vocabulary(include_retired: bool = True) -> list[models.VocabularyTag]:
    found = models.VocabularyTag.filter(deleted_at=None)
    if not include_retired:
        found = found.filter(retired_at=None)
    return await found.order_by("tag")


async def carriers(tags: list[str]) -> dict[str, int]:
    """How many live persons carry each tag (anyone may count: the vocabulary is the county's)."""
    from tortoise.functions import Count

    found = await models.PersonTag.filter(tag__in=tags, deleted_at=None, person__deleted_at=None) \
        .annotate(n=Count("id")).group_by("tag").values_list("tag", "n")
    return dict(found)


async def _roots() -> list[str]:
    return sorted(await models.Region.filter(parent_id=None, deleted_at=None).values_list("region_path", flat=True))


async def _require_edit(store: PolicyStore, actor: str) -> str:
    """The root the edit is audited at, if the actor may edit the vocabulary (at every root)."""
    roots = await _roots()
    if not (roots and all(store.allows(actor, root, "vocabulary", "update") for root in roots)):
        raise Forbidden("editing the tag vocabulary needs the vocabulary update grant at the county")
    return roots[0]


def _check_label(label) -> str:
    label = (label or "").strip()
    if not label or len(label) > 64:
        raise BadInput("a label is 1 to 64 characters, such as 独居老人", field="label")
    return label


async def _audit(actor: str, action: str, root: str, tag: str, detail: dict) -> None:
    await record_change(actor, action, "vocabulary", object_id=tag, region_path=root, detail=detail)


async def add_tag(store: PolicyStore, actor: str, tag: str, label: str) -> models.VocabularyTag:
    """A new tag, or a retired one given again (with `label`)."""
    root = await _require_edit(store, actor)
    if not (isinstance(tag, str) and len(tag) <= 64 and TAG_PATH.fullmatch(tag)):
        raise BadInput("a tag is a group and a name in lower-case words, at most 64 characters: care/elderly_alone",
                       field="tag")
    label = _check_label(label)
    try:
        async with in_transaction():
            existing = await models.VocabularyTag.get_or_none(tag=tag)
            if existing is not None and existing.deleted_at is None and existing.retired_at is None:
                raise Conflict(f"{tag} is in the vocabulary already", field="tag")
            if existing is None:
                row = await models.VocabularyTag.create(tag=tag, label=label)
            else:
                await models.VocabularyTag.filter(id=existing.id).update(
                    label=label, retired_at=None, deleted_at=None, version=F("version") + 1)
                row = await models.VocabularyTag.get(id=existing.id)
            await _audit(actor, "add_tag", root, tag, {"label": label})
    except IntegrityError:
        raise Conflict(f"{tag} is in the vocabulary already", field="tag") from None
    return row


async def _live(tag: str) -> models.VocabularyTag:
    row = await models.VocabularyTag.get_or_none(tag=tag, deleted_at=None)
    if row is None:
        raise NotFound(f"no tag {tag!r} in the vocabulary")
    return row


async def relabel_tag(store: PolicyStore, actor: str, tag: str, label: str) -> models.VocabularyTag:
    root = await _require_edit(store, actor)
    label = _check_label(label)
    async with in_transaction():
        row = await _live(tag)
        await models.VocabularyTag.filter(id=row.id).update(label=label, version=F("version") + 1)
        await _audit(actor, "relabel_tag", root, tag, {"label": label, "was": row.label})
        return await models.VocabularyTag.get(id=row.id)


async def retire_tag(store: PolicyStore, actor: str, tag: str) -> models.VocabularyTag:
    """No longer given; those who carry it keep it (history), and it is still filtered on."""
    from gridhub.resolvers.runtime.civil_time import now

    root = await _require_edit(store, actor)
    async with in_transaction():
        row = await _live(tag)
        if row.retired_at is None:
            await models.VocabularyTag.filter(id=row.id).update(retired_at=now(), version=F("version") + 1)
            await _audit(actor, "retire_tag", root, tag, {})
        return await models.VocabularyTag.get(id=row.id)


async def remove_tag(store: PolicyStore, actor: str, tag: str) -> models.VocabularyTag:
    """Out of the vocabulary, only while nobody carries it (CONFLICT otherwise: retire it)."""
    from gridhub.resolvers.runtime.civil_time import now

    root = await _require_edit(store, actor)
    async with in_transaction():
        row = await _live(tag)
        if await models.PersonTag.exists(tag=tag):  # deleted persons' tags too: their history names it
            raise Conflict(f"{tag} is carried by persons: retire it instead", field="tag")
        await models.VocabularyTag.filter(id=row.id).update(deleted_at=now(), version=F("version") + 1)
        await _audit(actor, "remove_tag", root, tag, {})
        return await models.VocabularyTag.get(id=row.id)
