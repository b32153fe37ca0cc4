"""The insights figures on a read model with known outcomes (`insights_seed.py`: 11 orders, 3 late, 2 incomplete for a
missing fabric and 1 expired, ratings 5, 5, 4 and 2 with the 2 on a late order), each exactly as expected, by
role: through `GET /api/insights`, the console's page and its CSV downloads, and `orderly insights`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.insights_seed import seed

ORDERLY = str(Path(sys.executable).parent / "orderly")
PERIOD = "from=2026-01-01&to=2026-11-30"


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


@pytest.fixture
async def http(settings, seeded):
    from starter.web_app import create_app
    app = create_app(settings, client=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orderly") as client:
        yield client


def token(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer token-{role}"}


async def console(http: httpx.AsyncClient, role: str) -> None:
    """Signed in to the console as `role` (the client keeps the session's cookie)."""
    http.cookies.clear()
    page = await http.get("/staff/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = await http.post("/staff/login", data={"csrf": csrf, "token": f"token-{role}"})
    assert response.status_code == 303, response.text


def kept(key, parts, kept_, days_late_total, average, before, timer) -> dict:  # noqa: ANN001
    return {"key": key, "parts": parts, "kept": kept_, "late": parts - kept_, "share_kept": round(kept_ / parts, 4),
            "shipped_late": parts - kept_, "days_late_total": days_late_total, "average_days_late": average,
            "told_before": before, "told_by_timer_only": timer}


def buckets(**counts: int) -> list[dict]:
    labels = ("0-7", "8-14", "15-21", "22-30", "31-45", "46-60", "61+")
    return [{"label": label, "count": counts.get("b" + label.replace("-", "_").replace("+", ""), 0)}
            for label in labels]


async def test_each_figure_for_admin_and_customer_service(http):
    for role in ("admin", "customer-service"):
        response = await http.get(f"/api/insights?{PERIOD}", headers=token(role))
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["period"]["from"] == "2026-01-01" and found["period"]["to"] == "2026-11-30"
        assert found["period"]["fulfiller"] is None
        promises = found["promises"]
        assert promises["total"] == kept("", 10, 7, 12, 4.0, 2, 1)  # 5 + 3 + 4 days late; I-08, I-10 told before
        assert promises["by_fulfiller"] == [kept("nordwood", 1, 0, 4, 4.0, 1, 0), kept("warehouse", 9, 7, 8, 4.0, 1, 1)]
        assert promises["by_month"] == [kept("2026-10", 10, 7, 12, 4.0, 2, 1)]
        assert found["delays"] == {  # the lateness timer's "delayed" on I-09 is not a delay staff reported
            "total": 3, "by_fulfiller": [{"key": "nordwood", "delays": 1}, {"key": "warehouse", "delays": 2}],
            "by_month": [{"key": "2026-10", "delays": 3}],
            "reasons": [{"reason": "Fabric out of stock", "delays": 2, "orders": ["I-10", "I-08"]},
                        {"reason": "Carrier strike", "delays": 1, "orders": ["I-08"]}]}
        bookcase, sofa = found["lead_times"]
        assert bookcase == {"product_type": "bookcase",
                            "promised": {"count": 1, "mean": 19.0, "median": 19, "p90": 19, "buckets": buckets(b15_21=1)},
                            "actual": {"count": 1, "mean": 23.0, "median": 23, "p90": 23, "buckets": buckets(b22_30=1)}}
        # sofas: accepted 1 Oct (I-03..I-09) or 2 Oct (I-01, I-02, completed then); promised the 20th; shipped the
        # 19th, I-09 the 23rd, I-08 the 25th
        assert sofa == {"product_type": "sofa",
                        "promised": {"count": 9, "mean": 18.78, "median": 19, "p90": 19, "buckets": buckets(b15_21=9)},
                        "actual": {"count": 9, "mean": 18.89, "median": 18, "p90": 24,
                                   "buckets": buckets(b15_21=7, b22_30=2)}}
        assert found["form"] == {
            "orders": 11, "incomplete": 3, "share_incomplete": 0.2727, "completed": 2, "average_days_to_complete": 1.5,
            "expired": 1, "share_expired": 0.0909,
            "missing_fields": [{"product_type": "sofa", "field": "fabric", "orders": 2},
                               {"product_type": "", "field": "customer.phone", "orders": 1}]}
        feedback = found["feedback"]
        assert feedback["ratings"] == {"count": 4, "mean": 4.0, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}}
        assert feedback["by_month"] == [
            {"key": "2026-10", "count": 1, "mean": 5.0, "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}},
            {"key": "2026-11", "count": 3, "mean": 3.67, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}}]
        assert feedback["late"] == {"ratings": 1, "mean": 2.0}
        assert feedback["on_time"] == {"ratings": 3, "mean": 4.67}
        assert feedback["response_by_channel"] == [
            {"channel": "call", "asked": 2, "answered": 1, "response_rate": 0.5},
            {"channel": "survey", "asked": 5, "answered": 3, "response_rate": 0.6}]
        assert feedback["latest_comments"] == [
            {"order_id": "I-08", "rating": 2, "comment": "Too slow", "on": "2026-11-05"},
            {"order_id": "I-03", "rating": 5, "comment": "Lovely sofa", "on": "2026-10-28"}]
        assert found["requests"] == {
            "total": 3, "resolved": 2, "open": 1, "average_days_to_resolve": 1.25,
            "by_month": [{"key": "2026-10", "requests": 2, "resolved": 2, "average_days_to_resolve": 1.25},
                         {"key": "2026-11", "requests": 1, "resolved": 0, "average_days_to_resolve": None}]}


async def test_a_manufacturer_sees_its_own_figures_only(http):
    found = (await http.get(f"/api/insights?{PERIOD}", headers=token("manufacturer"))).json()  # nordwood
    assert found["period"]["fulfiller"] == "nordwood"
    assert found["promises"]["total"] == kept("", 1, 0, 4, 4.0, 1, 0)
    assert [r["key"] for r in found["promises"]["by_fulfiller"]] == ["nordwood"]
    assert found["delays"]["reasons"] == [{"reason": "Fabric out of stock", "delays": 1, "orders": ["I-10"]}]
    assert [lt["product_type"] for lt in found["lead_times"]] == ["bookcase"]
    assert found["form"]["orders"] == 1 and found["form"]["incomplete"] == 0 and found["form"]["missing_fields"] == []
    assert found["feedback"]["ratings"]["count"] == 0 and found["feedback"]["latest_comments"] == []
    assert found["requests"]["total"] == 1 and found["requests"]["average_days_to_resolve"] == 0.5
    other = (await http.get(f"/api/insights?{PERIOD}", headers=token("other-maker"))).json()
    assert other["promises"]["total"]["parts"] == 0 and other["delays"]["total"] == 0
    assert other["form"]["orders"] == 0 and other["requests"]["total"] == 0 and other["lead_times"] == []
    await console(http, "manufacturer")
    page = await http.get(f"/staff/insights?{PERIOD}")
    assert page.status_code == 200
    assert "I-10" in page.text and "I-08" not in page.text and "Too slow" not in page.text
    assert "Your own figures as nordwood" in page.text


async def test_other_roles_are_refused_with_a_clear_403(http):
    for role in ("warehouse", "accounts", "service"):
        response = await http.get(f"/api/insights?{PERIOD}", headers=token(role))
        assert response.status_code == 403
        assert response.json()["error"]["message"] == (f"The {role} role cannot do this; it needs one of: "
                                                       "customer-service, admin, manufacturer")
    for role in ("warehouse", "accounts"):
        await console(http, role)
        page = await http.get("/staff/insights")
        assert page.status_code == 403 and "cannot do this" in page.text
        assert 'id="insights-link"' not in page.text
        assert (await http.get("/staff/insights/form.csv")).status_code == 403
    assert (await http.get("/api/insights")).status_code == 401
    http.cookies.clear()
    anonymous = await http.get("/staff/insights")
    assert anonymous.status_code == 401


@pytest.mark.parametrize("query, message", [
    ("from=2026-1-01", "from: '2026-1-01' is not a date; use YYYY-MM-DD"),
    ("to=2026-02-30", "to: '2026-02-30' is not a date; use YYYY-MM-DD"),
    ("from=yesterday&to=2026-11-30", "from: 'yesterday' is not a date; use YYYY-MM-DD"),
    ("from=2026-11-30&to=2026-01-01", "from (2026-11-30) is after to (2026-01-01)"),
    ("from=2000-01-01&to=2026-11-30", "the period is longer than 1099 days"),
])
async def test_a_malformed_period_is_refused_with_a_clear_message(http, query, message):
    response = await http.get(f"/api/insights?{query}", headers=token("admin"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["kind"] == "invalid" and message in error["message"], error
    await console(http, "admin")
    page = await http.get(f"/staff/insights?{query}")
    assert page.status_code == 422 and message.replace("'", "&#39;") in page.text


async def test_the_period_chooses_what_is_counted(http):
    november = (await http.get("/api/insights?from=2026-11-01&to=2026-11-30", headers=token("admin"))).json()
    assert november["promises"]["total"]["parts"] == 0 and november["delays"]["total"] == 0
    assert november["feedback"]["ratings"]["count"] == 3 and november["feedback"]["ratings"]["mean"] == 3.67
    assert november["requests"]["total"] == 1 and november["form"]["orders"] == 0
    default = (await http.get("/api/insights", headers=token("admin"))).json()["period"]
    assert default["to"] == default["today"] and default["from"].endswith("-01")


async def test_the_page_shows_charts_tables_and_a_csv_of_each(http, settings):
    await console(http, "customer-service")
    page = await http.get(f"/staff/insights?{PERIOD}")
    assert page.status_code == 200
    html = page.text
    for chart in ("promises", "delays", "lead-times", "ratings"):
        assert f'id="chart-{chart}"><img src="data:image/svg+xml;base64,' in html
    assert 'alt="Share of parts shipped by the date first promised, by month"' in html
    assert "7 of 10 parts shipped by the date first promised (70.0%)" in html
    assert '<a href="/staff/orders/I-08">I-08</a>' in html  # each reason linked to its orders
    keys = [part.split('"')[0] for part in html.split('class="insight-table" id="table-')[1:]]
    assert len(keys) == 13
    for key in keys:
        assert f'href="/staff/insights/{key}.csv?{PERIOD.replace("&", "&amp;")}"' in html
        download = await http.get(f"/staff/insights/{key}.csv?{PERIOD}")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
        assert len(rows) >= 2, key
    reasons = (await http.get(f"/staff/insights/delay-reasons.csv?{PERIOD}")).text.lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(reasons))) == [["Reason", "Delays", "Orders"],
                                                      ["Fabric out of stock", "2", "I-10 I-08"],
                                                      ["Carrier strike", "1", "I-08"]]
    assert (await http.get(f"/staff/insights/nope.csv?{PERIOD}")).status_code == 404


async def test_a_csv_cell_that_would_be_a_formula_stays_text(http, seeded):
    from tests.insights_seed import accepted
    from models.order import TimelineEvent
    from store import read_model
    view, _ = accepted("I-12", seq=2)
    for seq, reason in ((2, '=HYPERLINK("http://evil.example","x")'), (3, "+1"), (4, "-1"), (5, "@SUM(A1)")):
        read_model.save_order(seeded, view, [TimelineEvent(seq=seq, at=view.received_at, kind="status:delayed",
                                                           text="Delayed", data={"reason": reason})])
    await console(http, "admin")
    text = (await http.get(f"/staff/insights/delay-reasons.csv?{PERIOD}")).text.lstrip("\ufeff")
    reasons = {row[0] for row in csv.reader(io.StringIO(text))}
    assert {"'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1", "'-1", "'@SUM(A1)"} <= reasons
    assert not {r for r in reasons if r[:1] in "=+-@"}


async def test_the_console_reads_in_filipino(settings, seeded):
    from starter.web_app import create_app
    app = create_app(settings.model_copy(update={"company_language": "fil"}), client=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orderly") as http:
        await console(http, "admin")
        page = await http.get(f"/staff/insights?{PERIOD}")
    assert page.status_code == 200 and '<html lang="fil">' in page.text
    from models.i18n import translate
    for words in ("Insights", "Promises kept", "Lead times", "Download CSV", "Fields most often missing, by product type"):
        assert translate("fil", words) != words and translate("fil", words) in page.text, words


def test_orderly_insights_prints_the_same_figures(settings, seeded):
    env = {**os.environ, "ORDERLY_DATABASE_URL": settings.db_url}
    done = subprocess.run([ORDERLY, "insights", "--json", "--from", "2026-01-01", "--to", "2026-11-30"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["promises"]["total"]["kept"] == 7 and found["feedback"]["late"] == {"ratings": 1, "mean": 2.0}
    maker = subprocess.run([ORDERLY, "insights", "--json", "--from", "2026-01-01", "--to", "2026-11-30",
                            "--fulfiller", "nordwood"], capture_output=True, text=True, env=env, timeout=120)
    assert json.loads(maker.stdout)["promises"]["total"]["parts"] == 1
    bad = subprocess.run([ORDERLY, "insights", "--json", "--from", "2026-13-01"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode != 0 and "is not a date" in bad.stdout + bad.stderr
