"""Announces changes of events to live subscribers (eventChanged), in this process and,
through Redis pub/sub, in every other one. Called after the change is committed."""

from __future__ import annotations

import models


async def announce_event_change(event: models.Event, action: str) -> None:
    """Tell subscribers that `event` changed by `action` (report, accept, …, update, delete)."""
