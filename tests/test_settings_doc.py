"""docs/settings.md is generated from the settings models: it must be up to date and say what each setting means."""

from __future__ import annotations

from models.settings import PolicySettings, Settings
from starter import settings_doc


def test_committed_settings_table_is_up_to_date():
    assert settings_doc.DOC.read_text(encoding="utf-8") == settings_doc.render(), (
        "docs/settings.md is out of date: run `.venv/bin/python -m starter.settings_doc` and commit it")


def test_every_setting_has_a_meaning():
    missing = [name for model in (Settings, PolicySettings) for name, field in model.model_fields.items()
               if not settings_doc.meaning(name, field)]
    assert not missing, f"describe these settings (Field(description=...) or settings_doc.MEANINGS): {missing}"


def test_env_names_follow_the_aliases():
    names = settings_doc.all_env_names()
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_API_KEY", "SENDGRID_API_KEY", "ORDERLY_WORKER_MODE",
            "ORDERLY_DATABASE_URL", "ORDERLY_FEEDBACK_DELAY"} <= names
    assert "ORDERLY_TEMPORAL_ADDRESS" not in names
