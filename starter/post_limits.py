"""How often the public pages may be posted: the shop's order form, the form-completion page and the survey.

Each of those posts can make Orderly write to the address typed into it, and anyone can send them. So every post is
counted per client address, and a post that would start or change an order is also counted per customer email; a
post over a limit gets a 429 page with `Retry-After` and does nothing (no order started, no message sent). The
limits are settings (`ORDERLY_PUBLIC_POSTS_PER_ADDRESS`, `..._PER_EMAIL`, in the `limits` library's notation, e.g.
`10/minute;50/hour`), counted in a moving window by the `limits` library in `ORDERLY_PUBLIC_POSTS_STORAGE` (memory
for one web server, Redis to share the counts between several). The staff console and the API, which need a
token, are not limited here.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from models.settings import Settings

from .pages import Refusal


class TooManyPosts(Refusal):
    def __init__(self, retry_after: int, what: str) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(429, "Too many requests", f"We have received too many {what} in a short time, so this one "
                         f"was not sent and nothing was changed. Please try again in {minutes} minute"
                         f"{'s' if minutes != 1 else ''}. If you need help now, contact us.",
                         headers={"Retry-After": str(retry_after)})


class PostLimits:
    def __init__(self, settings: Settings) -> None:
        uri = settings.public_posts_storage
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri if uri.startswith("async+") else "async+" + uri))
        self.per_address = parse_many(settings.public_posts_per_address) if settings.public_posts_per_address else []
        self.per_email = parse_many(settings.public_posts_per_email) if settings.public_posts_per_email else []

    async def by_address(self, request: Request, page: str, what: str) -> None:
        """Count a post to `page` from this client; refuse it once the client is over a limit."""
        address = request.client.host if request.client else "unknown"
        await self._count(self.per_address, (page, "address", address), what)

    async def by_email(self, email: str, page: str, what: str) -> None:
        """Count a post that would write to `email`; refuse it once that address is over a limit."""
        if email:
            await self._count(self.per_email, (page, "email", email.strip().lower()), what)

    async def _count(self, items: list[RateLimitItem], key: tuple[str, ...], what: str) -> None:
        for item in items:
            if not await self.limiter.hit(item, *key):
                stats = await self.limiter.get_window_stats(item, *key)
                raise TooManyPosts(max(1, math.ceil(stats.reset_time - time.time())), what)


def post_limits(request: Request) -> PostLimits:
    return request.app.state.post_limits
