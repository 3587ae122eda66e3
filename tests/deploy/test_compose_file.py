"""deploy/compose.yaml against the Compose Specification's schema (vendored: Docker is not on the test machines),
and what the schema cannot see: every named volume declared, every dependency a service, every file it mounts from
deploy/ present, the hub's configuration mounted where its command reads it, every secret it interpolates listed in
gridline.env.example, and the hub's health check and workers."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema_rs
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SCHEMA = Path(__file__).with_name("compose-spec.json")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_is_valid_compose():
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    assert [e.message for e in validator.iter_errors(compose())] == []
    broken = {"services": {"hub": {"image": 3, "restart": "sometimes", "healthcheck": {"test": 1}}}}
    assert len(list(validator.iter_errors(broken))) >= 2  # the schema does check what it is given


def test_what_the_schema_cannot_check():
    spec = compose()
    services, volumes = spec["services"], set(spec["volumes"])
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), (name, source)
            else:
                assert source in volumes, (name, source)
    hub = services["hub"]
    config = hub["command"][hub["command"].index("--config") + 1]
    assert any(m.endswith(f":{config}:ro") for m in hub["volumes"]), "the hub's configuration is not mounted"
    assert "--workers" in hub["command"] and "/api/health" in " ".join(hub["healthcheck"]["test"])
    assert services["mosquitto"]["depends_on"]["hub-init"]["condition"] == "service_completed_successfully"


def test_every_interpolated_secret_is_in_the_example_env_file():
    used = set(re.findall(r"\$\{(GRIDLINE_[A-Z_]+)", (DEPLOY / "compose.yaml").read_text()))
    listed = set(re.findall(r"^(GRIDLINE_[A-Z_]+)=", (DEPLOY / "gridline.env.example").read_text(), re.MULTILINE))
    assert used and used <= listed, used - listed
