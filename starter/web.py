"""The customer's pages: the order form, the order status, the form-completion page and the survey.

The order form is open to anyone; every other page is reached through a signed link from the customer's emails,
bound to one order and one purpose, that expires. A tampered, expired or other-order link is refused with a page
saying so. The pages use the same validator and the same workflow updates as the API.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from models.actors import Actor
from models.i18n import LANGUAGES, N_, translate
from models.links import LinkError, sign, verify
from models.work_queues import survey_sent
from models.order import (ActionResult, Channel, CustomerRequest, FeedbackEntry, FormCompletion, OrderForm, OrderStatus,
                          OrderView)

from . import orders
from .order_form import blank_page, page_for, read_post
from .orders import OrderError
from .pages import CSRF_COOKIE, Refusal, page_language, posted_form, redirect, render
from .post_limits import (ANSWERS_FOR_EMAIL, ANSWERS_FROM_ADDRESS, FORMS_FOR_EMAIL, FORMS_FROM_ADDRESS,
                          ORDERS_FOR_EMAIL, ORDERS_FROM_ADDRESS, post_limits)

CUSTOMER_EVENTS = ("received", "status:", "accepted", "form_completed", "shipment_corrected", "feedback",
                   "customer_request", "request_resolved", "amended", "payment", "refund")


def check_link(request: Request, order_id: str, token: str, purpose: str) -> None:
    settings = request.app.state.settings
    try:
        verify(settings.secret_key.get_secret_value(), token, order_id, purpose, settings.link_max_age.total_seconds())
    except LinkError as e:
        raise Refusal(403, N_("This link cannot be used"), e.message) from e


async def linked_post(request: Request, order_id: str, token: str, purpose: str, page: str, what: str) -> FormData:
    """A form POSTed from one of the customer's signed pages: the link checked, the CSRF token matched and the
    sender's address within its limit for `page` (`what`: the limit's words); the form's fields."""
    check_link(request, order_id, token, purpose)
    data = await posted_form(request)
    await post_limits(request).by_address(request, page, what, posted_language(data))
    return data


def link(request: Request, order_id: str, purpose: str) -> str:
    """A signed link to one of the order's pages, relative to this site."""
    token = sign(request.app.state.settings.secret_key.get_secret_value(), order_id, purpose)
    suffix = "" if purpose == "status" else f"/{purpose}"
    return f"/orders/{order_id}{suffix}?t={token}"


async def load(request: Request, order_id: str) -> OrderView:
    try:
        return await orders.order_status(request.app.state.client, order_id)
    except OrderError as e:
        raise as_refusal(e) from e


def as_refusal(e: OrderError, language: str | None = None) -> Refusal:
    """The page for an order that cannot be read or acted on. A refusal comes in the workflow's words for staff
    (`workflows/rules.py`): the staff console shows it as it is; customer pages say why in the customer's language
    instead (`customer_refusal`)."""
    if e.kind == "not_found":
        return Refusal(404, N_("Order not found"), N_("We could not find this order."), language=language)
    if e.kind == "unavailable":
        return Refusal(503, N_("Please try again in a moment"),
                       N_("Our order system is busy right now; nothing was lost."), language=language)
    return Refusal(409, N_("That could not be done"), e.message, language=language)


def customer_refusal(e: OrderError, message: str, language: str | None, link: str = "",
                     **values: object) -> Refusal:
    """`as_refusal` for a customer page: a refused or invalid action is told by `message` (a catalog message, its
    placeholders from `values`), never in the workflow's English words."""
    if e.kind in ("not_found", "unavailable"):
        return as_refusal(e, language)
    return Refusal(409, N_("That could not be done"), message, link=link,
                   link_text=N_("See your order") if link else "", language=language, values=values)


def web_order_id(request: Request, form: OrderForm) -> str | None:
    """The order number of a form placed from this browser: the same order placed twice (a double click, or Back and
    Place order again) is one order; a different one is a new order."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie:
        return None
    content = form.model_dump_json(exclude={"order_id"})
    return "W-" + hashlib.sha256(f"{cookie}:{content}".encode()).hexdigest()[:12].upper()


async def place(request: Request, form: OrderForm, customer: bool = False) -> ActionResult:
    """Start the order a web form describes (the shop's, `customer`, or the console's phone order); it answers
    settled."""
    form.order_id = web_order_id(request, form)
    try:
        result = await orders.submit_order(request.app.state.client, request.app.state.settings, form)
    except OrderError as e:
        raise (customer_refusal(e, N_("Your order could not be placed as it is, and nothing was ordered. Please "
                                      "check the form and try again, or contact us."), form.language)
               if customer else as_refusal(e)) from e
    return result


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def order_form(request: Request, form, status: int = 200, **values) -> HTMLResponse:  # noqa: ANN001
        return render(request, "order_form.html", status, form=form, catalog=request.app.state.catalog, **values)

    @pages.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    async def new_order(request: Request) -> HTMLResponse:
        country = request.app.state.settings.company_holidays_country or "US"
        return order_form(request, blank_page(request.app.state.catalog, country), heading=N_("Place an order"),
                          action="/", submit_label=N_("Place order"))

    @pages.post("/", response_class=HTMLResponse)
    async def place_order(request: Request) -> Response:
        data = await posted_form(request)
        await post_limits(request).by_address(request, "order", ORDERS_FROM_ADDRESS, posted_language(data))
        form, page = read_post(data, request.app.state.catalog, Channel.web, request.app.state.settings)
        if form is None:
            return order_form(request, page, 422, heading=N_("Place an order"), action="/",
                              submit_label=N_("Place order"), language=page.values.get("language"))
        await post_limits(request).by_email(form.customer.email, "order", ORDERS_FOR_EMAIL, form.language)
        result = await place(request, form, customer=True)
        return redirect(request, link(request, result.order_id, "status")
                        + ("&again=1" if result.duplicate else "&placed=1"))

    @pages.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @pages.get("/orders/{order_id}", response_class=HTMLResponse)
    async def order_status_page(order_id: str, request: Request, t: str = "", placed: str = "",
                                again: str = "", sent: str = "") -> HTMLResponse:
        check_link(request, order_id, t, "status")
        view = await load(request, order_id)
        catalog = request.app.state.catalog
        timeline = [e for e in view.timeline if e.kind.startswith(CUSTOMER_EVENTS)]
        survey_open = view.status is OrderStatus.delivered and view.feedback is None and survey_sent(view)
        lines = [catalog.localized_line(line, page_language(request, view.language)) for line in view.lines]
        tracking = request.app.state.settings.tracking_link
        return render(request, "status.html", order=view, timeline=timeline, placed=bool(placed), again=bool(again),
                      language=view.language, lines=lines, line_names={i: line.name for i, line in enumerate(lines)},
                      tracking_urls={s.number: s.tracking_url or tracking(s.carrier, s.tracking_number)
                                     for s in view.shipments},
                      form_url=link(request, order_id, "form") if view.status is OrderStatus.incomplete else None,
                      survey_url=link(request, order_id, "survey") if survey_open else None,
                      tell_us_url=None if view.status in CLOSED else f"/orders/{order_id}/requests?t={t}",
                      request_key=secrets.token_urlsafe(16), sent=bool(sent))

    async def completion_page(request: Request, order_id: str, t: str, page=None, status: int = 200):  # noqa: ANN001, ANN202
        view = await load(request, order_id)
        lang = page_language(request, page.values.get("language") if page else view.language)
        if view.status is OrderStatus.received:  # (the workflow is still checking the form it started with)
            return render(request, "message.html", 409, heading=N_("Please try again in a moment"), language=lang,
                          message=translate(lang, "We are still checking order %(id)s. Please try again in a "
                                            "moment.", id=order_id),
                          link=link(request, order_id, "status"), link_text=N_("See your order"))
        if view.status is not OrderStatus.incomplete:
            return render(request, "message.html", 200 if status == 200 else 409, heading=N_("Nothing is missing"),
                          language=lang,
                          message=translate(lang, "Order %(id)s is %(status)s: its form is complete or closed.",
                                          id=order_id, status=translate(lang, view.status.value)),
                          link=link(request, order_id, "status"), link_text=N_("See your order"))
        if page is None:
            form = await orders.submitted_form(request.app.state.client, order_id)
            page = page_for(form, view.problems, request.app.state.catalog)
        return render(request, "order_form.html", status, form=page, catalog=request.app.state.catalog,
                      heading=translate(lang, "Complete order %(id)s", id=order_id), language=lang,
                      action=f"/orders/{order_id}/form?t={t}", submit_label=N_("Send the missing details"),
                      fixed_lines=True)

    @pages.get("/orders/{order_id}/form", response_class=HTMLResponse)
    async def completion_form(order_id: str, request: Request, t: str = "") -> HTMLResponse:
        check_link(request, order_id, t, "form")
        return await completion_page(request, order_id, t)

    @pages.post("/orders/{order_id}/form", response_class=HTMLResponse)
    async def complete_form(order_id: str, request: Request, t: str = "") -> Response:
        data = await linked_post(request, order_id, t, "form", "form", FORMS_FROM_ADDRESS)
        view = await load(request, order_id)
        form, page = read_post(data, request.app.state.catalog, view.channel, request.app.state.settings)
        if form is None:
            return await completion_page(request, order_id, t, page, 422)
        await post_limits(request).by_email(form.customer.email, "form", FORMS_FOR_EMAIL, form.language)
        try:  # answered once the order is settled: accepted, or still incomplete
            await orders.act(request.app.state.client, order_id, "complete_form", FormCompletion(form=form),
                             actor=Actor.customer())
        except OrderError as e:
            if e.kind in ("not_found", "unavailable"):
                raise as_refusal(e, form.language) from e
            view = await load(request, order_id)  # why, from the order as it is now, in the customer's words
            if view.status is not OrderStatus.incomplete:
                return await completion_page(request, order_id, t, page, 409)
            raise customer_refusal(e, N_("Order %(id)s could not take these details just now, and nothing was "
                                         "changed. See your order for where it stands, or contact us."),
                                   page_language(request, form.language), link(request, order_id, "status"),
                                   id=order_id) from e
        return redirect(request, link(request, order_id, "status") + "&placed=1")

    def survey(request: Request, view: OrderView, t: str, status: int = 200, **values) -> HTMLResponse:  # noqa: ANN003
        lang = page_language(request, view.language)
        if view.feedback is not None:
            return render(request, "message.html", heading=N_("Thank you"), language=lang,
                          message=N_("We have your feedback for this order; the survey takes one answer per order."),
                          link=link(request, view.order_id, "status"), link_text=N_("See your order"))
        if view.feedback_call is not None and not survey_sent(view):  # the call task replaces the survey
            return render(request, "message.html", 409, heading=N_("We will call you"), language=lang,
                          message=translate(lang, "Customer service will call you about order %(id)s to ask how it "
                                            "went; there is no online survey for it.", id=view.order_id),
                          link=link(request, view.order_id, "status"), link_text=N_("See your order"))
        if view.status is not OrderStatus.delivered or not survey_sent(view):
            return render(request, "message.html", 409, heading=N_("The survey is not open"), language=lang,
                          message=translate(lang, "Order %(id)s is %(status)s: the survey is for delivered orders that "
                                            "have not been rated yet.", id=view.order_id,
                                            status=translate(lang, view.status.value)))
        return render(request, "survey.html", status, order=view, action=f"/orders/{view.order_id}/survey?t={t}",
                      language=lang,
                      values=values.get("values", {}), error=values.get("error"))

    @pages.get("/orders/{order_id}/survey", response_class=HTMLResponse)
    async def survey_page(order_id: str, request: Request, t: str = "") -> HTMLResponse:
        check_link(request, order_id, t, "survey")
        return survey(request, await load(request, order_id), t)

    @pages.post("/orders/{order_id}/survey", response_class=HTMLResponse)
    async def send_survey(order_id: str, request: Request, t: str = "") -> HTMLResponse:
        data = await linked_post(request, order_id, t, "survey", "survey", ANSWERS_FROM_ADDRESS)
        values = {k: str(v) for k, v in data.items() if k in ("rating", "comment")}
        view = await load(request, order_id)
        if view.feedback is None and not survey_sent(view):
            return survey(request, view, t)  # no survey was sent for this order: the page says why
        try:
            entry = FeedbackEntry.model_validate_strings({"rating": values.get("rating") or "0",
                                                          "comment": values.get("comment", "")})
        except ValidationError as e:
            problems = {str(err["loc"][0]): err["msg"] for err in e.errors()}
            lang = page_language(request, view.language)
            error = (translate(lang, "Choose a rating from 1 to 5.") if "rating" in problems
                     else translate(lang, "The comment contains control characters (such as escapes); please "
                                    "remove them. Line breaks are fine.") if "control" in problems["comment"]
                     else translate(lang, "Please keep the comment under 2000 characters."))
            return survey(request, view, t, 422, values=values, error=error)
        await post_limits(request).by_email(view.customer.email, "survey", ANSWERS_FOR_EMAIL, view.language)
        try:
            await orders.act(request.app.state.client, order_id, "feedback", entry, actor=Actor.customer())
        except OrderError as e:
            if e.kind in ("not_found", "unavailable"):  # not a closed survey: nothing was recorded, try again
                raise as_refusal(e, view.language) from e
            view = await load(request, order_id)
            if view.feedback is not None:  # answered before (another tab, or Back and Send again)
                return survey(request, view, t)
            return render(request, "message.html", 409, heading=N_("Your answer was not recorded"),
                          message=N_("The survey for this order is closed. Thank you all the same."),
                          link=link(request, order_id, "status"), link_text=N_("See your order"),
                          language=view.language)
        return render(request, "message.html", heading=N_("Thank you"),
                      message=N_("Your feedback is recorded. It helps us do better."),
                      link=link(request, order_id, "status"), link_text=N_("See your order"), language=view.language)

    @pages.post("/orders/{order_id}/requests", response_class=HTMLResponse)
    async def send_request(order_id: str, request: Request, t: str = "") -> Response:
        """"Something wrong? Tell us": the customer's words reach customer service as a task (and an email). The
        page's one-time key makes a post sent twice (the back button, a retry) one request; the answer is a redirect
        to the status page (post, redirect, get), so reloading it sends nothing."""
        data = await linked_post(request, order_id, t, "status", "request", ANSWERS_FROM_ADDRESS)
        view = await load(request, order_id)
        back = dict(link=link(request, order_id, "status"), link_text=N_("See your order"), language=view.language)
        try:
            key = str(data.get("request_key", ""))[:64]
            entry = CustomerRequest.model_validate_strings({"message": str(data.get("message", ""))}
                                                           | ({"idempotency_key": key} if key else {}))
        except ValidationError:
            return render(request, "message.html", 422, heading=N_("Your message was not sent"),
                          message=N_("Please tell us in a few words what is wrong: up to 2000 characters, without "
                                     "control characters."), **back)
        await post_limits(request).by_email(view.customer.email, "request", ANSWERS_FOR_EMAIL, view.language)
        try:
            await orders.act(request.app.state.client, order_id, "request", entry, actor=Actor.customer())
        except OrderError as e:
            if e.kind in ("not_found", "unavailable"):  # nothing was recorded: try again
                raise as_refusal(e, view.language) from e
            return render(request, "message.html", 409, heading=N_("Your message was not sent"),
                          message=N_("This order cannot take messages now; please email or call us instead."), **back)
        return RedirectResponse(f"{link(request, order_id, 'status')}&sent=1#tell-us", status_code=303)

    return pages


CLOSED = (OrderStatus.cancelled, OrderStatus.expired, OrderStatus.completed, OrderStatus.terminated)


def posted_language(data) -> str | None:  # noqa: ANN001
    """The language a posted page was in (its hidden `language` field), for a page that answers before reading it."""
    value = data.get("language")
    return value if isinstance(value, str) and value in LANGUAGES else None
