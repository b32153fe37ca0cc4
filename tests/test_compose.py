"""docker-compose.yml cannot run here (no Docker engine): check that it is pinned and names only real settings."""

from pathlib import Path

import yaml

from models.settings import PolicySettings, Settings

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = {"worker"}


def settings_env_names() -> set[str]:
    names = set()
    for model in (Settings, PolicySettings):
        for name, field in model.model_fields.items():
            names.add((field.validation_alias or f"ORDERLY_{name}").upper())
    return names


def test_compose_images_are_pinned_and_app_env_names_real_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert APP_SERVICES <= set(services)
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: image {image} is not pinned"
        else:
            assert (ROOT / service["build"] / "Dockerfile").exists() if service["build"] != "." else (
                ROOT / "Dockerfile").exists()
    known = settings_env_names()
    for name in APP_SERVICES:
        unknown = set(services[name].get("environment", {})) - known
        assert not unknown, f"{name} sets variables Orderly does not read: {unknown}"
    assert "FROM python:3.11" in (ROOT / "Dockerfile").read_text()
