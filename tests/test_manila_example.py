"""`examples/manila.env` runs a whole demo order: a Philippine business by settings alone.

The example's settings (read as `make run ENV_FILE=examples/manila.env` reads them), a real dev server and worker:
the example order from Pasig City is confirmed in Filipino and in pesos, dated in Asia/Manila business days that skip
the Philippine holidays, the warehouse reads its work order in the company's Filipino, and the shipping notice links
to LBC's tracking page.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values

from models.calendar import add_business_days
from models.order import Acknowledgement, OrderForm, OrderStatus, Shipment
from models.settings import Settings
from starter import orders

from .conftest import TOKENS, distributed, messages_of, wait_for

ROOT = Path(__file__).parent.parent
EXAMPLE = dotenv_values(ROOT / "examples" / "manila.env")


@pytest.fixture
def settings(tmp_path, monkeypatch, settings):  # noqa: ARG001  (the base fixture sets the fast policy)
    for name, value in EXAMPLE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ORDERLY_CATALOG_PATH", str(ROOT / EXAMPLE["ORDERLY_CATALOG_PATH"]))
    return Settings(var_dir=tmp_path / "var", task_queue=f"orderly-test-{uuid.uuid4().hex[:8]}",
                    secret_key="test-secret-key", api_tokens=TOKENS, _env_file=None)


def test_the_example_is_a_business_in_metro_manila(settings):
    assert settings.company_timezone == "Asia/Manila" and settings.company_holidays_country == "PH"
    assert settings.company_language == "fil"
    assert settings.tracking_link("LBC", "1234") == "https://www.lbcexpress.com/track/?tracking_no=1234"
    assert settings.tracking_link("j&t express", "JT99").startswith("https://www.jtexpress.ph/")
    # Rizal Day (30 December) and New Year's Day are not business days; a Saturday 26 December either
    due = add_business_days(datetime(2026, 12, 28, 1, tzinfo=timezone.utc), 2, settings.company_timezone,
                            settings.company_holidays_country)
    assert due == date(2027, 1, 4)


@pytest.mark.usefixtures("worker")
async def test_the_example_runs_a_whole_demo_order_in_filipino(client, settings, engine):
    form = OrderForm.model_validate(json.loads((ROOT / "examples" / "manila-sofa.json").read_text()))
    form = form.model_copy(update={"order_id": "MNL-1", "language": None})  # the company's language: Filipino
    await orders.submit_order(client, settings, form)
    view = await distributed(client, engine, "MNL-1")
    assert view.language == "fil" and view.currency == "PHP"

    [confirmation] = messages_of(engine, "MNL-1", "order_confirmation")
    assert confirmation.subject.startswith("Kumpirmado na ang order MNL-1: inaasahang handa sa ")
    assert "- 1 x 3-seater na sofa (SOFA-3S): ₱54,990.00" in confirmation.text
    assert "Kabuuan: ₱57,570.00" in confirmation.text  # 54,990 + 2 x 1,290
    assert "Lunes hanggang Sabado, 9:00-18:00" in confirmation.text and "Makati City" in confirmation.text

    work_order = {m.recipient: m for m in messages_of(engine, "MNL-1", "work_order")}["bodega@orderly-manila.example"]
    assert work_order.text.startswith("Para sa: Bodega")
    assert "Ipadala kay:" in work_order.text and "Pasig City" in work_order.text

    await orders.act(client, "MNL-1", "acknowledge", Acknowledgement(department="warehouse"))
    await orders.act(client, "MNL-1", "ship", Shipment(carrier="LBC", tracking_number="123456789012",
                                                        expected_delivery_date=view.expected_fulfillment_date))
    await wait_for(client, "MNL-1", lambda v: v.status is OrderStatus.shipped
                   and bool(messages_of(engine, "MNL-1", "shipping_notice")))
    [shipped] = messages_of(engine, "MNL-1", "shipping_notice")
    assert "I-track dito: https://www.lbcexpress.com/track/?tracking_no=123456789012" in shipped.text
    await orders.act(client, "MNL-1", "deliver")
    await wait_for(client, "MNL-1", lambda v: bool(messages_of(engine, "MNL-1", "feedback_request")))
    [ask] = messages_of(engine, "MNL-1", "feedback_request")
    assert ask.subject == "Kumusta po ang order MNL-1?"
