"""Schemathesis against the three services of the demo stack: the schemas say what they do.

The stack is `integrations/demo/run.py` (gunicorn services with their seeded data, MongoDB and
Mosquitto on free ports, no simulator), so the device commands the fuzzer sends go to a real
broker. Each service's OpenAPI schema drives schemathesis' engine, as `schemathesis run` does,
with a service token and every check, in every phase (schema examples, coverage of the
boundaries, fuzzing, and call sequences that create, read, change and delete): no server error,
no response outside its schema (status, body, headers, content type), no bad input accepted, no
good input refused. A fixed seed and a bounded number of examples make every run take the same
path, in well under a minute per service.

Two refusals of schema-valid input are the API's contract, not drift, because they depend on
state no schema can describe: a create or update naming a well-formed UUID that refers to
nothing (or to an object the domain's rules exclude, a room of another organization) is a 400
naming that field; an `Idempotency-Key` already used for a different command is a 400 naming it.
`schema_valid_input_is_accepted` stands in for schemathesis' `positive_data_acceptance` and lets
exactly those through.

(The engine rather than schemathesis' pytest plugin: the plugin's `from_fixture` does not run
under pytest 9.2, and the engine is what `schemathesis run` measures.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from domain_services.project_settings import DEV_SERVICE_TOKEN
from domain_services.testing.network import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "integrations" / "demo" / "run.py"
READY_LINE = "Ready. Press Ctrl-C to stop everything."
SERVICES = ("users", "facilities", "devices")
AUTH = {"Authorization": f"Bearer {DEV_SERVICE_TOKEN}"}
START_TIMEOUT = 90.0

SEED = 8  # fixed: every run sends the same requests
MAX_EXAMPLES = 10  # per operation and phase


@schemathesis.check
def schema_valid_input_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' positive_data_acceptance, but for a 400 that depends on stored state.

    Let through only a 400 whose every named field is a reference (it holds a well-formed UUID
    in the request body) or the idempotency key the request sent: valid by the schema, refused
    by the domain for what is stored. Any other refusal of schema-valid input fails as before.
    """
    try:
        return positive_data_acceptance(ctx, response, case)
    except Failure:
        if response.status_code == 400 and _only_stored_state(case, response):
            return None
        raise


def _only_stored_state(case: Any, response: Any) -> bool:
    try:
        errors = json.loads(response.content)["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    body = case.body if isinstance(case.body, dict) else {}
    sent_key = any(name.lower() == "idempotency-key" for name in (case.headers or {}))
    return bool(errors) and all(
        _is_uuid(body.get(field)) or (sent_key and field.lower() == "idempotency_key")
        for field in errors
    )


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- the stack ---------------------------------------------------------------------------------


def _databases(tag: str, tmp: Path) -> dict[str, str]:
    server = os.environ.get("DATABASE_URL")
    if not server:
        return {name: f"sqlite:///{tmp / f'{name}.sqlite3'}" for name in SERVICES}
    parts = urlsplit(server)
    return {name: urlunsplit(parts._replace(path=f"/fuzz_{tag}_{name}")) for name in SERVICES}


def _drop(databases: dict[str, str]) -> None:
    server = os.environ.get("DATABASE_URL")
    if not server:
        return
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(server)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        for url in databases.values():
            name = urlsplit(url).path.lstrip("/")
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The demo stack on free ports, without the simulator; service name -> base URL."""
    tmp = tmp_path_factory.mktemp("fuzz-stack")
    databases = _databases(uuid.uuid4().hex[:8], tmp)
    env = {**os.environ, **{f"{n.upper()}_DATABASE_URL": url for n, url in databases.items()}}
    ports = sorted({free_port() for _ in range(3)})
    while len(ports) < 3:
        ports = sorted({*ports, free_port()})
    output = tmp / "run.out"
    command = [sys.executable, str(RUNNER), "--no-simulator", "--data-dir", str(tmp / "demo")]
    command += ["--ports", ",".join(map(str, ports))]
    with output.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in output.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the demo stack did not start:\n{output.read_text()[-3000:]}")
            time.sleep(0.2)
        yield {name: f"http://127.0.0.1:{port}" for name, port in zip(SERVICES, ports, strict=True)}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        _drop(databases)


def fuzz(base_url: str) -> tuple[list[str], int]:
    """Run schemathesis on one service: its failures (one line each) and the cases it sent."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": AUTH,
            "workers": 1,
            "generation": {"max-examples": MAX_EXAMPLES},
            # Replaced by schema_valid_input_is_accepted, registered above.
            "checks": {"positive_data_acceptance": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/?format=json", config=config)
    failures: list[str] = []
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failures.append(_describe(event.recorder.label, check))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error in {event.label}: {event.info.title}: {event.info}")
    return sorted(set(failures)), cases


def _describe(label: str, check: Any) -> str:
    """One failure: where, which check, what it says and how to reproduce it (shortened)."""
    failure = check.failure_info.failure
    message = " ".join(str(failure.message).split())[:300]
    curl = check.failure_info.code_sample.strip().splitlines()[-1][:400]
    return f"{label}: {check.name}: {failure.title}: {message}\n    {curl}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_api_is_what_its_schema_says(stack: dict[str, str], service: str) -> None:
    failures, cases = fuzz(stack[service])

    assert cases >= 100, cases  # the run did test something
    assert not failures, "\n".join(failures)
