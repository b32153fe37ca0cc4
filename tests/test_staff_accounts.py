"""Personal staff accounts: `orderly staff add|list|disable|reset-password` as real processes, and the console's
sign-in with a name and password against the dev server and a real worker — the timeline names the person, a
disabled account loses its session at once, a wrong sign-in does not say which part was wrong, and no password is
ever stored."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import text

from models.order import OrderStatus
from starter import orders
from store import staff_accounts

from .conftest import sofa_form, wait_for
from .test_bad_input import cli
from .test_web_pages import hidden, staff_post

PASSWORD = "correct horse battery staple"
WRONG = "That name and password do not match an enabled staff account."


def stored_rows(engine) -> str:  # noqa: ANN001
    with engine.connect() as conn:
        return repr(conn.execute(text("SELECT * FROM staff_accounts")).all())


async def sign_in(web: str, name: str, password: str) -> tuple[httpx.AsyncClient, httpx.Response]:
    http = httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30)
    page = (await http.get("/staff/login")).text
    return http, await http.post("/staff/login", data={"csrf": hidden(page, "csrf"), "name": name,
                                                       "password": password})


async def test_staff_commands_add_list_disable_and_reset_passwords(client, settings, engine, tmp_path):
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    code, out, err = await cli(client, settings, "staff", "add", "Maria Santos", "--role", "warehouse",
                               "--password-file", str(secret))
    assert code == 0 and "added Maria Santos (warehouse)" in out, err
    code, out, err = await cli(client, settings, "staff", "add", "Ana Reyes", "--role", "manufacturer", "--maker",
                               "nordwood", "--password-file", "-", "--json", stdin=PASSWORD + "\n")
    assert code == 0, err
    assert json.loads(out)["maker"] == "nordwood"

    refusals = [(("add", "maria  SANTOS", "--role", "admin"), "already an account named"),
                (("add", "Kim", "--role", "chef"), "the role must be one of service, warehouse"),
                (("add", "Kim", "--role", "manufacturer"), "needs --maker"),
                (("add", "Kim", "--role", "manufacturer", "--maker", "nobody"), "catalog's manufacturers"),
                (("disable", "Nobody"), "no account named 'Nobody'")]
    for args, words in refusals:
        code, out, err = await cli(client, settings, "staff", *args, "--password-file", str(secret)) \
            if args[0] == "add" else await cli(client, settings, "staff", *args)
        assert code == 1 and words in err, (args, err)
    code, out, err = await cli(client, settings, "staff", "add", "Kim", "--role", "admin", "--password-file", "-",
                               stdin="short\n")
    assert code == 1 and "at least 12 characters" in err

    code, out, err = await cli(client, settings, "staff", "list", "--json")
    listed = {a["name"]: a for a in json.loads(out)}
    assert set(listed) == {"Maria Santos", "Ana Reyes"} and listed["Maria Santos"]["role"] == "warehouse"
    assert not listed["Maria Santos"]["disabled"] and "password" not in out
    code, out, err = await cli(client, settings, "staff", "list")
    assert code == 0 and "Maria Santos" in out and "enabled" in out

    before = staff_accounts.find(engine, "Maria Santos")
    assert before.password_hash.startswith("$argon2id$")
    secret.write_text("a brand new passphrase\n")
    code, out, err = await cli(client, settings, "staff", "reset-password", "maria santos", "--password-file",
                               str(secret))
    assert code == 0 and "new password set for Maria Santos" in out, err
    assert staff_accounts.sign_in(engine, "Maria Santos", PASSWORD) is None
    assert staff_accounts.sign_in(engine, "Maria Santos", "a brand new passphrase").name == "Maria Santos"

    code, out, err = await cli(client, settings, "staff", "disable", "Maria Santos")
    assert code == 0 and "disabled Maria Santos" in out, err
    assert staff_accounts.find(engine, "Maria Santos").disabled
    assert staff_accounts.sign_in(engine, "Maria Santos", "a brand new passphrase") is None
    rows = stored_rows(engine)
    assert PASSWORD not in rows and "a brand new passphrase" not in rows, "passwords are never stored in clear"


async def test_an_account_signs_in_acts_by_name_and_loses_its_session_when_disabled(web, client, settings, engine):
    staff_accounts.add(engine, "Maria Santos", "warehouse", PASSWORD)
    result = await orders.submit_order(client, settings, sofa_form())
    order_id = result.order_id
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)

    for name, password in (("Maria Santos", "wrong password!"), ("Nobody Here", PASSWORD), ("", PASSWORD)):
        http, refused = await sign_in(web, name, password)
        assert refused.status_code == 401 and WRONG in refused.text, "it never says which part was wrong"
        assert "orderly_staff" not in refused.headers.get("set-cookie", "")
        await http.aclose()

    maria, signed = await sign_in(web, "maria santos", PASSWORD)
    assert signed.status_code == 303, signed.text
    home = await maria.get("/staff")
    assert home.status_code == 200 and "signed in as warehouse (Maria Santos)" in home.text
    ack = await staff_post(maria, f"/staff/orders/{order_id}/acknowledge", department="warehouse")
    assert ack.status_code == 200, ack.text
    view = await wait_for(client, order_id, lambda v: "warehouse" in v.acknowledged)
    assert any("acknowledged by warehouse (warehouse (Maria Santos))" in e.text for e in view.timeline), [
        e.text for e in view.timeline]
    assert "Maria Santos" in (await maria.get(f"/staff/orders/{order_id}")).text, "the console shows the person"

    staff_accounts.disable(engine, "Maria Santos")
    assert (await maria.get("/staff")).headers["location"].endswith("/staff/login"), "the session ends at once"
    page = await maria.get("/staff/login")
    refused = await maria.post(f"/staff/orders/{order_id}/ship", data={
        "csrf": hidden(page.text, "csrf"), "carrier": "UPS", "tracking_number": "1Z", "expected_delivery_date": ""})
    assert refused.status_code == 401
    http, again = await sign_in(web, "Maria Santos", PASSWORD)
    assert again.status_code == 401 and WRONG in again.text, "a disabled account is refused like a wrong password"
    await http.aclose()
    await maria.aclose()


async def test_a_password_reset_ends_the_old_sessions_and_tokens_still_sign_in_as_the_role(web, engine):
    staff_accounts.add(engine, "Sam Cruz", "customer-service", PASSWORD)
    sam, signed = await sign_in(web, "Sam Cruz", PASSWORD)
    assert signed.status_code == 303 and (await sam.get("/staff")).status_code == 200
    staff_accounts.reset_password(engine, "Sam Cruz", "another long passphrase")
    assert (await sam.get("/staff")).status_code == 303, "signed in with the old password: signed out"
    await sam.aclose()

    staff_accounts.add(engine, "Ana Reyes", "manufacturer", PASSWORD, maker="nordwood")
    ana, signed = await sign_in(web, "Ana Reyes", PASSWORD)
    assert signed.status_code == 303
    assert "signed in as manufacturer nordwood (Ana Reyes)" in (await ana.get("/staff")).text, "bound to its maker"
    await ana.aclose()

    staff_accounts.add(engine, "Api Robot", "service", PASSWORD)
    http, refused = await sign_in(web, "Api Robot", PASSWORD)
    assert refused.status_code == 401 and "does not use the staff console" in refused.text
    await http.aclose()

    token = httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30)
    page = (await token.get("/staff/login")).text
    assert (await token.post("/staff/login", data={"csrf": hidden(page, "csrf"),
                                                   "token": "token-warehouse"})).status_code == 303
    assert "signed in as warehouse (role token)<" in (await token.get("/staff")).text.replace("</span>", "<")
    await token.aclose()
