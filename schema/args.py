"""Arguments that recur across the root fields, each described once (`arg` makes the others)."""

from datetime import date
from typing import Annotated, Any, Optional

import strawberry
from strawberry.relay import GlobalID


def arg(typ: Any, description: str) -> Any:
    """`typ` as a described GraphQL argument."""
    return Annotated[typ, strawberry.argument(description=description)]


Version = arg(int, "The version you read: CONFLICT, and nothing changes, if the row has changed since.")
OptionalVersion = arg(Optional[int], "The version you read, if you want the change refused (CONFLICT) should "
                                     "the row have changed since; omitted, the latest version is taken.")
EventId = arg(GlobalID, "The event's global id.")
Note = arg(str, "A note kept with the step in the event's log; empty if omitted.")
DryRun = arg(bool, "Only count what would change, change nothing (the result says so).")
StartedOn = arg(date, "The first day, inclusive.")
EndedOn = arg(date, "The last day, inclusive; not before the start.")
Current = arg(bool, "Only those current today (started, not ended before today); false for the whole history.")
Username = arg(str, "A user's username (the sign-in name).")
Role = arg(str, "A role name of the policy, such as `grid_worker`, `county_centre` or `dept.public_security`.")
