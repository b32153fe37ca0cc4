"""The insights page's charts: SVG drawn on the server by matplotlib (no network, no script in the browser), titled
and labelled in the console's language, each shown as an image with its table of numbers beside it (the table is
the accessible form; the image's alt text says what it shows).

matplotlib's object API only (a `Figure` of its own per chart, never pyplot's global state), so charts drawn at the
same time in the server's threads do not share anything.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure

from models.i18n import translate

COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096")
RATING_COLOURS = ("#c53030", "#dd6b20", "#d69e2e", "#68d391", "#2f855a")
STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
         "svg.hashsalt": "orderly"}  # text stays text (readable, selectable); the same figures give the same SVG


@dataclass
class Chart:
    key: str
    alt: str
    svg: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def drawn(draw, title: str, xlabel: str, ylabel: str) -> str:  # noqa: ANN001
    with rc_context(STYLE):
        figure = Figure(figsize=(6.4, 2.8))
        figure.subplots_adjust(left=0.1, right=0.8, bottom=0.3, top=0.88)  # the legend beside, on the right
        axes = figure.subplots()
        draw(axes)
        axes.set_title(title, loc="left", fontsize=10)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):]


def charts(figures: dict[str, Any], language: str) -> list[Chart]:
    """The charts of the page: promises kept by month, delays by month, lead times by product type, ratings."""
    def _(message: str, **values: Any) -> str:
        return translate(language, message, **values)

    found = []
    months = figures["promises"]["by_month"]
    if months:
        def promises(axes) -> None:  # noqa: ANN001
            keys = [m["key"] for m in months]
            axes.bar(keys, [100 * (m["share_kept"] or 0) for m in months], color=COLOURS[0])
            axes.set_ylim(0, 100)
            axes.tick_params(axis="x", labelrotation=45)
        found.append(Chart("promises", _("Share of parts shipped by the date first promised, by month"),
                           drawn(promises, _("Promises kept"), _("Month promised"), _("Per cent of parts"))))
    delays = figures["delays"]["by_month"]
    if delays:
        def delayed(axes) -> None:  # noqa: ANN001
            axes.bar([m["key"] for m in delays], [m["delays"] for m in delays], color=COLOURS[1])
            axes.tick_params(axis="x", labelrotation=45)
        found.append(Chart("delays", _("Delays reported, by month"),
                           drawn(delayed, _("Delays"), _("Month"), _("Delays"))))
    lead = [lt for lt in figures["lead_times"] if lt["actual"]["count"]]
    if lead:
        def lead_times(axes) -> None:  # noqa: ANN001
            labels = [b["label"] for b in lead[0]["actual"]["buckets"]]
            width = 0.8 / len(lead)
            for i, lt in enumerate(lead):
                axes.bar([x + i * width for x in range(len(labels))], [b["count"] for b in lt["actual"]["buckets"]],
                         width, label=lt["product_type"], color=COLOURS[i % len(COLOURS)])
            axes.set_xticks([x + width * (len(lead) - 1) / 2 for x in range(len(labels))], labels)
            axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
        found.append(Chart("lead-times", _("Days from acceptance to shipment, by product type"),
                           drawn(lead_times, _("Lead times"), _("Days from acceptance to shipment"), _("Lines"))))
    rated = figures["feedback"]["by_month"]
    if rated:
        def ratings(axes) -> None:  # noqa: ANN001
            keys, bottom = [m["key"] for m in rated], [0] * len(rated)
            for stars in range(1, 6):
                counts = [m["distribution"][str(stars)] for m in rated]
                axes.bar(keys, counts, bottom=bottom, label=str(stars), color=RATING_COLOURS[stars - 1])
                bottom = [b + c for b, c in zip(bottom, counts)]
            mean = axes.twinx()
            mean.plot(keys, [m["mean"] for m in rated], color="#1a202c", marker="o", label=_("Mean"))
            mean.set_ylim(1, 5)
            mean.set_ylabel(_("Mean rating"))
            axes.tick_params(axis="x", labelrotation=45)
            axes.legend(title=_("Rating"), fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.12, 1))
        found.append(Chart("ratings", _("Ratings by month: how many of each, and the mean"),
                           drawn(ratings, _("Ratings"), _("Month"), _("Ratings"))))
    return found
