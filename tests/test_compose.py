"""docker-compose.yml cannot run here (no Docker engine): check it as a file. Every image is pinned, every Orderly
service names only settings the app reads, the start order waits on health checks, the search attributes the
workflow uses are registered, and the Dockerfile ships what the app needs at run time (the migrations)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from starter.settings_doc import all_env_names
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = {"worker", "web", "codec-server"}
PINNED = re.compile(r"^[\w./-]+:(?!latest$)[\w.-]*\d[\w.-]*$")  # a tag with a version number, never `latest`
SA_TYPES = {"KEYWORD": "Keyword", "DATETIME": "Datetime"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_image_is_pinned(compose):
    for name, service in compose["services"].items():
        assert "image" in service, f"{name}: no image"
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").exists(), f"{name}: no Dockerfile to build"
        assert PINNED.match(service["image"]), f"{name}: image {service['image']} is not pinned to a version"
    base = re.search(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert PINNED.match(base) and base.startswith("python:3.11"), f"Dockerfile base {base} is not pinned"


def test_app_services_set_only_settings_orderly_reads(compose):
    known = all_env_names()
    services = compose["services"]
    assert APP_SERVICES <= set(services)
    app_services = {name for name, service in services.items() if "build" in service}  # Orderly's own image
    assert APP_SERVICES <= app_services
    for name in app_services:
        env = services[name]["environment"]
        unknown = set(env) - known
        assert not unknown, f"{name} sets variables Orderly does not read: {sorted(unknown)}"
        assert env["ORDERLY_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    dockerfile_env = set(re.findall(r"\b(ORDERLY_\w+|TEMPORAL_\w+)=", (ROOT / "Dockerfile").read_text()))
    assert dockerfile_env <= known, f"Dockerfile sets unknown settings: {dockerfile_env - known}"


def test_start_order_waits_for_healthy_dependencies(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}, which has no healthcheck"
            else:
                assert condition == "service_completed_successfully", f"{name} -> {dependency}: {condition}"
    for name in ("postgresql", "temporal", "mailpit", *APP_SERVICES):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert services["web"]["healthcheck"]["test"][-1].count("/readyz") == 1
    assert "ports" not in services["worker"], "a published worker port would stop --scale worker=N"
    assert services["worker"]["depends_on"]["search-attributes"]["condition"] == "service_completed_successfully"


def test_the_workflows_search_attributes_are_registered(compose):
    script = " ".join(compose["services"]["search-attributes"]["command"])
    for key in SEARCH_ATTRIBUTES:
        assert f"--name {key.name} --type {SA_TYPES[key.indexed_value_type.name]}" in script, key.name


def test_image_ships_the_migrations_and_the_read_model_database_exists():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("models", "workflows", "activities", "channels", "store", "plumbing", "starter"):
        assert f"COPY {folder} ./{folder}" in dockerfile
    assert (ROOT / "store" / "migrations" / "env.py").is_file(), "the migrations ship inside store/"
    init = (ROOT / "deploy" / "postgres-init.sql").read_text()
    assert "CREATE DATABASE orderly" in init
