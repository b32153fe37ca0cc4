"""Correcting a confirmed order (the customer called): the whole corrected form, checked like every other, applied to
what has not shipped, and each party told exactly what changed.

- The customer gets "order updated", a new revision of the confirmation: each change as now (was), the new total,
  the dates that moved, the reason.
- A department whose work order changed gets a work-order change saying what, and acknowledges again; a manufacturer
  newly involved gets a work order; one whose every line was removed gets its work order cancelled. Accounts
  receivable hears when the total changes, the warehouse when anything it ships or the address does.
- A changed part's date is computed again from the correction's day; an unchanged part keeps its date and its
  acknowledgement.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.amendments import (Amendment, changes, date_change, described, line_changed, line_matches,
                                   shipped_line_touched)
    from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
    from models.messages import CUSTOMER, MessageKind
    from models.parts import LineRef, Part, line_indexes
    from models.actors import Actor

from .intake import check_form


def refused(reason: str) -> ApplicationError:
    return ApplicationError(reason, type="ActionRefused", non_retryable=True)


class Corrections:
    """Corrections of `OrderWorkflow` (its state, policy, holidays and notifier are the workflow's)."""

    async def take_amendment(self, amendment: Amendment, actor: Actor) -> str:
        state, view = self.state, self.state.view
        check = await check_form(amendment.form)
        self.decide("amend_order", amendment, actor, again=True)  # still open after the check?
        if check.problems:  # nothing changes: each field's problem is in the answer
            raise refused("The correction cannot be taken as it is; nothing changed: " + "; ".join(
                f"{p.field}: {p.message}" for p in check.problems))
        if reason := shipped_line_touched(view, check.lines):
            raise refused(reason)
        found = changes(view, amendment.form, check.lines)
        if not found:
            raise refused(f"Nothing to correct: the form is order {state.order_id} as it stands")
        state.amendments += 1
        revision = 1 + state.amendments
        old_lines, old_parts, old_total = view.lines, {p.department: p for p in view.parts}, view.total
        matches = line_matches(old_lines, check.lines)
        for shipment in view.shipments:  # the shipped lines stay (shipped_line_touched), at their new places
            for ref in shipment.lines or []:
                ref.line = matches[ref.line]
        touched = {j for j, line in enumerate(check.lines) if j not in matches.values()}
        touched |= {matches[i] for i, old in enumerate(old_lines) if i in matches
                    and line_changed(old, check.lines[matches[i]])}
        removed_from = {old.fulfiller for i, old in enumerate(old_lines) if i not in matches}
        form = amendment.form
        view.lines, view.customer, view.shipping_address, view.notes = (check.lines, form.customer,
                                                                        form.shipping_address, form.notes)
        view.language = form.language or view.language
        state.form = form.model_copy(update={"order_id": state.order_id})
        changed = self.regroup(check, old_parts, touched, removed_from, found)
        self.reprice_deposit()  # deposit.py: while the deposit is awaited, of the corrected lines
        gone = [d for d in old_parts if d not in {p.department for p in view.parts}]
        before = view.expected_fulfillment_date
        state.refresh()
        state.date_changed = True  # the deadline timer starts again from the new dates
        if view.expected_fulfillment_date != before:
            workflow.upsert_search_attributes([self.expected_date()])
        departments = state.departments()
        new = [d for d in departments if d not in view.work_orders]
        told = [d for d in changed if d in view.work_orders]
        if view.total != old_total and ACCOUNTS_RECEIVABLE not in told:
            told.append(ACCOUNTS_RECEIVABLE)  # the invoice changes
        if WAREHOUSE not in told and (touched or removed_from or found_address(found)):
            told.append(WAREHOUSE)  # it ships what changed, or to a new address
        for department in told:
            view.acknowledged.pop(department, None)  # a changed work order is acknowledged again
        view.work_orders = departments
        who = f" by {amendment.by or actor}"
        why = f"; reason: {amendment.reason}" if amendment.reason else ""
        if view.total != old_total:
            why = f"; total {view.total:.2f} {view.currency} (was {old_total:.2f}){why}"
        state.record("amended", f"Order corrected{who} (revision {revision}): {described(found)}{why}",
                     revision=revision, by=str(actor))
        extra = dict(changes=found, reason=amendment.reason, previous_total=str(old_total))
        await self.notifier.tell(CUSTOMER, MessageKind.order_updated, revision=str(revision), **extra)
        await self.notifier.tell_all(told, MessageKind.work_order_change, revision=f"amended-{revision}", **extra)
        await self.notifier.tell_all(new, MessageKind.work_order, revision=self.first_or(new, revision))
        state.ever_sent_work_order = list(dict.fromkeys([*state.ever_sent_work_order, *new]))
        await self.notifier.tell_all(gone, MessageKind.work_order_cancelled, revision=f"amended-{revision}")
        return (f"Order corrected (revision {revision}): {len(found)} change(s); the customer and "
                f"{len(told) + len(new) + len(gone)} department(s) are being told")

    def regroup(self, check, old_parts: dict[str, Part], touched: set[int], removed_from: set[str],  # noqa: ANN001
                found: list[dict[str, str]]) -> list[str]:
        """The parts of the corrected lines: an untouched one as it was, a changed or new one dated from today.
        Returns the departments whose part changed; a moved date joins `found`."""
        view, changed = self.state.view, []
        parts = []
        for department in dict.fromkeys(sorted((li.fulfiller for li in view.lines), key=lambda d: d != WAREHOUSE)):
            refs = [LineRef(sku=view.lines[j].sku, quantity=view.lines[j].quantity, line=j)
                    for j in line_indexes(view.lines, department)]
            old = old_parts.get(department)
            if old is not None and department not in removed_from and not any(r.line in touched for r in refs):
                old.lines = refs
                parts.append(old)
                continue
            due = check.part_dates.get(department, check.expected_fulfillment_date)
            handover = None if department == WAREHOUSE else self.handover_before(due)
            parts.append(Part(department=department, lines=refs, expected_fulfillment_date=due,
                              original_fulfillment_date=old.original_fulfillment_date if old else due,
                              handover_date=handover, awaiting_deposit=bool(old and old.awaiting_deposit)))
            if old is not None and old.expected_fulfillment_date != due:
                found.append(date_change(", ".join(view.lines[r.line].name for r in refs),
                                         old.expected_fulfillment_date, due))
            changed.append(department)
        view.parts = parts
        return changed

    def first_or(self, departments: list[str], revision: int) -> str:
        """A department's first work order has revision 1; one that had one before (then removed) a new one."""
        before = self.state.ever_sent_work_order
        return f"amended-{revision}" if any(d in before for d in departments) else "1"


def found_address(found: list[dict[str, str]]) -> bool:
    return any(c["field"] == "Delivery address" for c in found)
