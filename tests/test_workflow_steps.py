"""Where each step of the workflow is decided (resolvers/domain/workflow.py `decision_path`, the
table in its docstring) as units over the demo's regions: an event in memory, never saved,
at the demo's grid, handled and dispatched by the tiers above it. test_workflow.py and
test_corrections.py show the steps over HTTP as the demo's users."""

from __future__ import annotations

import pytest

from gridhub import models
from gridhub.policies.predicate import TRUE
from gridhub.policies.scope import Scope
from gridhub.resolvers.domain.workflow import STEPS, _allowed, acting_path, decision_path


@pytest.fixture
async def tiers(app, anchors) -> dict[str, models.Region]:
    return {name: await models.Region.get(region_path=anchors[name])
            for name in ("county", "town", "community", "grid")}


def event_at(grid: models.Region, handler: models.Region | None = None, dispatcher: models.Region | None = None,
             department: int | None = None) -> models.Event:
    return models.Event(region_id=grid.id, region_path=grid.region_path, handling_region_id=handler and handler.id,
                        dispatcher_region_id=dispatcher and dispatcher.id, handling_department_id=department)


@pytest.mark.parametrize("step, handler, dispatcher, department, decided_at", [
    # the handler: the region handling it, else the reporting grid
    ("resolve", "community", "town", None, "community"),
    ("resolve", None, None, None, "grid"),
    # verification: the reporting grid, whoever handles it
    ("verify", "town", "town", None, "grid"),
    # the dispatcher: the tier that dispatched it, else the reporting grid
    ("redispatch", "community", "town", None, "town"),
    ("approve_extension", "community", None, None, "grid"),
    # above: the parent of the handling region, or for a department the dispatching tier
    ("urge", "community", "town", None, "town"),
    ("urge", None, None, None, "community"),
    ("urge", None, "town", 1, "town"),
    ("urge", None, None, 1, "grid"),
    ("urge", "county", None, None, None),  # above the county: nowhere
])
async def test_where_a_step_is_decided(tiers, step, handler, dispatcher, department, decided_at):
    event = event_at(tiers["grid"], handler and tiers[handler], dispatcher and tiers[dispatcher], department)
    expected = decided_at and tiers[decided_at].region_path
    assert await decision_path(event, STEPS[step]) == expected
    assert await acting_path(event, STEPS[step]) == (expected or tiers["grid"].region_path)


async def test_a_step_decided_nowhere_is_allowed_to_no_one(tiers):
    everywhere = Scope(rules={("event", "urge"): TRUE})
    event = event_at(tiers["grid"], tiers["county"])
    assert _allowed(everywhere, "urge", event, None) is False
    assert _allowed(everywhere, "urge", event, tiers["county"].region_path) is True
    assert _allowed(Scope(), "urge", event, tiers["county"].region_path) is False


# a deadline or review date the caller gives must lie after this very moment: (step, how the
# step is called with the moment given, microseconds after it, the refusal expected then)
MOMENTS = [
    ("dispatch", 0, "deadline"),
    ("dispatch", -1, "deadline"),
    ("dispatch", 1, "department"),  # a microsecond on: past the deadline check, to the department's
    ("park", 0, "reviewAt"),
    ("park", 1, "NOT_FOUND"),       # past the check, to the event (there is none)
    ("unpark", 0, "deadline"),
    ("unpark", 1, "NOT_FOUND"),
]


@pytest.mark.parametrize("step, after, refused", MOMENTS, ids=[f"{s}{a:+d}" for s, a, _ in MOMENTS])
async def test_a_deadline_given_must_lie_after_this_moment(app, monkeypatch, step, after, refused):
    from datetime import datetime, timedelta, timezone

    from gridhub.resolvers.domain import workflow
    from gridhub.resolvers.errors import BadInput, NotFound

    moment = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(workflow, "now", lambda: moment)
    given = moment + timedelta(microseconds=after)
    call = {"dispatch": lambda: workflow._dispatch_target(Scope(), None, -1, given),
            "park": lambda: workflow.park_event(Scope(), "county", -1, given, "待政策出台"),
            "unpark": lambda: workflow.unpark_event(Scope(), "county", -1, given)}[step]
    with pytest.raises((BadInput, NotFound)) as answer:
        await call()
    assert (answer.value.code if isinstance(answer.value, NotFound) else answer.value.field) == refused


@pytest.mark.parametrize("granted_at", ["county", "town", "community", "grid"])
async def test_the_tier_acting_is_the_highest_the_caller_may_act_at(tiers, granted_at):
    """A dispatcher granted at a tier dispatches a grid's event as that tier (the event's
    dispatcher region, where returns and extensions go), the county's centre as the county."""
    from gridhub.policies.predicate import StartsWith
    from gridhub.resolvers.domain.workflow import _tier_of

    scope = Scope(rules={("event", "dispatch"): StartsWith("region_path", tiers[granted_at].region_path)})
    assert await _tier_of(scope, "dispatch", event_at(tiers["grid"])) == tiers[granted_at].id


@pytest.mark.parametrize("satisfaction, refused", [(0, "satisfaction"), (1, "NOT_FOUND"), (5, "NOT_FOUND"),
                                                   (6, "satisfaction")])
async def test_satisfaction_is_from_one_to_five(app, satisfaction, refused):
    """Within 1–5 the check passes and the step looks for the event (there is none here)."""
    from gridhub.resolvers.domain import workflow
    from gridhub.resolvers.errors import BadInput, NotFound

    with pytest.raises((BadInput, NotFound)) as answer:
        await workflow.close_event(Scope(), "worker", -1, satisfaction)
    assert (answer.value.code if isinstance(answer.value, NotFound) else answer.value.field) == refused
