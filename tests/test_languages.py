"""A whole order in the customer's language, Filipino and English, against the dev server, a worker and the web pages.

Incomplete form, completion page, confirmation, work orders, a delay, the shipping notice, the feedback request and
the survey: every email the customer gets (subject, text, HTML) and every page they open is in the order's language,
with dates as that language writes them; the staff and departments read the company's language.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest

from models.order import Acknowledgement, DelayReport, OrderStatus, Shipment
from starter import orders

from .conftest import distributed, messages_of, sofa_form, wait_for
from .test_web_pages import error_for, hidden, link_in

# Written out here, not taken from Babel: the test says how Filipino writes a date.
FIL_DAYS = ("Lunes", "Martes", "Miyerkules", "Huwebes", "Biyernes", "Sabado", "Linggo")
FIL_MONTHS = ("Enero", "Pebrero", "Marso", "Abril", "Mayo", "Hunyo", "Hulyo", "Agosto", "Setyembre", "Oktubre",
              "Nobyembre", "Disyembre")


def fil_date(d: date) -> str:
    return f"{FIL_DAYS[d.weekday()]}, {FIL_MONTHS[d.month - 1]} {d.day}, {d.year}"


def en_date(d: date) -> str:
    return f"{d:%A}, {d.day} {d:%B %Y}"


WORDS = {
    "fil": {
        "date": fil_date, "lang": 'lang="fil"',
        "incomplete_subject": "Order {id}: may ilang detalye pa po kaming kailangan",
        "problem": "Item 1 (3-seater na sofa): kulang: Tela (isa sa: linen, velvet, leather, wool)",
        "dear": "Magandang araw po, Ada Lovelace,",
        "hold": "Itatabi namin ang order hanggang {date}.",
        "page_heading": "Kumpletuhin ang order {id}", "field_error": "Kulang: Tela (isa sa: linen, velvet, leather, wool)",
        "choice": "olive green",
        "confirmed_subject": "Kumpirmado na ang order {id}: inaasahang handa sa {date}",
        "confirmed": "Kumpirmado na ang order {id} at sinimulan na namin itong ihanda.",
        "line": "- 1 x 3-seater na sofa (SOFA-3S): $1,890.00", "line_option": "Tela: linen",
        "expected": "Petsang inaasahang handa na ang order: {date}",
        "contact": "Kung may mali rito o may tanong po kayo, makipag-ugnayan lang sa amin at aayusin namin:",
        "delay_subject": "Maaantala po ang order {id}: bagong petsa {date}",
        "delay": "Paumanhin po: hindi magiging handa ang inyong order {id} sa {previous} gaya ng aming ipinangako.",
        "new_date": "Bagong petsang inaasahang handa na ang order: {date}",
        "shipped_subject": "Naipadala na ang order {id}",
        "shipped": "Magandang balita po: naipadala na ang inyong order {id}.",
        "carrier": "Courier: LBC", "delivery": "Inaasahang petsa ng delivery: {date}",
        "feedback_subject": "Kumusta po ang order {id}?",
        "feedback": "Na-deliver na po ang inyong order {id}. Kumusta po ang serbisyo namin?",
        "status": "kumpirmado", "status_heading": "Order {id}", "timeline": "Kumpirmado na ang inyong order",
        "survey": "Kumusta po ang serbisyo namin?", "thanks": "Na-record na po ang inyong feedback.",
        # English that must not slip into a Filipino message
        "never": ("Dear ", "Thank you", "Expected", "If anything here is wrong", "missing:", "We will", "Your order",
                  "Monday", "Phone:"),
    },
    "en": {
        "date": en_date, "lang": 'lang="en"',
        "incomplete_subject": "Order {id}: we need a few more details",
        "problem": "Line 1 (Three-seat sofa): missing: Fabric (one of: linen, velvet, leather, wool)",
        "dear": "Dear Ada Lovelace,",
        "hold": "We will hold the order until {date}.",
        "page_heading": "Complete order {id}", "field_error": "Missing: Fabric (one of: linen, velvet, leather, wool)",
        "choice": ">olive<",
        "confirmed_subject": "Order {id} confirmed: expected ready by {date}",
        "confirmed": "Order {id} is confirmed and we have started work on it.",
        "line": "- 1 x Three-seat sofa (SOFA-3S): 1,890.00 USD", "line_option": "Fabric: linen",
        "expected": "Expected fulfillment date: {date}",
        "contact": "If anything here is wrong, or you have a question, contact us and we will put it right:",
        "delay_subject": "Order {id} is delayed: new date {date}",
        "delay": "We are sorry: your order {id} will not be ready by {previous} as we promised.",
        "new_date": "New expected fulfillment date: {date}",
        "shipped_subject": "Order {id} has shipped",
        "shipped": "Good news: your order {id} has shipped.",
        "carrier": "Carrier: LBC", "delivery": "Expected delivery date: {date}",
        "feedback_subject": "How did we do with order {id}?",
        "feedback": "Your order {id} was delivered. How did we do?",
        "status": "confirmed", "status_heading": "Order {id}", "timeline": "Your order is confirmed",
        "survey": "How did we do?", "thanks": "Your feedback is recorded.",
        "never": ("Magandang", "Salamat", "po ", "Kulang", "kulang:", "Inaasahang"),
    },
}
LBC = "https://www.lbcexpress.com/track/?tracking_no={tracking_number}"


@pytest.fixture
def settings(settings):
    """The company's carriers know their tracking links (the Manila example's LBC)."""
    return settings.model_copy(update={"carriers": {"LBC": LBC}})


def customer_reads(mail, words: dict, *expected: str) -> None:
    """The message is the customer's, in their language, with every `expected` line in both its parts."""
    assert mail.recipient == "ada@example.com"
    assert words["lang"] in mail.html
    for text in (mail.text, re.sub(r"<[^>]+>", "", mail.html)):  # the HTML part as it reads
        assert words["dear"] in text
        for line in expected:
            assert line in text, f"{line!r} not in:\n{text}"
        for english in words["never"]:
            assert english not in text.replace(mail.subject, ""), f"{english!r} slipped into:\n{text}"
    assert words["contact"] in mail.text


def staff_read_english(engine, order_id: str, due: date) -> None:
    work_orders = {m.recipient: m for m in messages_of(engine, order_id, "work_order")}
    assert set(work_orders) == {"warehouse@orderly.example", "accounts@orderly.example"}
    for mail in work_orders.values():
        assert mail.subject == f"Work order {order_id}: due {en_date(due)}"
        assert f"Expected fulfillment date: {en_date(due)}" in mail.text
        assert "Three-seat sofa" in mail.text and "Fabric: linen" in mail.text, "the company's words, not the order's"
        assert "3-seater" not in mail.text and "Tela" not in mail.text


@pytest.mark.parametrize("language", ["fil", "en"])
async def test_a_whole_order_in_the_customers_language(language, client, settings, engine, web):
    words, order_id = WORDS[language], f"LANG-{language.upper()}"
    day = words["date"]
    form = sofa_form(order_id=order_id, language=language,
                     lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
    result = await orders.submit_order(client, settings, form)
    assert result.status is OrderStatus.incomplete
    assert result.problems[0].kind == "missing"

    [incomplete] = messages_of(engine, order_id, "form_incomplete")
    view = await orders.order_status(client, order_id)
    assert view.language == language
    hold = view.received_at.date()  # the email names the day the order is held until
    assert incomplete.subject == words["incomplete_subject"].format(id=order_id)
    customer_reads(incomplete, words, words["problem"])
    assert re.search(re.escape(words["hold"]).replace(r"\{date\}", r"\w+, [\w ,]+ 20\d\d"), incomplete.text), hold

    async with httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30) as http:
        form_path = link_in(incomplete.text, f"/orders/{order_id}/form")
        page = await http.get(form_path)
        assert page.status_code == 200 and words["lang"] in page.text
        assert words["page_heading"].format(id=order_id) in page.text
        assert error_for(page.text, "line-0-fabric") == words["field_error"], "the problem next to its field"
        assert words["choice"] in page.text, "the catalog's choices in the customer's language"
        assert hidden(page.text, "language") == language
        fields = {"csrf": hidden(page.text, "csrf"), "language": language, "line-0-sku": "SOFA-3S",
                  "line-0-quantity": "1", "line-0-color": "olive", "line-0-fabric": "linen",
                  "customer.name": "Ada Lovelace", "customer.email": "ada@example.com",
                  "shipping_address.line1": "12 Analytical Row", "shipping_address.city": "Springfield",
                  "shipping_address.postal_code": "62704", "shipping_address.country": "US"}
        done = await http.post(form_path, data=fields)
        assert done.status_code == 303, done.text

        view = await distributed(client, engine, order_id)
        due = view.expected_fulfillment_date
        [confirmation] = messages_of(engine, order_id, "order_confirmation")
        assert confirmation.subject == words["confirmed_subject"].format(id=order_id, date=day(due))
        customer_reads(confirmation, words, words["confirmed"].format(id=order_id).replace(
            f" {order_id} ", f" {order_id} "), words["line_option"], words["expected"].format(date=day(due)))
        assert words["line"] in confirmation.text
        staff_read_english(engine, order_id, due)

        status = await http.get(link_in(confirmation.text, f"/orders/{order_id}"))
        assert words["lang"] in status.text
        assert f'id="status">{words["status"]}</span>' in status.text
        assert words["timeline"] in status.text
        switched = await http.get(link_in(confirmation.text, f"/orders/{order_id}") + "&lang=" +
                                  ("en" if language == "fil" else "fil"))
        assert 'id="status">' + ("confirmed" if language == "fil" else "kumpirmado") in switched.text

        new_date = due + timedelta(days=9)
        await orders.act(client, order_id, "delay", DelayReport(new_date=new_date, reason="Late velvet"))
        await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "delay_notice")))
        [delay] = messages_of(engine, order_id, "delay_notice")
        assert delay.subject == words["delay_subject"].format(id=order_id, date=day(new_date))
        customer_reads(delay, words, words["delay"].format(id=order_id, previous=day(due)).split(f" {order_id}")[0],
                       words["new_date"].format(date=day(new_date)), "Late velvet")
        [change] = [m for m in messages_of(engine, order_id, "work_order_change")
                    if m.recipient == "warehouse@orderly.example"]
        assert change.subject == f"Work order {order_id}: new date {en_date(new_date)}"

        await orders.act(client, order_id, "acknowledge", Acknowledgement(department="warehouse"))
        delivery = view.received_at.date() + timedelta(days=30)
        await orders.act(client, order_id, "ship", Shipment(carrier="LBC", tracking_number="LBC 123456",
                                                            expected_delivery_date=delivery))
        await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "shipping_notice")))
        [shipped] = messages_of(engine, order_id, "shipping_notice")
        assert shipped.subject == words["shipped_subject"].format(id=order_id)
        customer_reads(shipped, words, words["shipped"].format(id=order_id).split(f" {order_id}")[0],
                       words["carrier"], "Tracking number: ", words["delivery"].format(date=day(delivery)))
        assert "https://www.lbcexpress.com/track/?tracking_no=LBC%20123456" in shipped.text, "the carrier's link"
        assert 'href="https://www.lbcexpress.com/track/?tracking_no=LBC%20123456"' in shipped.html

        await orders.act(client, order_id, "deliver")
        await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "feedback_request")))
        [ask] = messages_of(engine, order_id, "feedback_request")
        assert ask.subject == words["feedback_subject"].format(id=order_id)
        customer_reads(ask, words, words["feedback"].format(id=order_id).split(f" {order_id}")[-1])

        survey_path = link_in(ask.text, f"/orders/{order_id}/survey")
        survey = await http.get(survey_path)
        assert words["lang"] in survey.text and words["survey"] in survey.text
        sent = await http.post(survey_path, data={"csrf": hidden(survey.text, "csrf"), "rating": "5",
                                                  "comment": "Ang ganda!"})
        assert sent.status_code == 200 and words["thanks"] in sent.text and words["lang"] in sent.text


async def test_the_shop_says_every_problem_in_filipino_next_to_its_field(web):
    async with httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30) as http:
        page = await http.get("/?lang=fil")
        assert page.status_code == 200 and 'lang="fil"' in page.text and "Mag-order" in page.text
        assert page.cookies.get("orderly_language") == "fil", "the switch is remembered by the browser"
        posted = await http.post("/", data={
            "csrf": hidden(page.text, "csrf"), "language": "fil", "customer.name": "J" * 201,
            "customer.email": "jose@example.ph", "shipping_address.line1": "Kalye\tMabini",
            "shipping_address.city": "Pasig City", "shipping_address.postal_code": "1600",
            "shipping_address.country": "PH", "line-0-sku": "SOFA-3S", "line-0-quantity": "1"})
        assert posted.status_code == 422 and 'lang="fil"' in posted.text
        assert error_for(posted.text, "customer.name") == "Hanggang 200 characters lang po"
        assert error_for(posted.text, "shipping_address.line1").startswith("May control characters")
        fixed = await http.post("/", data={
            "csrf": hidden(page.text, "csrf"), "language": "fil", "customer.name": "Jose Rizal",
            "customer.email": "jose@example.ph", "shipping_address.line1": "45 Kalye Mabini",
            "shipping_address.city": "Pasig City", "shipping_address.postal_code": "1600",
            "shipping_address.country": "PH", "line-0-sku": "SOFA-3S", "line-0-quantity": "1",
            "line-0-fabric": "silk", "line-0-color": "olive"})
        assert error_for(fixed.text, "line-0-fabric") == (
            "Hindi po available ang 'silk'; pumili ng isa sa: linen, velvet, leather, wool")
        assert "Pakitingnan po ang 1 naka-highlight na field sa ibaba." in fixed.text
        english = await http.get("/?lang=en")
        assert 'lang="en"' in english.text and "Place an order" in english.text


# ---- the pages a customer reaches when something cannot be done: in the order's language too ----

async def incomplete_fil_order(client, settings, order_id: str):
    form = sofa_form(order_id=order_id, language="fil",
                     lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
    assert (await orders.submit_order(client, settings, form)).status is OrderStatus.incomplete
    return form


def completion_fields(page: str) -> dict[str, str]:
    return {"csrf": hidden(page, "csrf"), "language": hidden(page, "language"), "line-0-sku": "SOFA-3S",
            "line-0-quantity": "1", "line-0-color": "olive", "line-0-fabric": "linen",
            "customer.name": "Ada Lovelace", "customer.email": "ada@example.com",
            "shipping_address.line1": "12 Analytical Row", "shipping_address.city": "Springfield",
            "shipping_address.postal_code": "62704", "shipping_address.country": "US"}


async def test_a_form_no_longer_open_is_refused_in_the_customers_language(client, settings, engine, web):
    """The form completed from another tab (or by phone) first: the workflow refuses the second in English for
    staff; the customer's page says why in Filipino."""
    from models.order import FormCompletion
    form = await incomplete_fil_order(client, settings, "LANG-FORM-TWICE")
    [incomplete] = messages_of(engine, "LANG-FORM-TWICE", "form_incomplete")
    async with httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30) as http:
        form_path = link_in(incomplete.text, "/orders/LANG-FORM-TWICE/form")
        page = await http.get(form_path)
        fixed = form.model_copy(update={"lines": [form.lines[0].model_copy(
            update={"options": {"color": "olive", "fabric": "velvet"}})]})
        await orders.act(client, "LANG-FORM-TWICE", "complete_form", FormCompletion(form=fixed))  # the other tab
        await wait_for(client, "LANG-FORM-TWICE", lambda v: v.status is OrderStatus.confirmed)
        again = await http.post(form_path, data=completion_fields(page.text))
    assert again.status_code == 409 and 'lang="fil"' in again.text, again.text
    assert "Walang kulang" in again.text
    assert "Ang order LANG-FORM-TWICE ay kumpirmado: kumpleto na o sarado na ang form nito." in again.text
    body = again.text.split("</header>")[1]
    for english in ("no longer open", "That could not be done", "is confirmed", "See your order"):
        assert english not in body, f"{english!r} slipped into:\n{body}"


async def test_a_form_of_a_cancelled_order_is_refused_in_the_customers_language(client, settings, engine, web):
    from models.order import Cancellation
    await incomplete_fil_order(client, settings, "LANG-FORM-CANCELLED")
    [incomplete] = messages_of(engine, "LANG-FORM-CANCELLED", "form_incomplete")
    async with httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30) as http:
        form_path = link_in(incomplete.text, "/orders/LANG-FORM-CANCELLED/form")
        page = await http.get(form_path)
        await orders.act(client, "LANG-FORM-CANCELLED", "cancel", Cancellation(reason="Customer called"))
        await wait_for(client, "LANG-FORM-CANCELLED", lambda v: v.status is OrderStatus.cancelled)
        again = await http.post(form_path, data=completion_fields(page.text))
    assert again.status_code == 409 and 'lang="fil"' in again.text, again.text
    assert "Ang order LANG-FORM-CANCELLED ay kinansela: kumpleto na o sarado na ang form nito." in again.text
    assert "no longer open" not in again.text and "Cannot" not in again.text


async def delivered_fil_order(client, settings, engine, order_id: str) -> str:
    """A delivered `fil` order; the survey link of its feedback request."""
    await orders.submit_order(client, settings, sofa_form(order_id=order_id, language="fil"))
    view = await distributed(client, engine, order_id)
    await orders.act(client, order_id, "ship", Shipment(carrier="LBC", tracking_number="LBC 9",
                                                        expected_delivery_date=view.received_at.date()
                                                        + timedelta(days=30)))
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "feedback_request")))
    return link_in(messages_of(engine, order_id, "feedback_request")[0].text, f"/orders/{order_id}/survey")


async def test_the_survey_says_each_refusal_in_the_customers_language(client, settings, engine, web):
    survey_path = await delivered_fil_order(client, settings, engine, "LANG-SURVEY")
    async with httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30) as http:
        page = await http.get(survey_path)
        fields = {"csrf": hidden(page.text, "csrf"), "language": hidden(page.text, "language")}
        assert fields["language"] == "fil"
        control = await http.post(survey_path, data={**fields, "rating": "4", "comment": "Maganda\x1b[31m po"})
        assert control.status_code == 422 and 'lang="fil"' in control.text
        error = re.search(r'id="survey-error">([^<]*)<', control.text).group(1)
        assert error == "May control characters po ang comment (gaya ng escape); pakitanggal po ang mga ito. " \
                        "Puwede po ang line break.", error
        from models.order import FeedbackEntry
        await orders.act(client, "LANG-SURVEY", "feedback", FeedbackEntry(rating=5))  # by phone, or another tab
        twice = await http.post(survey_path, data={**fields, "rating": "1", "comment": "Ulit"})
    assert twice.status_code == 200 and 'lang="fil"' in twice.text
    body = twice.text.split("</header>")[1]
    assert "Salamat po" in body or "Salamat" in body
    for english in ("already received", "Thank you", "survey takes one answer", "Feedback for order"):
        assert english not in body, f"{english!r} slipped into:\n{body}"


@pytest.mark.parametrize("language", ["fil", "en"])
async def test_the_status_page_timeline_gives_the_delay_reason(language, client, settings, engine, web):
    order_id = f"LANG-DELAY-{language.upper()}"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id, language=language))
    view = await distributed(client, engine, order_id)
    due, new_date = view.expected_fulfillment_date, view.expected_fulfillment_date + timedelta(days=9)
    await orders.act(client, order_id, "delay", DelayReport(new_date=new_date, reason="The velvet arrives late"))
    [confirmation] = messages_of(engine, order_id, "order_confirmation")
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        page = await http.get(link_in(confirmation.text, f"/orders/{order_id}"))
    timeline = page.text.split('id="timeline">')[1]
    expected = {"fil": f"Naantala po ang inyong order; ang bagong petsa ay {fil_date(new_date)} "
                       f"(dati: {fil_date(due)}). Ang dahilan: The velvet arrives late",
                "en": f"Your order is delayed to {en_date(new_date)} (it was expected by {en_date(due)}). "
                      "The reason: The velvet arrives late"}[language]
    assert expected in timeline, timeline
    assert "Delayed to" not in timeline, "the staff's words stay on the staff's pages"


def test_the_timeline_tells_lateness_and_falls_back_for_a_text_it_does_not_know():
    from datetime import datetime, timezone

    from models.order import TimelineEvent
    from starter.customer_words import timeline_text

    def event(text: str) -> TimelineEvent:
        return TimelineEvent(seq=1, at=datetime.now(timezone.utc), kind="status:delayed", text=text)

    late = event("Late: expected by 2026-12-14 and not shipped")
    assert timeline_text(late, "fil") == ("Nahuhuli po ang inyong order: inaasahan itong handa sa "
                                          f"{fil_date(date(2026, 12, 14))} pero hindi pa ito naipapadala. "
                                          "Paumanhin po sa paghihintay.")
    assert timeline_text(late, "en").startswith(f"Your order is running late: it was expected by "
                                                f"{en_date(date(2026, 12, 14))}")
    assert timeline_text(event("Delayed to 2026-12-23 (was 2026-12-14): 50% of the wood: late"), "en") == (
        f"Your order is delayed to {en_date(date(2026, 12, 23))} (it was expected by {en_date(date(2026, 12, 14))})."
        " The reason: 50% of the wood: late")
    assert timeline_text(event("Something else happened"), "fil") == (
        "Naantala ang inyong order: nasa itaas ang bagong petsa")


async def test_a_page_that_is_not_there_says_so_in_the_browsers_language(web):
    async with httpx.AsyncClient(base_url=web, timeout=30, headers={"Accept": "text/html"}) as http:
        missing = await http.get("/orders/W-1/nothing-here?lang=fil")
        assert missing.status_code == 404 and 'lang="fil"' in missing.text, missing.text
        assert "Hindi po makita ang page" in missing.text and "Not Found" not in missing.text
        assert missing.headers["content-security-policy"]
        english = await http.get("/nothing-here?lang=en")
        assert english.status_code == 404 and "Page not found" in english.text
        api = await http.get("/api/nothing-here")
        assert api.status_code == 404 and api.json()["error"]["kind"] == "not_found", "the API answers JSON"
    async with httpx.AsyncClient(base_url=web, timeout=30) as script:
        assert (await script.get("/nothing-here")).json()["error"]["kind"] == "not_found"


async def test_a_server_error_on_a_customer_page_is_a_page_in_the_customers_language(settings):
    from starter.web_app import create_app
    app = create_app(settings, client=None)

    @app.get("/orders/{order_id}/boom")
    async def boom(order_id: str) -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
        page = await http.get("/orders/X/boom?lang=fil", headers={"Accept": "text/html"})
        assert page.status_code == 500 and 'lang="fil"' in page.text
        assert "May nagkaproblema po sa aming panig" in page.text and page.headers["x-frame-options"] == "DENY"
        plain = await http.get("/orders/X/boom")
        assert plain.status_code == 500 and plain.text == "Internal Server Error"
