"""The message catalogs are complete: every message a customer can read is extracted by Babel and has its Filipino.

Two ways English could slip into a Filipino message, each caught here: a string marked for translation that the
Filipino catalog lacks (or leaves empty, fuzzy, or with other placeholders), and a customer template with words
written straight into it instead of through gettext.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment

from models.i18n import LOCALE_DIR

ROOT = Path(__file__).parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "translate": (2,), "translate_plural": (2, 3)}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
CUSTOMER_TEMPLATES = [
    *sorted((ROOT / "activities" / "templates").glob("_customer.*.j2")),
    *[ROOT / "activities" / "templates" / f"{kind}.{part}.j2" for kind in (
        "form_incomplete", "form_reminder", "form_expired", "order_confirmation", "delay_notice", "late_notice",
        "shipping_notice", "feedback_request", "feedback_reminder", "cancellation_notice") for part in ("txt", "html")],
    *[ROOT / "activities" / "templates" / f"_lines.{part}.j2" for part in ("txt", "html")],
    *[ROOT / "starter" / "templates" / name for name in (
        "_page.html", "_fields.html", "order_form.html", "status.html", "survey.html", "refused.html", "message.html")],
]


def extracted() -> dict[str, set[str]]:
    """msgid -> where it is, as `make messages` extracts them (babel.cfg)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, set()).add(filename)
    return found


def filipino():
    with open(LOCALE_DIR / "fil" / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale="fil")


def test_the_extraction_finds_the_customer_messages():
    found = extracted()
    assert len(found) > 150
    for msgid in ("Dear %(name)s,", "missing: %(what)s", "Order {id} confirmed: expected ready by {date}",
                  "Place an order", "We received your order", "This link has expired. Contact us and we will send "
                  "you a new one."):
        assert msgid in found, msgid


def test_every_extracted_message_has_its_filipino_translation():
    catalog = filipino()
    problems = []
    for msgid, where in sorted(extracted().items()):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"not in fil/messages.po (run `make messages`): {msgid!r} ({', '.join(sorted(where))})")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings) or entry.fuzzy:
            problems.append(f"no Filipino translation: {msgid!r}")
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        if any(set(PLACEHOLDER.findall(s)) != wanted for s in strings):
            problems.append(f"placeholders differ: {msgid!r} -> {strings!r}")
    assert not problems, "\n".join(problems)


def test_the_catalog_holds_no_message_the_code_no_longer_has():
    current = extracted()
    stale = sorted(msgid for m in filipino() if m.id and (msgid := m.id if isinstance(m.id, str) else m.id[0])
                   not in current)
    assert not stale, f"obsolete entries in fil/messages.po (run `make messages`): {stale}"


def words_outside_gettext(path: Path) -> list[str]:
    """Words written straight into a template (its text, outside tags, expressions and HTML markup)."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    data = "".join(value for _line, kind, value in env.lex(path.read_text(encoding="utf-8")) if kind == "data")
    text = re.sub(r"<[^>]*>|&\w+;", " ", data)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in {"UTC"}]


def test_customer_templates_say_nothing_outside_the_catalogs():
    written = {path.name: words for path in CUSTOMER_TEMPLATES if (words := words_outside_gettext(path))}
    assert not written, f"words not through gettext (wrap them in _()): {written}"


def test_the_check_of_templates_would_catch_a_word_written_in(tmp_path):
    sneaky = tmp_path / "sneaky.html.j2"
    sneaky.write_text('<p>{{ _("Salamat po") }} Thank you</p><a href="{{ url }}">{{ url }}</a>\n', encoding="utf-8")
    assert words_outside_gettext(sneaky) == ["Thank", "you"]
