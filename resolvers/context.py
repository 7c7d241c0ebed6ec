"""What one request carries: the caller's scope and its loaders, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policies.scope import Scope
from settings import Settings

from .loaders import Loaders


@dataclass
class RequestContext:
    scope: Scope
    settings: Settings
    loaders: Loaders = field(init=False)
    request: Any = None
    response: Any = None
    user: Any = None

    def __post_init__(self):
        self.loaders = Loaders(self.scope)
