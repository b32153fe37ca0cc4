"""Who may do what: one table for the HTTP API and the staff console alike."""

from __future__ import annotations

from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE

ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin")
STAFF_ROLES = tuple(r for r in ROLES if r != "service")

ALLOWED: dict[str, tuple[str, ...]] = {
    "read": ROLES,
    "create": ("service", "customer-service", "admin"),
    "complete_form": ("service", "customer-service", "admin"),
    "acknowledge": ("warehouse", "accounts", "manufacturer", "admin"),
    "delay": ("warehouse", "manufacturer", "admin"),
    "ship": ("warehouse", "admin"),
    "correct_shipment": ("warehouse", "admin"),
    "deliver": ("warehouse", "admin"),
    "cancel": ("customer-service", "admin"),
    "feedback": ("customer-service", "admin"),
    "resend": ("customer-service", "admin"),
}
INTERNAL_DEPARTMENTS = {WAREHOUSE: "warehouse", ACCOUNTS_RECEIVABLE: "accounts"}


def may(role: str, action: str) -> bool:
    return role in ALLOWED[action]


def acknowledgement_refusal(role: str, department: str) -> str | None:
    """Why `role` may not acknowledge a work order for `department`, or None when it may.

    The warehouse acknowledges for the warehouse, accounts for accounts receivable, a manufacturer for a
    manufacturer (any department that is not an internal one); admin for anyone.
    """
    if role == "admin":
        return None
    owner = INTERNAL_DEPARTMENTS.get(department, "manufacturer")
    if role != owner:
        return f"A {role} token cannot acknowledge for {department}"
    return None
