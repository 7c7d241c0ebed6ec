"""The tag vocabulary as data (issue 22, point 2): persons' tags only from it, its Chinese labels,
and the policy admins' edits over HTTP — add, relabel, retire, remove — each audited, refused to
others, and a tag in use never removed, only retired."""

import itertools

import pytest

from gridhub import models

from .test_mutations import grid_id
from .test_registers import gb11643, registered  # noqa: F401 (a fixture)

VOCABULARY = "{ tagVocabulary { tag label retiredAt carriers } }"
ADD = "mutation($t: String!, $l: String!) { addTag(tag: $t, label: $l) { tag label retiredAt } }"
RELABEL = "mutation($t: String!, $l: String!) { relabelTag(tag: $t, label: $l) { tag label } }"
RETIRE = "mutation($t: String!) { retireTag(tag: $t) { tag retiredAt } }"
REMOVE = "mutation($t: String!) { removeTag(tag: $t) { tag } }"
CREATE = "mutation($input: PersonCreateInput!) { createPerson(input: $input) { id version tags } }"
UPDATE = "mutation($id: ID!, $v: Int!, $t: [String!]) { updatePerson(id: $id, version: $v, input: {tags: $t}) { tags } }"
SEQUENCE = itertools.count(1)
NUMBERS = itertools.count(801)


def fresh_tag() -> str:
    """A tag of this run's own (the suite runs shuffled, and repeatedly on one database)."""
    return f"care/test_{next(SEQUENCE)}_{id(SEQUENCE) % 100000}"


@pytest.fixture
async def own_tag():
    tags: list[str] = []
    yield tags
    await models.PersonTag.filter(tag__in=tags).delete()
    await models.VocabularyTag.filter(tag__in=tags).delete()


async def test_everyone_reads_the_vocabulary_with_its_labels(sign_in):
    listed = (await (await sign_in("worker")).query(VOCABULARY))["tagVocabulary"]
    labels = {t["tag"]: t["label"] for t in listed}
    assert labels["care/elderly_alone"] == "独居老人" and labels["key/drug"] == "吸毒人员"
    counted = {t["tag"]: t["carriers"] for t in listed}
    assert counted["care/low_income"] == await models.PersonTag.filter(
        tag="care/low_income", deleted_at=None, person__deleted_at=None).count() > 0


async def test_an_admin_adds_relabels_retires_and_removes_a_tag(sign_in, anchors, own_tag, registered):
    admin, worker, tag = await sign_in("admin"), await sign_in("worker"), fresh_tag()
    own_tag.append(tag)
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    assert (await admin.query(ADD, t=tag, l="测试标签"))["addTag"] == {"tag": tag, "label": "测试标签",
                                                                      "retiredAt": None}
    assert (await admin.query(RELABEL, t=tag, l="新标签"))["relabelTag"]["label"] == "新标签"
    # a grid worker gives the new tag at once
    registered.append("标签测试人")
    person = (await worker.query(CREATE, input={"name": "标签测试人", "regionId": await grid_id(worker, anchors),
                                                "idNumber": gb11643(f"34022319900101{next(NUMBERS):03d}"),
                                                "tags": [tag]}))["createPerson"]
    assert person["tags"] == [tag]
    # in use: not removed, only retired
    assert (await admin.post(REMOVE, {"t": tag})).codes == ["CONFLICT"]
    assert (await admin.query(RETIRE, t=tag))["retireTag"]["retiredAt"]
    # retired: no longer given, kept by who carries it, still filtered on
    second = (await worker.post(CREATE, {"input": {"name": "标签测试人", "regionId": await grid_id(worker, anchors),
                                                   "idNumber": gb11643(f"34022319900101{next(NUMBERS):03d}"),
                                                   "tags": [tag]}}))
    assert second.codes == ["BAD_USER_INPUT"] and second.errors[0]["extensions"]["field"] == "tags"
    kept = (await worker.query(UPDATE, id=person["id"], v=person["version"], t=[tag, "care/veteran"]))["updatePerson"]
    assert sorted(kept["tags"]) == sorted([tag, "care/veteran"])
    found = (await worker.query("query($t: [String!]) { persons(filter: {tags: $t}) { totalCount } }", t=[tag]))
    assert found["persons"]["totalCount"] == 1
    listed = {t["tag"]: t for t in (await admin.query(VOCABULARY))["tagVocabulary"]}
    assert listed[tag]["retiredAt"] and listed[tag]["carriers"] == 1
    assert tag not in {t["tag"] for t in (await admin.query("{ tagVocabulary(includeRetired: false) { tag } }"))[
        "tagVocabulary"]}
    # nobody carries it any more (even deleted persons' tags name it): then it may go
    await models.PersonTag.filter(tag=tag).delete()
    assert (await admin.query(REMOVE, t=tag))["removeTag"]["tag"] == tag
    assert tag not in {t["tag"] for t in (await admin.query(VOCABULARY))["tagVocabulary"]}
    audited = await models.AuditEntry.filter(id__gt=mark, object_kind="vocabulary", object_id=tag).order_by("id")
    assert [e.action for e in audited] == ["add_tag", "relabel_tag", "retire_tag", "remove_tag"]
    assert all(e.actor == "admin" for e in audited)


@pytest.mark.parametrize("who", ["worker", "county", "police"])
async def test_only_policy_admins_edit_the_vocabulary(sign_in, who, own_tag):
    tag = fresh_tag()
    own_tag.append(tag)
    client = await sign_in(who)
    for query, variables in ((ADD, {"t": tag, "l": "不许"}), (RELABEL, {"t": "care/veteran", "l": "改"}),
                             (RETIRE, {"t": "care/veteran"}), (REMOVE, {"t": "care/veteran"})):
        assert (await client.post(query, variables)).codes == ["FORBIDDEN"]
    assert not await models.VocabularyTag.exists(tag=tag)
    assert (await models.VocabularyTag.get(tag="care/veteran")).label == "退役军人"


@pytest.mark.parametrize("tag, label, field", [
    ("Care/Upper", "大写", "tag"), ("care", "只有组", "tag"), ("care/a b", "空格", "tag"), ("care/x%", "通配", "tag"),
    ("care/ok_tag", "", "label"), ("care/ok_tag", "长" * 65, "label"),
])
async def test_a_bad_tag_or_label_is_refused_naming_the_field(sign_in, tag, label, field):
    response = await (await sign_in("admin")).post(ADD, {"t": tag, "l": label})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == field
    assert not await models.VocabularyTag.exists(tag=tag)


async def test_a_live_tag_is_not_added_twice(sign_in):
    assert (await (await sign_in("admin")).post(ADD, {"t": "care/veteran", "l": "重复"})).codes == ["CONFLICT"]


async def test_a_tag_outside_the_vocabulary_is_neither_given_nor_filtered(sign_in, worker, anchors):
    response = await worker.post(CREATE, {"input": {"name": "不该登记", "regionId": await grid_id(worker, anchors),
                                                    "idNumber": gb11643("34022319900101899"), "tags": ["foo/bar"]}})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "tags"
    refused = await (await sign_in("county")).post('{ persons(filter: {tags: ["care/nothing_such"]}) { totalCount } }')
    assert refused.codes == ["BAD_USER_INPUT"]
