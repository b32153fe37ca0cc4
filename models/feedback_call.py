"""The feedback call: customer service's call task for an order that gets a call instead of the online survey.

The workflow keeps the call on the order's view (`OrderView.feedback_call`): when it was asked for and each try's
outcome. A try with no answer earns one more try the next business day; a second one without an answer closes the
call without feedback. The date a call is due is worked out where the company calendar is known (the staff queue,
`models/work_queues.py`), from the tries themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, Strict
from typing_extensions import Annotated

from .inputs import Text

ANSWERED = "answered"
NO_ANSWER = "no_answer"
TRIES = 2  # the first call and one more try the next business day

OptionalWholeNumber = Annotated[Optional[int], Strict()]


class CallOutcome(BaseModel):
    """What a customer-service rep records after calling: the customer's rating and comment, or no answer."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["answered", "no_answer"] = Field(title="Outcome",
                                                      description="answered, or no_answer (one more try follows)")
    rating: OptionalWholeNumber = Field(default=None, ge=1, le=5, title="Rating (1-5)",
                                        description="1 to 5, when the customer answered")
    comment: Text = Field(default="", max_length=2000, title="Comment")


class CallTry(BaseModel):
    at: datetime
    outcome: str


class FeedbackCall(BaseModel):
    """The call task on an order: asked for at `requested_at`; its tries so far."""

    requested_at: datetime
    tries: list[CallTry] = Field(default_factory=list)

    @property
    def unanswered(self) -> int:
        return sum(t.outcome == NO_ANSWER for t in self.tries)

    @property
    def answered(self) -> bool:
        return any(t.outcome == ANSWERED for t in self.tries)

    @property
    def closed(self) -> bool:
        """Answered, or given up after the last try went unanswered."""
        return self.answered or self.unanswered >= TRIES
