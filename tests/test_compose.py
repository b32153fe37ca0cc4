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


def test_temporal_runs_on_supported_images_after_its_schema_jobs(compose):
    """Issue 31, section 5: off the deprecated `temporalio/auto-setup`. The schemas of the default and visibility
    stores are one-off `temporal-sql-tool` jobs of `temporalio/admin-tools` (create, set up, upgrade); the server
    (`temporalio/server`) waits for both to finish; then the job that makes the namespace and search attributes;
    then Orderly. Server and tools are the same pinned version."""
    services = compose["services"]
    images = {name: service["image"] for name, service in services.items()}
    assert not any("auto-setup" in image for image in images.values()), images
    server = services["temporal"]
    assert server["image"].startswith("temporalio/server:")
    version = server["image"].split(":")[1]
    jobs = {name for name, rule in server["depends_on"].items() if rule["condition"] == "service_completed_successfully"}
    stores = {}
    for job in jobs:
        assert images[job] == f"temporalio/admin-tools:{version}", job
        script = " ".join(services[job]["command"])
        database = re.search(r"--db (\w+) update-schema -d (\S+)", script)
        assert database, f"{job} does not upgrade a schema with temporal-sql-tool"
        assert f"--db {database.group(1)} setup-schema -v 0.0" in script
        stores[database.group(1)] = database.group(2)
        assert services[job]["depends_on"]["postgresql"]["condition"] == "service_healthy"
    assert stores == {"temporal": "/etc/temporal/schema/postgresql/v12/temporal/versioned",
                      "temporal_visibility": "/etc/temporal/schema/postgresql/v12/visibility/versioned"}
    attributes = services["search-attributes"]
    assert attributes["image"] == f"temporalio/admin-tools:{version}"
    assert attributes["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert "namespace create --namespace default" in " ".join(attributes["command"])
    for name in APP_SERVICES - {"codec-server"}:
        assert services[name]["depends_on"]["search-attributes"]["condition"] == "service_completed_successfully"

    def started_before(first: str, then: str) -> bool:  # `then` waits, directly or not, for `first`
        waits = set(services[then].get("depends_on") or {})
        return first in waits or any(started_before(first, w) for w in waits)

    for first, then in (("temporal-schema", "temporal"), ("temporal-visibility-schema", "temporal"),
                        ("temporal", "search-attributes"), ("search-attributes", "web"),
                        ("search-attributes", "worker")):
        assert started_before(first, then) and not started_before(then, first), (first, then)
