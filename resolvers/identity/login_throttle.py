"""Failed sign-ins, counted per username and per client IP: past either limit `login`
answers RATE_LIMITED without looking at the password, so guessing costs the guesser time
and never confirms a guess.

A success forgets the username's failures, not the IP's: otherwise a guesser holding one
account of its own could clear its address's count between rounds of guesses at others."""

from __future__ import annotations

import hashlib

from gridhub.settings import Settings

from gridhub.resolvers.errors import RateLimited
from gridhub.resolvers.identity.rate_limit import Counters, SlidingWindow


def _who(username: str) -> str:
    """A username as a counter key: long ones (anything may be sent) by their digest."""
    return username if len(username) <= 64 else hashlib.sha256(username.encode()).hexdigest()


class LoginThrottle:
    def __init__(self, counters: Counters, settings: Settings):
        seconds = settings.login_failure_window_seconds
        self.by_user = SlidingWindow(counters, "login-user", settings.login_failures_per_user, seconds)
        self.by_ip = SlidingWindow(counters, "login-ip", settings.login_failures_per_ip, seconds)

    async def check(self, username: str, client_ip: str | None) -> None:
        """Raise RateLimited if this username or this address has failed too often."""
        verdicts = [await self.by_user.check(_who(username))]
        if client_ip:
            verdicts.append(await self.by_ip.check(client_ip))
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            wait = max(v.retry_after for v in refused)
            raise RateLimited(f"too many failed sign-ins; try again in {wait} s", retry_after=wait)

    async def failed(self, username: str, client_ip: str | None) -> None:
        await self.by_user.add(_who(username))
        if client_ip:
            await self.by_ip.add(client_ip)

    async def succeeded(self, username: str) -> None:
        await self.by_user.forget(_who(username))
