"""Staff accounts: who signs in to the console, in which role, and an argon2 hash of their password.

The password itself is never stored or logged: `add` and `reset_password` keep only its argon2id hash (PyPI
`argon2-cffi`, its recommended parameters), and `sign_in` verifies against it. A wrong name, a wrong password and a
disabled account all answer None, after the same work (an unknown name is verified against a dummy hash), so the
answer says nothing about which part was wrong. `session_stamp` is a short fingerprint of the hash a console
session carries: a password reset changes it, which ends the sessions signed in with the old password.
"""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.actors import ROLES
from models.tables import StaffAccount, utcnow

MIN_PASSWORD = 12
hasher = PasswordHasher()
_DUMMY_HASH = hasher.hash("no account has this password")


class AccountError(ValueError):
    """A staff-account change that cannot be made, in words for the operator."""


def key_of(name: str) -> str:
    """The name as accounts are looked up: casefolded, spaces collapsed."""
    return " ".join(name.split()).casefold()


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password must have at least {MIN_PASSWORD} characters")
    return password


def find(engine: Engine, name: str) -> StaffAccount | None:
    with Session(engine) as session:
        return session.get(StaffAccount, key_of(name))


def list_accounts(engine: Engine) -> list[StaffAccount]:
    with Session(engine) as session:
        return list(session.exec(select(StaffAccount).order_by(StaffAccount.name_key)))


def checked_account(name: str, role: str, maker: str) -> str:
    """The name as it will be kept (spaces collapsed), once name, role and maker make an account."""
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise AccountError("a name must have 1 to 120 characters")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    if (role == "manufacturer") != bool(maker):
        raise AccountError("a manufacturer's account needs --maker (the manufacturer's id), and only it takes one")
    return name


def add(engine: Engine, name: str, role: str, password: str, maker: str = "") -> StaffAccount:
    name = checked_account(name, role, maker)
    account = StaffAccount(name_key=key_of(name), name=name, role=role, maker=maker,
                           password_hash=hasher.hash(checked_password(password)))
    with Session(engine) as session:
        if session.get(StaffAccount, account.name_key) is not None:
            raise AccountError(f"there is already an account named {name!r}")
        session.add(account)
        session.commit()
        session.refresh(account)
    return account


def _change(engine: Engine, name: str, **fields) -> StaffAccount:
    with Session(engine) as session:
        account = session.get(StaffAccount, key_of(name))
        if account is None:
            raise AccountError(f"there is no account named {name!r}")
        for field, value in {**fields, "updated_at": utcnow()}.items():
            setattr(account, field, value)
        session.add(account)
        session.commit()
        session.refresh(account)
    return account


def disable(engine: Engine, name: str) -> StaffAccount:
    """Disable the account: it cannot sign in, and its sessions end at their next request."""
    return _change(engine, name, disabled=True)


def reset_password(engine: Engine, name: str, password: str) -> StaffAccount:
    """A new password; the sessions signed in with the old one end."""
    return _change(engine, name, password_hash=hasher.hash(checked_password(password)))


def sign_in(engine: Engine, name: str, password: str) -> StaffAccount | None:
    """The enabled account with this name and password, or None (for any wrong part, after the same work)."""
    account = find(engine, name)
    try:
        hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or account.disabled:
        return None
    if hasher.check_needs_rehash(account.password_hash):  # parameters raised since it was hashed
        account = _change(engine, name, password_hash=hasher.hash(password))
    return account


def session_stamp(account: StaffAccount) -> str:
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]
