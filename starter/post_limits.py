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

from models.i18n import N_, translate, translate_plural
from models.settings import Settings
from models.validation import mailbox

from .pages import Refusal

# What was counted, as the 429 page names it (`%(email)s`: the customer email a post would write to).
ORDERS_FROM_ADDRESS = N_("orders from your network")
ORDERS_FOR_EMAIL = N_("orders for %(email)s")
FORMS_FROM_ADDRESS = N_("forms from your network")
FORMS_FOR_EMAIL = N_("forms for %(email)s")
ANSWERS_FROM_ADDRESS = N_("answers from your network")
ANSWERS_FOR_EMAIL = N_("answers for this order's email")


class TooManyPosts(Refusal):
    """The 429 page, in the language of the page that was posted (`language`: the form's or the order's)."""

    def __init__(self, retry_after: int, what: str, email: str = "", language: str | None = None) -> None:
        super().__init__(429, N_("Too many requests"), N_(
            "We have received too many %(what)s in a short time, so this one was not sent and nothing was changed. "
            "Please try again in %(wait)s. If you need help now, contact us."),
            headers={"Retry-After": str(retry_after)}, language=language)
        self.what, self.email, self.minutes = what, email, max(1, math.ceil(retry_after / 60))

    def words(self, language: str) -> tuple[str, str]:
        wait = translate_plural(language, "%(num)s minute", "%(num)s minutes", self.minutes)
        what = translate(language, self.what, email=self.email)
        return translate(language, self.heading), translate(language, self.message, what=what, wait=wait)


class PostLimits:
    def __init__(self, settings: Settings) -> None:
        uri = settings.public_posts_storage
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri if uri.startswith("async+") else "async+" + uri))
        self.per_address = parse_many(settings.public_posts_per_address) if settings.public_posts_per_address else []
        self.per_email = parse_many(settings.public_posts_per_email) if settings.public_posts_per_email else []

    async def by_address(self, request: Request, page: str, what: str, language: str | None = None) -> None:
        """Count a post to `page` from this client; refuse it once the client is over a limit (the page that says
        so in `language`, when the post names one)."""
        address = request.client.host if request.client else "unknown"
        await self._count(self.per_address, (page, "address", address), what, "", language)

    async def by_email(self, email: str, page: str, what: str, language: str | None = None) -> None:
        """Count a post that would write to `email`; refuse it once its mailbox is over a limit (however spelt:
        case, `+tag`, an internationalized domain in either form)."""
        if email:
            await self._count(self.per_email, (page, "email", mailbox(email)), what, email, language)

    async def _count(self, items: list[RateLimitItem], key: tuple[str, ...], what: str, email: str,
                     language: str | None) -> None:
        for item in items:
            if not await self.limiter.hit(item, *key):
                stats = await self.limiter.get_window_stats(item, *key)
                raise TooManyPosts(max(1, math.ceil(stats.reset_time - time.time())), what, email, language)


def post_limits(request: Request) -> PostLimits:
    return request.app.state.post_limits
