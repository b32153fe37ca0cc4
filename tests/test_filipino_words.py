"""Issue 28 §4, the Filipino a customer reads: a corrected order's email lists its changes in Filipino (the item, the
option and its choices from the catalog's translations), the reworded sentences, and a missing option that another
one requires reads as one sentence."""

from __future__ import annotations

from activities.notices import compose
from models.amendments import changes
from models.catalog import load_catalog
from models.messages import CUSTOMER, MessageKind
from models.settings import Settings
from models.validation import validate_form
from models.i18n import translate

from .conftest import sofa_form
from .mail_notices import notice_for

LINKS = {"status_url": "https://shop.example/s", "form_url": "https://shop.example/f",
         "survey_url": "https://shop.example/v"}


def test_a_corrected_orders_changes_are_listed_in_filipino():
    settings = Settings(_env_file=None, secret_key="k")
    catalog = load_catalog(settings.catalog_path)
    notice = notice_for(MessageKind.order_updated, CUSTOMER, "FIL-1")
    was = notice.order.model_copy(update={"language": "fil"})
    corrected = sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 2, "options": {"fabric": "velvet", "color": "navy"}},
                                 {"sku": "BOOKCASE-MTM", "quantity": 1,
                                  "options": {"wood": "ash", "height_cm": 180, "width_cm": 80}}])
    found = changes(was, corrected, validate_form(corrected, catalog).lines)
    notice = notice.model_copy(update={"order": was, "extra": {"changes": found, "reason": "Tumawag ang customer",
                                                               "previous_total": str(was.total)}})
    [mail] = [o for o in compose(notice, settings, catalog, LINKS) if o.channel == "email"]
    sofa, colour = catalog.product("SOFA-3S").name_in("fil"), {f.name: f for f in catalog.fields_of("SOFA-3S")}["color"]
    assert f"{sofa}: Kulay: navy blue (dati: olive green)" in mail.text, mail.text
    assert f"{sofa}: {translate('fil', 'Quantity')}: 2 (dati: 1)" in mail.text
    assert f"1 x {catalog.product('BOOKCASE-MTM').name_in('fil')}" in mail.text
    assert "Colour" not in mail.text and "Colour" not in mail.html and "olive (" not in mail.text
    assert colour.label_in("fil") == "Kulay"


def test_the_reworded_filipino():
    assert translate("fil", "Expected fulfillment date: %(date)s", date="D") == "Petsang inaasahang handa na ang order: D"
    assert "na handa na" not in translate("fil", "the expected fulfillment date")
    assert translate("fil", "Please send them by completing your order form here: %(url)s", url="U") == (
        "Pakilagay po ang mga ito sa inyong order form dito: U")
    assert translate("fil", "We received your order") != translate("fil", "Your order was accepted")
    assert not translate("fil", "Your order was accepted").startswith("Tinanggap")


def test_a_missing_option_another_requires_reads_as_one_sentence():
    catalog = load_catalog(Settings(_env_file=None).catalog_path)
    form = sofa_form(language="fil", lines=[{"sku": "SOFA-3S", "quantity": 1,
                                             "options": {"fabric": "leather", "color": "olive"}}])
    [problem] = validate_form(form, catalog).problems
    assert "(kailangan ito kapag leather ang Tela)" in problem.message, problem.message
    assert ", kailangan kapag ang" not in problem.message
