"""What every server-rendered page shares: templates, the company footer, CSRF tokens and security headers.

CSRF: a double-submit token. Each browser gets a random token in an HttpOnly, SameSite=Strict cookie; every form
carries the same token in a hidden field, and a POST whose field does not match its cookie is refused. A page on
another site can make a browser post, but can neither read the cookie nor guess the token.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
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
    """Ends a page handler with a page that says what went wrong."""

    def __init__(self, status: int, heading: str, message: str, link: str = "", link_text: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.heading, self.message = status, heading, message
        self.link, self.link_text, self.headers = link, link_text, headers or {}


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return token


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    settings = request.app.state.settings
    context = {"company": settings.company_name, "contact": f"{settings.company_email} · {settings.company_phone}",
               "csrf": csrf_token(request), **values}
    response = templates.TemplateResponse(request, template, context, status_code=status)
    set_csrf_cookie(request, response)
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
        raise Refusal(403, "This form has expired",
                      "The page was open too long or came from somewhere else. Go back, reload it and try again.")
    return form


def install(app: FastAPI) -> None:
    """The pages' static files, security headers on every page, and Refusal turned into its page."""
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path not in DOCS_PATHS and response.headers.get("content-type", "").startswith("text/html"):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, e: Refusal) -> HTMLResponse:
        response = render(request, "refused.html", e.status, heading=e.heading, message=e.message, link=e.link,
                          link_text=e.link_text)
        response.headers.update(e.headers)
        return response
