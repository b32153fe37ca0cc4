"""The insights figures (`store/insights.py`) as tables: what the page shows under each chart (the accessible form of
the numbers), and what each table's CSV download holds. Headings in the console's language (gettext, `N_`).

A CSV cell that a spreadsheet would read as a formula (beginning with `=`, `+`, `-`, `@`, a tab or a carriage
return) is written with a `'` before it: a delay reason or a comment typed as `=HYPERLINK(...)` stays text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from models.i18n import N_, translate

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_ACCEPTED = N_("(order never accepted)")


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    links: dict[int, str] = field(default_factory=dict)  # column -> what its cells link to ("order")


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def blank(value: Any) -> Any:
    return "" if value is None else value


def tables(figures: dict[str, Any], language: str) -> list[Table]:
    """Every table of the page, in the order it shows them."""
    def _(message: str) -> str:
        return translate(language, message)

    def who(key: str) -> str:
        return _("Warehouse") if key == "warehouse" else key

    promised = [_("Parts due"), _("Shipped by the date promised"), _("Share kept"), _("Late"),
                _("Average days late"), _("Told before the date"), _("Told only by the lateness timer")]

    def kept(row: dict[str, Any], key: str) -> list[Any]:
        return [key, row["parts"], row["kept"], percent(row["share_kept"]), row["late"],
                blank(row["average_days_late"]), row["told_before"], row["told_by_timer_only"]]

    p, d, f, fb, r = (figures[k] for k in ("promises", "delays", "form", "feedback", "requests"))
    lead = [[lt["product_type"], _(which), dist["count"], blank(dist["mean"]), blank(dist["median"]),
             blank(dist["p90"]), *(b["count"] for b in dist["buckets"])]
            for lt in figures["lead_times"] for which, dist in ((N_("promised"), lt["promised"]),
                                                                 (N_("actual"), lt["actual"]))]
    buckets = [_("%(range)s days") % {"range": b["label"]} for b in
               (figures["lead_times"][0]["actual"]["buckets"] if figures["lead_times"] else [])]
    return [
        Table("promises-by-fulfiller", _("Promises kept, by fulfiller"), [_("Fulfiller"), *promised],
              [kept(row, who(row["key"])) for row in p["by_fulfiller"]] + [kept(p["total"], _("All"))]),
        Table("promises-by-month", _("Promises kept, by month promised"), [_("Month"), *promised],
              [kept(row, row["key"]) for row in p["by_month"]]),
        Table("delays-by-fulfiller", _("Delays reported, by fulfiller"), [_("Fulfiller"), _("Delays")],
              [[who(row["key"]), row["delays"]] for row in d["by_fulfiller"]]),
        Table("delays-by-month", _("Delays reported, by month"), [_("Month"), _("Delays")],
              [[row["key"], row["delays"]] for row in d["by_month"]]),
        Table("delay-reasons", _("Reasons given for delays, most frequent first"),
              [_("Reason"), _("Delays"), _("Orders")],
              [[row["reason"], row["delays"], " ".join(row["orders"])] for row in d["reasons"]], {2: "order"}),
        Table("lead-times", _("Lead times in days from acceptance, by product type"),
              [_("Product type"), _("Days to"), _("Lines"), _("Mean"), _("Median"), _("90th percentile"), *buckets],
              lead),
        Table("form", _("The order form"), [_("Orders received"), _("Arrived incomplete"), _("Share incomplete"),
                                            _("Completed later"), _("Average days to complete"), _("Expired"),
                                            _("Share expired")],
              [[f["orders"], f["incomplete"], percent(f["share_incomplete"]), f["completed"],
                blank(f["average_days_to_complete"]), f["expired"], percent(f["share_expired"])]]),
        Table("missing-fields", _("Fields most often missing, by product type"),
              [_("Product type"), _("Field"), _("Orders")],
              [[row["product_type"] or _(NOT_ACCEPTED), row["field"], row["orders"]] for row in f["missing_fields"]]),
        Table("ratings-by-month", _("Ratings by month"), [_("Month"), _("Ratings"), _("Mean"), "1", "2", "3", "4", "5"],
              [[row["key"], row["count"], blank(row["mean"]), *row["distribution"].values()] for row in fb["by_month"]]
              + [[_("All"), fb["ratings"]["count"], blank(fb["ratings"]["mean"]),
                  *fb["ratings"]["distribution"].values()]]),
        Table("ratings-late", _("Ratings of late orders and of orders on time"), [_("Orders"), _("Ratings"), _("Mean")],
              [[_("Late"), fb["late"]["ratings"], blank(fb["late"]["mean"])],
               [_("On time"), fb["on_time"]["ratings"], blank(fb["on_time"]["mean"])]]),
        Table("response-by-channel", _("Feedback response rate, by channel"),
              [_("Channel"), _("Asked"), _("Answered"), _("Response rate")],
              [[_(CHANNELS.get(row["channel"], row["channel"])), row["asked"], row["answered"],
                percent(row["response_rate"])] for row in fb["response_by_channel"]]),
        Table("latest-comments", _("Latest comments"), [_("Order"), _("Rating"), _("Date"), _("Comment")],
              [[row["order_id"], row["rating"], row["on"], row["comment"]] for row in fb["latest_comments"]],
              {0: "order"}),
        Table("requests-by-month", _("Customer requests, by month"),
              [_("Month"), _("Requests"), _("Resolved"), _("Average days to resolve")],
              [[row["key"], row["requests"], row["resolved"], blank(row["average_days_to_resolve"])]
               for row in r["by_month"]] + [[_("All"), r["total"], r["resolved"], blank(r["average_days_to_resolve"])]]),
    ]


CHANNELS = {"survey": N_("Online survey"), "call": N_("Phone call")}


def safe_cell(value: Any) -> Any:
    """A cell as a spreadsheet will read it: text that would start a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in table.headers])
    writer.writerows([[safe_cell(cell) for cell in row] for row in table.rows])
    return out.getvalue()
