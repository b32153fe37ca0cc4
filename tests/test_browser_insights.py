"""The Insights page in a real headless Chromium (as tests/test_browser.py), on the seeded read model of
`insights_seed.py`: customer service opens it from the console's header, sees the charts drawn and the numbers in
tables, narrows the period, and downloads a table as CSV; a manufacturer sees its own figures only.

Set ORDERLY_SCREENSHOTS=docs/screenshots to refresh docs/screenshots/insights.png (shown in the README)."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

from starter.web_app import create_app

from .conftest import serving
from .insights_seed import seed
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_browser_queues import sign_in

PERIOD = "from=2026-09-01&to=2026-11-30"


async def test_customer_service_reads_the_insights_and_downloads_a_table(chromium, settings, engine, tmp_path):
    seed(engine)
    app = create_app(settings, client=SimpleNamespace())  # the page reads the read model only, never Temporal
    async with serving(app) as base:
        rep = await sign_in(chromium, base, "token-customer-service")
        await rep.click("#insights-link")
        await rep.wait_for_selector("h1:has-text('Insights')")
        await rep.goto(f"{base}/staff/insights?{PERIOD}")
        summary = await rep.locator("#promises-summary").inner_text()
        assert "7 of 10 parts shipped by the date first promised (70.0%)" in summary
        assert "4.0 days late on average" in summary
        assert "2 customers were told of the delay before the date and 1 only by the lateness notice" in summary
        for chart in ("promises", "delays", "lead-times", "ratings"):
            image = rep.locator(f"#chart-{chart} img")
            assert await image.evaluate("img => img.complete && img.naturalWidth > 0"), f"{chart} is drawn"
            assert await image.get_attribute("alt")
        reasons = rep.locator("#table-delay-reasons tbody tr")
        assert await reasons.all_inner_texts() == ["Fabric out of stock\t2\tI-10 I-08", "Carrier strike\t1\tI-08"]
        late = await rep.locator("#table-ratings-late tbody").inner_text()
        assert "Late\t1\t2.0" in late and "On time\t3\t4.67" in late
        assert "Too slow" in await rep.locator("#table-latest-comments").inner_text()
        await shot(rep, "insights")

        async with rep.expect_download() as download:
            await rep.click("#table-missing-fields a.csv")
        saved = tmp_path / "missing.csv"
        await (await download.value).save_as(saved)
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert rows == [["Product type", "Field", "Orders"], ["sofa", "fabric", "2"],
                        ["(order never accepted)", "customer.phone", "1"]]

        await rep.fill("#from", "2026-11-01")
        await rep.click("#period button")
        await rep.wait_for_selector("#promises-summary:has-text('No part was due in this period.')")
        assert "2026-11\t3\t3.67" in await rep.locator("#table-ratings-by-month").inner_text()

        assert await rep.locator("#table-latest-comments a[href='/staff/orders/I-08']").count() == 1

        maker = await sign_in(chromium, base, "token-manufacturer")  # nordwood
        await maker.goto(f"{base}/staff/insights?{PERIOD}")
        assert "0 of 1 parts shipped" in await maker.locator("#promises-summary").inner_text()
        assert await maker.locator("#table-latest-comments").count() == 0
        assert "I-08" not in await maker.content()
