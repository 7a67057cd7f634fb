"""Every portal page reads the same in legacy mode and in services mode, in-process and over
REST: the same views, forms and templates, only `portal.models` differs.

Legacy mode renders the scenario of tests/pages.py in a process of its own (its settings pick
the portal's own models, on a throwaway database); this process renders it on the domains and
compares page by page, forms and their error messages included.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import a_moment_ago
from tests.dataset import seed_domains
from tests.pages import SCENARIO, render_all

PROJECT = Path(__file__).resolve().parent.parent


def legacy_database_url() -> str | None:
    """A database of its own for the legacy run, on the server of DATABASE_URL (if any)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_legacy_pages"))


@pytest.fixture(scope="module")
def seen():
    return a_moment_ago()


@pytest.fixture(scope="module")
def legacy_pages(seen) -> dict[str, Any]:
    env = {**os.environ, "PORTAL_MODELS": "legacy", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    url = legacy_database_url()
    if url:
        env["DATABASE_URL"] = url
    result = subprocess.run(
        [sys.executable, "-m", "tests.pages", seen.isoformat()],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return json.loads(result.stdout)


def test_the_legacy_run_renders_what_the_scenario_expects(legacy_pages):
    # Both modes could fail alike; this pins what legacy mode, the reference, answers.
    status = {name: page["status"] for name, page in legacy_pages.items()}
    assert list(status) == [name for name, *_ in SCENARIO]
    assert status["devices no such page"] == [404] and status["device missing"] == [404]
    assert status["delete a room with devices"] == [409]
    assert status["organization created"] == [302, 200]
    assert all(s[-1] in (200, 404, 409) for s in status.values()), status
    html = {name: page["html"] for name, page in legacy_pages.items()}
    assert "Organization with this Name already exists." in html["organization name taken"]
    stray = html["device in another organization's room"]
    assert "Room &#x27;Globex Tower / Lobby / T001&#x27; belongs to another organization." in stray
    assert html["devices"].count('<tr><td><a href="/devices/') == 50
    assert html["devices page 2"].count('<tr><td><a href="/devices/') == 5
    assert "online" in html["devices"] and "never" in html["devices"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("over", ["in-process", "REST"])
def test_every_page_reads_the_same_in_services_mode(
    request, over, legacy_pages, seen, status_store, client
):
    seed_domains(seen, status_store)
    if over == "REST":
        request.getfixturevalue("over_rest")

    pages = render_all(client)

    different = [name for name in legacy_pages if pages[name] != legacy_pages[name]]
    if different:
        name = different[0]
        want, got = legacy_pages[name], pages[name]
        diff = "\n".join(
            difflib.unified_diff(
                want["html"].replace("><", ">\n<").splitlines(),
                got["html"].replace("><", ">\n<").splitlines(),
                "legacy",
                "services",
                lineterm="",
            )
        )
        pytest.fail(
            f"{len(different)} pages differ: {different}\nfirst, {name!r}: status legacy "
            f"{want['status']} services {got['status']}, redirects {want['redirects']} vs "
            f"{got['redirects']}\n{diff[:6000]}"
        )
