"""Who takes an action on an order: the role, the department a manufacturer is, and the person where known.

Every workflow update carries one beside its input (the second argument): the API and the console build it from
the signed-in token, the CLI from the operator, the customer's pages as the customer. It never comes from a
request body. The workflow's rules (`workflows/rules.py`) decide what each actor may do, and the timeline records
who did it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE

ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin")
CUSTOMER_ROLE = "customer"
OPERATOR_ROLE = "operator"  # someone with Temporal's own tools (the Web UI or CLI), outside Orderly's roles

# the department a role acts for (a manufacturer acts for its own id, `party`)
DEPARTMENT_OF_ROLE = {"warehouse": WAREHOUSE, "accounts": ACCOUNTS_RECEIVABLE}


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str = Field(description="a staff or service role, `customer`, or `operator` (Temporal's own tools)")
    party: str = Field(default="", description="the manufacturer id a manufacturer token or account is bound to")
    name: str = Field(default="", description="the person, where known")
    token: bool = Field(default=False, description="a role's shared token (services and scripts): no one person is "
                                                   "behind it, and the timeline says so")

    @property
    def department(self) -> str | None:
        """The department this actor acts for: the warehouse, accounts receivable, its manufacturer; None for
        roles that act for the whole business (admin, customer service, services)."""
        if self.role == "manufacturer":
            return self.party or None
        return DEPARTMENT_OF_ROLE.get(self.role)

    def __str__(self) -> str:
        who = self.role if not self.party else f"{self.role} {self.party}"
        return f"{who} ({self.name})" if self.name else f"{who} (role token)" if self.token else who

    @classmethod
    def operator(cls) -> Actor:
        """Someone using Temporal's own tools, who named no actor (an update sent with the Temporal CLI)."""
        return cls(role=OPERATOR_ROLE, name="Temporal Web UI or CLI")

    @classmethod
    def customer(cls) -> Actor:
        return cls(role=CUSTOMER_ROLE)
