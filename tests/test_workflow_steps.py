"""Where each step of the workflow is decided (resolvers/workflow.py `decision_path`, the
table in its docstring) as units over the demo's regions: an event in memory, never saved,
at the demo's grid, handled and dispatched by the tiers above it. test_workflow.py and
test_corrections.py show the steps over HTTP as the demo's users."""

from __future__ import annotations

import pytest

from gridhub import models
from gridhub.policies.predicate import TRUE
from gridhub.policies.scope import Scope
from gridhub.resolvers.workflow import STEPS, _allowed, acting_path, decision_path


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
