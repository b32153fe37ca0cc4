"""Issue 28 §4: staff read a Filipino customer's form problems in the company's language — the API's and the CLI's
problem lists and refusals — while the customer's own email keeps Filipino."""

from __future__ import annotations

import json

import httpx

from models.order import OrderStatus

from .conftest import messages_of, wait_for
from .test_api import auth, form
from .test_bad_input import cli

MISSING = {"field": "lines[0].options.fabric", "label": "Line 1 (Three-seat sofa)",
           "message": "missing: Fabric (one of: linen, velvet, leather, wool)", "kind": "missing"}


async def test_the_api_answers_staff_in_the_companys_language(web, client, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        incomplete = form(order_id="FIL-API", language="fil",
                          lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
        created = await http.post("/api/orders", json=incomplete, headers=auth("service"))
        assert created.status_code == 201 and created.json()["problems"] == [MISSING]
        view = await wait_for(client, "FIL-API", lambda v: bool(messages_of(engine, "FIL-API", "form_incomplete")))
        assert "kulang" in view.problems[0].message.lower(), "the order keeps the customer's words for the customer"
        read = (await http.get("/api/orders/FIL-API", headers=auth("customer-service"))).json()
        assert read["problems"] == [MISSING], "the order's view, as staff read it"
        [email] = messages_of(engine, "FIL-API", "form_incomplete")
        assert "Tela" in email.text and "missing: Fabric" not in email.text

        still = form(language="fil", lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
        again = await http.post("/api/orders/FIL-API/form", json=still, headers=auth("customer-service"))
        assert again.status_code == 200 and again.json()["problems"] == [MISSING]

        wrong = form(language="fil", lines=[{"sku": "SOFA-3S", "quantity": 1,
                                             "options": {"fabric": "tweed", "color": "olive"}}])
        refused = await http.post("/api/orders", json=wrong, headers=auth("service"))
        assert refused.status_code == 422, refused.text
        body = refused.json()["error"]
        [problem] = body["details"]
        assert problem == {"field": "lines[0].options.fabric",
                           "message": "'tweed' is not available; choose one of: linen, velvet, leather, wool"}
        assert problem["message"] in body["message"]
        assert (await wait_for(client, "FIL-API", lambda v: True)).status is OrderStatus.incomplete


async def test_the_cli_lists_problems_in_the_companys_language(client, settings, worker, tmp_path):
    path = tmp_path / "form.json"
    path.write_text(json.dumps(form(order_id="FIL-CLI", language="fil",
                                    lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])))
    code, out, err = await cli(client, settings, "submit", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["problems"] == [MISSING]
    code, out, err = await cli(client, settings, "status", "FIL-CLI", "--json")
    assert code == 0 and json.loads(out)["problems"] == [MISSING], err
    code, out, err = await cli(client, settings, "status", "FIL-CLI")
    assert "missing: Fabric (one of: linen, velvet, leather, wool)" in out, out


async def test_the_phone_order_form_tells_the_rep_in_the_companys_language(web, client):
    from .test_web_pages import CUSTOMER, error_for, hidden, staff_session
    cs = await staff_session(web, "token-customer-service")
    page = await cs.get("/staff/orders/new")
    form = {"csrf": hidden(page.text, "csrf"), **CUSTOMER, "language": "fil",
            "line-0-sku": "SOFA-3S", "line-0-quantity": "1", "line-0-color": "olive"}
    refused = await cs.post("/staff/orders/new", data=form)
    assert refused.status_code == 422
    assert error_for(refused.text, "line-0-fabric") == "Missing: Fabric (one of: linen, velvet, leather, wool)"
    created = await cs.post("/staff/orders/new", data={**form, "line-0-fabric": "linen"})
    assert created.status_code == 303
    order_id = created.headers["location"].rsplit("/", 1)[1]
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.language == "fil", "the customer's language is kept for the customer"
    await cs.aclose()
