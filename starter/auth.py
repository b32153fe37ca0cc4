"""Bearer tokens for services and staff, each with a role; compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from models.actors import Actor

bearer = HTTPBearer(auto_error=False, description="an API token from ORDERLY_API_TOKENS")


@dataclass(frozen=True)
class Caller:
    role: str
    token_id: str  # a short fingerprint of the token, safe to log
    party: str = ""  # who a third-party token speaks for: `manufacturer:nordwood` is role manufacturer, party nordwood
    name: str = ""  # the person, for a staff account (`orderly staff add`); "" for a role's token

    @classmethod
    def of(cls, configured_role: str, token_id: str) -> "Caller":
        role, _, party = configured_role.partition(":")
        return cls(role=role, token_id=token_id, party=party)

    @property
    def actor(self) -> Actor:
        """Who acts, as the workflow's rules and timeline know them: a staff account names its person ("warehouse
        (Maria Santos)"); a role's token is named as one ("warehouse (role token)"), as no one person is behind it."""
        return Actor(role=self.role, party=self.party, name=self.name, token=not self.name)


def role_of(tokens: dict[str, str], presented: str) -> str | None:
    role = None
    for token, token_role in tokens.items():  # every token is compared, so timing says nothing about which matched
        if hmac.compare_digest(token.encode(), presented.encode()):
            role = token_role
    return role


TOKEN_REQUIRED = "An API token is required (Authorization: Bearer <token>)"
TOKEN_INVALID = "This API token is not valid"


def token_refusal(tokens: dict[str, str], authorization: str) -> str | None:
    """Why an `Authorization` header does not name a configured token (None when it does)."""
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return TOKEN_REQUIRED
    return None if role_of(tokens, presented.strip()) is not None else TOKEN_INVALID


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def require(*roles: str):
    # async (it does no I/O): FastAPI would run a plain function in its thread pool, a thread hop per request
    async def dependency(request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        if credentials is None:
            raise HTTPException(401, TOKEN_REQUIRED,
                                headers={"WWW-Authenticate": "Bearer"})
        role = role_of(request.app.state.settings.api_tokens, credentials.credentials)
        if role is None:
            raise HTTPException(401, TOKEN_INVALID, headers={"WWW-Authenticate": "Bearer"})
        caller = Caller.of(role, fingerprint(credentials.credentials))
        if caller.role not in roles:
            raise HTTPException(403, f"The {caller.role} role cannot do this; it needs one of: {', '.join(roles)}")
        return caller
    return dependency
