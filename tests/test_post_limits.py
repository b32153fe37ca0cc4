"""Issue 15, section 4: the public shop is not a mail cannon.

The shop's order form (and the completion and survey pages) are limited per client address and per customer email
(settings `ORDERLY_PUBLIC_POSTS_PER_ADDRESS` / `..._PER_EMAIL`): a flood from one address is answered 429 with
`Retry-After` after the limit, and a refused post starts no workflow and sends no email. The staff console and the
API (both need a token) are not limited. Real HTTP against the web app, the dev Temporal server and a worker.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models.links import sign
from models.settings import Settings
from starter import orders
from store.message_log import list_messages
from store.read_model import list_orders

from .conftest import sofa_form
from .test_bad_input import auth
from .test_web_pages import CUSTOMER, hidden, staff_session

PER_ADDRESS, PER_EMAIL = 3, 2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_posts_per_address": f"{PER_ADDRESS}/minute",
                                       "public_posts_per_email": f"{PER_EMAIL}/hour"})


def order_post(page: str, n: int, email: str | None = None) -> dict[str, str]:
    return {"csrf": hidden(page, "csrf") if page else "", **CUSTOMER, "customer.name": f"Shopper {n}",
            "customer.email": email or f"shopper{n}@example.com", "line-4-sku": "CUSHION", "line-4-quantity": "1",
            "line-4-color": "sand"}


async def started_workflows(client, settings: Settings) -> int:
    return (await client.count_workflows(f'TaskQueue="{settings.task_queue}"')).count


async def settled(client, settings: Settings, expected: int) -> int:
    """The number of order workflows on the test's task queue, once visibility has caught up with `expected`."""
    for _ in range(50):
        if (count := await started_workflows(client, settings)) >= expected:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # anything refused would have shown up by now
    return await started_workflows(client, settings)


async def test_a_flood_from_one_address_is_refused_after_the_limit_and_sends_nothing(web, client, settings, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
        page = (await shop.get("/")).text
        answers = [await shop.post("/", data=order_post(page, n)) for n in range(PER_ADDRESS + 5)]
    assert [a.status_code for a in answers] == [303] * PER_ADDRESS + [429] * 5
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.text and "nothing was changed" in refused.text
    assert await settled(client, settings, PER_ADDRESS) == PER_ADDRESS, "a refused post starts no workflow"
    emails = {m.recipient for m in list_messages(engine) if m.kind == "order_confirmation"}
    assert emails == {f"shopper{n}@example.com" for n in range(PER_ADDRESS)}, "a refused post sends nothing"
    assert len(list_orders(engine)) == PER_ADDRESS


async def test_one_customer_email_is_limited_across_browsers(web, client, settings, engine):
    answers = []
    for n in range(PER_EMAIL + 2):  # a new browser each time, as a script rotating cookies would be
        async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
            page = (await shop.get("/")).text
            answers.append(await shop.post("/", data=order_post(page, n, email="victim@example.com")))
    assert [a.status_code for a in answers] == [303] * PER_EMAIL + [429] * 2
    assert "orders for victim@example.com" in answers[PER_EMAIL].text and answers[PER_EMAIL].headers["Retry-After"]
    assert await settled(client, settings, PER_EMAIL) == PER_EMAIL
    sent = [m for m in list_messages(engine) if m.recipient == "victim@example.com"]
    assert len([m for m in sent if m.kind == "order_confirmation"]) == PER_EMAIL


async def test_a_form_with_mistakes_is_counted_but_shown_again(web, client, settings):
    async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
        page = (await shop.get("/")).text
        answers = [await shop.post("/", data={**order_post(page, n), "customer.email": "not-an-email"})
                   for n in range(PER_ADDRESS + 1)]
    assert [a.status_code for a in answers] == [422] * PER_ADDRESS + [429]
    assert await settled(client, settings, 0) == 0


async def test_the_survey_and_completion_pages_are_limited_too(web, client, settings):
    await orders.submit_order(client, settings, sofa_form(order_id="LIMIT-PAGES"))
    secret = settings.secret_key.get_secret_value()
    async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
        for purpose, fields in (("survey", {"rating": "5", "comment": "great"}), ("form", order_post("", 0))):
            path = f"/orders/LIMIT-PAGES/{purpose}?t={sign(secret, 'LIMIT-PAGES', purpose)}"
            page = (await shop.get("/")).text
            answers = [await shop.post(path, data={**fields, "csrf": hidden(page, "csrf")})
                       for _ in range(PER_ADDRESS + 1)]
            assert [a.status_code for a in answers][-1] == 429, (purpose, [a.status_code for a in answers])
            assert 429 not in [a.status_code for a in answers][:PER_EMAIL], purpose  # the order's email: 2 an hour
            assert answers[-1].headers["Retry-After"]
    view = await orders.order_status(client, "LIMIT-PAGES")
    assert view.feedback is None


async def test_the_staff_console_and_the_api_are_not_limited(web, client, settings, engine):
    console = await staff_session(web, "token-customer-service")
    try:
        for n in range(PER_ADDRESS + 2):
            new = await console.get("/staff/orders/new")
            created = await console.post("/staff/orders/new", data={**order_post(new.text, n),
                                                                      "customer.email": "same@example.com"})
            assert created.status_code == 303, created.text[:2000]
    finally:
        await console.aclose()
    async with httpx.AsyncClient(base_url=web, timeout=30) as api:
        for n in range(PER_ADDRESS + 2):
            body = sofa_form(order_id=f"API-FLOOD-{n}").model_dump(mode="json", exclude_none=True)
            response = await api.post("/api/orders", json=body, headers=auth("service"))
            assert response.status_code == 201, response.text
    assert await settled(client, settings, 2 * (PER_ADDRESS + 2)) == 2 * (PER_ADDRESS + 2)


def test_limits_are_checked_settings():
    assert Settings(_env_file=None).public_posts_per_address == "10/minute;60/hour"
    with pytest.raises(ValueError):
        Settings(_env_file=None, public_posts_per_email="lots")
    assert Settings(_env_file=None, public_posts_per_email="").public_posts_per_email == ""


async def test_the_429_page_is_in_the_language_of_the_page_posted(web, client, settings, engine):
    """A Filipino shop page, and a Filipino order's survey, are refused in Filipino; the wait in Filipino too."""
    async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
        page = (await shop.get("/?lang=fil")).text
        answers = [await shop.post("/", data={**order_post(page, n), "language": "fil"})
                   for n in range(PER_ADDRESS + 1)]
    refused = answers[-1]
    assert refused.status_code == 429 and 'lang="fil"' in refused.text and refused.headers["Retry-After"]
    body = refused.text.split("</header>")[1]
    assert "Masyado pong maraming request" in body
    assert "Masyado pong maraming order mula sa inyong network ang natanggap namin" in body
    assert "Pakisubukan po ulit pagkalipas ng 1 minuto." in body
    for english in ("Too many", "We have received", "minute", "from your network"):
        assert english not in body, f"{english!r} slipped into:\n{body}"

    await orders.submit_order(client, settings, sofa_form(order_id="LIMIT-FIL", language="fil"))
    path = f"/orders/LIMIT-FIL/survey?t={sign(settings.secret_key.get_secret_value(), 'LIMIT-FIL', 'survey')}"
    async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
        fields = {"csrf": hidden((await shop.get("/")).text, "csrf"), "language": "fil", "rating": "5"}
        answers = [await shop.post(path, data=fields) for _ in range(PER_ADDRESS + 1)]
    assert answers[-1].status_code == 429 and 'lang="fil"' in answers[-1].text
    assert "sagot mula sa inyong network" in answers[-1].text


async def test_the_429_page_for_one_email_names_it_in_the_forms_language(web, client, settings):
    answers = []
    for n in range(PER_EMAIL + 1):  # one email across browsers
        async with httpx.AsyncClient(base_url=web, timeout=30) as shop:
            page = (await shop.get("/")).text
            answers.append(await shop.post("/", data={**order_post(page, n, email="juan@example.ph"),
                                                      "language": "fil"}))
    assert [a.status_code for a in answers] == [303] * PER_EMAIL + [429]
    assert 'lang="fil"' in answers[-1].text and "order para sa juan@example.ph" in answers[-1].text
