"""What every server-rendered page shares: templates, the company footer, CSRF tokens and security headers.

CSRF: a double-submit token. Each browser gets a random token in an HttpOnly, SameSite=Strict cookie; every form
carries the same token in a hidden field, and a POST whose field does not match its cookie is refused. A page on
another site can make a browser post, but can neither read the cookie nor guess the token.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from models import i18n
from models.i18n import LANGUAGE_NAMES, LANGUAGES, N_

from .customer_words import timeline_text

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
LANGUAGE_COOKIE = "orderly_language"
CSRF_COOKIE = "orderly_csrf"
CSRF_FIELD = "csrf"
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")  # FastAPI's API explorers load their own scripts
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # customer links carry their token in the query string
    "Cache-Control": "no-store",
}


class Refusal(Exception):
    """Ends a page handler with a page that says what went wrong.

    `heading` and `message` are catalog messages (`N_`), the message with `%(name)s` placeholders filled from
    `values`; they are shown in the page's language (`language`: the order's, when the handler knows it). A text
    that is not in the catalogs (a staff console refusal in the workflow's words) is shown as written."""

    def __init__(self, status: int, heading: str, message: str, link: str = "", link_text: str = "",
                 headers: dict[str, str] | None = None, language: str | None = None,
                 values: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.status, self.heading, self.message = status, heading, message
        self.link, self.link_text, self.headers = link, link_text, headers or {}
        self.language, self.values = language, values or {}

    def words(self, language: str) -> tuple[str, str]:
        """The heading and the message in `language`."""
        return i18n.translate(language, self.heading), i18n.translate(language, self.message, **self.values)


@pass_context
def _page_gettext(context, message: str) -> str:  # noqa: ANN001
    return i18n.translations(context.get("language", "en")).gettext(message)


@pass_context
def _page_ngettext(context, singular: str, plural: str, n: int) -> str:  # noqa: ANN001
    return i18n.translations(context.get("language", "en")).ngettext(singular, plural, n)


# Every page through gettext in the language its context names (`render` sets it): customer pages in the customer's
# language, the staff console in the company's.
templates.env.install_gettext_callables(_page_gettext, _page_ngettext, newstyle=True)
templates.env.globals.update(language_names=LANGUAGE_NAMES, timeline_text=timeline_text)
templates.env.filters.update(
    money=pass_context(lambda c, v, currency="USD": i18n.money(v, currency, c.get("language", "en"))),
    long_date=pass_context(lambda c, v: i18n.long_date(v, c.get("language", "en"))),
    short_date=pass_context(lambda c, v: i18n.short_date(v, c.get("language", "en"))),
    t=pass_context(lambda c, v: i18n.translate(c.get("language", "en"), v) if v else v),
    local_time=pass_context(lambda c, v: local_time(v, c.get("company_timezone", "UTC"))))


def local_time(at: datetime | None, timezone: str) -> str:
    """A moment as the company's clock shows it, its zone named ("2026-12-04 05:15 EST"): customer pages and the
    console show times in the company's time zone, never bare UTC."""
    if at is None:
        return ""
    zone = ZoneInfo(timezone)
    local = (at if at.tzinfo else at.replace(tzinfo=dt_timezone.utc)).astimezone(zone)
    name = local.strftime("%Z")
    return local.strftime("%Y-%m-%d %H:%M ") + (timezone if name[:1] in "+-" or not name else name)


def page_language(request: Request, preferred: str | None = None) -> str:
    """The language of a customer page: the switch's choice (`?lang=`), else the order's (`preferred`), else the
    one this browser chose before (a cookie), else the company's."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    if preferred in LANGUAGES:
        return preferred
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    return remembered if remembered in LANGUAGES else request.app.state.settings.company_language


def language_switch(request: Request, current: str) -> list[dict[str, str]]:
    """The switch on every customer page: this page in each other language (its query, the link token, kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    from urllib.parse import urlencode
    return [{"code": code, "name": LANGUAGE_NAMES[code], "current": code == current,
             "url": f"{request.url.path}?{urlencode([*query, ('lang', code)])}"} for code in LANGUAGES]


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return token


def is_staff_page(request: Request, values: dict[str, Any] | None = None) -> bool:
    return bool((values or {}).get("staff")) or request.url.path.startswith("/staff")


def shown_language(request: Request, preferred: str | None = None, staff: bool = False) -> str:
    """The language a page is rendered in: the staff console's the company's, a customer page's `page_language`."""
    return (i18n.language_of(request.app.state.settings.company_language) if staff
            else page_language(request, preferred))


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    settings = request.app.state.settings
    staff = is_staff_page(request, values)
    language = shown_language(request, values.pop("language", None), staff)
    context = {"company": settings.company_name, "contact": f"{settings.company_email} · {settings.company_phone}",
               "csrf": csrf_token(request), "language": language,
               "company_timezone": settings.company_timezone,
               "languages": [] if staff else language_switch(request, language), **values}
    response = templates.TemplateResponse(request, template, context, status_code=status)
    set_csrf_cookie(request, response)
    if not staff and request.query_params.get("lang") in LANGUAGES:  # remembered for this browser's next pages
        response.set_cookie(LANGUAGE_COOKIE, language, httponly=True, samesite="lax", secure=is_https(request),
                            path="/", max_age=365 * 86400)
    return response


def redirect(request: Request, url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    set_csrf_cookie(request, response)
    return response


def set_csrf_cookie(request: Request, response) -> None:  # noqa: ANN001
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=is_https(request),
                            path="/")


def is_https(request: Request) -> bool:
    return request.app.state.settings.public_url.startswith("https://")


async def posted_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token matches the browser's cookie."""
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE, "")
    field = form.get(CSRF_FIELD, "")
    if not cookie or not isinstance(field, str) or not hmac.compare_digest(cookie.encode(), field.encode()):
        raise Refusal(403, N_("This form has expired"),
                      N_("The page was open too long or came from somewhere else. Go back, reload it and try again."))
    return form


class SecurityHeaders:
    """`nosniff` on every answer, and `SECURITY_HEADERS` on every page (plain ASGI: see `web_metrics.RequestMetrics`)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if scope["path"] not in DOCS_PATHS and headers.get("content-type", "").startswith("text/html"):
                    for name, value in SECURITY_HEADERS.items():
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """The pages' static files, security headers on every page, and Refusal turned into its page."""
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, e: Refusal) -> HTMLResponse:
        heading, message = e.words(shown_language(request, e.language, is_staff_page(request)))
        response = render(request, "refused.html", e.status, heading=heading, message=message, link=e.link,
                          link_text=e.link_text, language=e.language)
        response.headers.update(e.headers)
        return response

    api_http_error = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException):  # noqa: ANN202
        """A browser asking for a page that is not there (or not so) gets a page in its language; the API its JSON."""
        if not wants_page(request) and api_http_error is not None:
            return await api_http_error(request, e)
        heading, message = HTTP_ERRORS.get(e.status_code, HTTP_ERRORS[400])
        staff = is_staff_page(request)
        return await _refusal(request, Refusal(e.status_code, heading, message, link="/staff" if staff else "/",
                                               link_text=N_("Orders") if staff else N_("Go to the shop"),
                                               headers=dict(e.headers or {})))

    api_invalid = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):  # noqa: ANN202
        """A page's query parameter that cannot be taken (`?q=` with an invisible character, too long): a page."""
        if not wants_page(request) and api_invalid is not None:
            return await api_invalid(request, e)
        heading, message = HTTP_ERRORS[400]
        staff = is_staff_page(request)
        return await _refusal(request, Refusal(422, heading, message, link="/staff" if staff else "/",
                                               link_text=N_("Orders") if staff else N_("Go to the shop")))

    @app.exception_handler(Exception)
    async def _server_error(request: Request, e: Exception):  # noqa: ANN202
        """A bug: the browser gets a page in its language (the error is still logged); anything else the plain 500."""
        if not wants_page(request):
            return PlainTextResponse("Internal Server Error", status_code=500)
        response = await _refusal(request, Refusal(500, N_("Something went wrong on our side"), N_(
            "We could not show this page just now. Please try again in a moment; if it happens again, contact us.")))
        for name, value in SECURITY_HEADERS.items():  # (outside the middleware that adds them to other pages)
            response.headers.setdefault(name, value)
        return response


HTTP_ERRORS = {
    404: (N_("Page not found"), N_("There is no page at this address. Check the link in your email, or go to the "
                                  "shop.")),
    405: (N_("Page not found"), N_("There is no page at this address. Check the link in your email, or go to the "
                                  "shop.")),
    413: (N_("That was too much to send"), N_("What you sent is larger than we accept, so nothing was read or "
                                             "changed. Please shorten it and try again.")),
    400: (N_("That could not be done"), N_("The request could not be read. Go back, reload the page and try "
                                          "again.")),
}


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, its explorers or the health endpoints)."""
    path = request.url.path
    return ("text/html" in request.headers.get("accept", "") and not path.startswith(("/api", "/static"))
            and path not in DOCS_PATHS)
