"""An outside team's application, built as docs/tutorial.md says, in a fresh virtualenv.

What a new user has: the built wheel with only the `[rest]` extra, pytest and pytest-django, a
project from `django-admin startproject`, two apps from `manage.py startdomain`, and the files
they write by hand, which are `project/` here, exactly as the tutorial shows them (models,
interface declarations, services, settings): no client, view, route, contract body or fixture.

The application then runs, with only the settings module changed between the runs:

1. as one monolith: both domains local, one SQLite database per domain;
2. as two services, each with `manage.py runserver` on its own port: books asks authors over
   REST whether an author exists, authors asks books before deleting an author (PROTECT);
3. as one monolith again, on the same databases, with what the services wrote.

Each run creates an author and a book of that author, is refused a book of a missing author
(400 naming `author`) and the deletion of an author who has books (409).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from domain_services.testing.network import free_port
from tests.outside_app import steps

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = Path(__file__).resolve().parent / "project"
TUTORIAL = ROOT / "docs" / "tutorial.md"
TIMEOUT = 120  # seconds for one command; the whole module takes about a minute and a half


def run(*command: str | Path, cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run one step; its output, or a failure that shows it."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return result.stdout + result.stderr


def step(command: str, *, cwd: Path, env: Mapping[str, str]) -> str:
    """One command of the tutorial, as it shows it: `python`, `pytest` and `django-admin` are
    the virtualenv's, first on the PATH of `env`."""
    return run(*shlex.split(command), cwd=cwd, env=env)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel built from this checkout, `[rest]` only, and the test
    tools; pip's own cache keeps the downloads from one run to the next."""
    tmp = tmp_path_factory.mktemp("outside")
    # Built from a copy: nothing of the build lands in the shared working tree.
    source = tmp / "source"
    shutil.copytree(
        ROOT / "domain_services",
        source / "domain_services",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(
        sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", source, cwd=tmp
    )
    (wheel,) = (tmp / "dist").glob("django_domain_services-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp)
    # steps.INSTALL, with the wheel of this checkout in place of the released package.
    run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "-q",
        f"{wheel}[rest]",
        "pytest",
        "pytest-django",
        cwd=tmp,
    )
    return venv


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    """The environment the tutorial exports: one secret token per caller."""
    return {
        name: secrets.token_urlsafe(32)
        for name in ("FRONTEND_TOKEN", "AUTHORS_SERVICE_TOKEN", "BOOKS_SERVICE_TOKEN")
    }


@pytest.fixture(scope="module")
def env(venv: Path, tokens: dict[str, str]) -> dict[str, str]:
    """The shell of a user who activated the virtualenv and exported the tokens."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    environ.pop("DATABASE_URL", None)
    return {
        **environ,
        **tokens,
        "PATH": f"{venv / 'bin'}{os.pathsep}{environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
    }


@pytest.fixture(scope="module")
def library(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial's project, built step by step as it says, up to `runserver`."""
    project = tmp_path_factory.mktemp("library")
    step(steps.START_PROJECT, cwd=project, env=env)
    add_to_installed_apps(project / "config" / "settings.py", ["domain_services"])
    for command in steps.START_DOMAINS:
        step(command, cwd=project, env=env)
    for name in steps.WRITTEN:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(HAND_WRITTEN / name, project / name)
    for command in (*steps.REMAKE_BOOKS_MIGRATION, *steps.MIGRATE_MONOLITH):
        step(command, cwd=project, env=env)
    return project


def add_to_installed_apps(settings: Path, apps: list[str]) -> None:
    """What the tutorial asks of `startproject`'s settings: these apps after staticfiles."""
    text = settings.read_text()
    anchor = "'django.contrib.staticfiles',\n"
    assert anchor in text, "startproject's settings changed shape"
    settings.write_text(text.replace(anchor, anchor + "".join(f"    '{a}',\n" for a in apps)))


class API:
    """The frontend's view of one running project: JSON over HTTP with its bearer token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: dict[str, object]) -> requests.Response:
        return self.session.post(f"{self.url}/api/v1/{path}", json=body, timeout=30)

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.url}/api/v1/{path}", timeout=30)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(f"{self.url}/api/v1/{path}", timeout=30)


class Runserver:
    """One of the tutorial's `runserver` steps, as a context manager that waits until /health
    answers 200: on a free port instead of the one shown, and without the autoreloader (whose
    child process would outlive the parent this test stops)."""

    def __init__(self, project: Path, env: Mapping[str, str], command: str, port: int) -> None:
        arguments = [a for a in shlex.split(command) if not a.isdigit()]
        at = arguments.index("runserver") + 1
        arguments[at:at] = ["--noreload", f"127.0.0.1:{port}"]
        self.arguments, self.project, self.env = arguments, project, dict(env)
        self.url = f"http://127.0.0.1:{port}"
        self.log = project / f"runserver-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                self.arguments,
                cwd=self.project,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_health(self.url, self.process, self.log)
        except BaseException:
            self.stop()
            raise
        return self.url

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate the server (this process only) and wait for it."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url}/health did not answer 200 within 60 s:\n{log.read_text()}")


def exercise(authors: API, books: API, author_name: str, title: str) -> tuple[str, str]:
    """The tutorial's four calls; (the author's UUID, the book's UUID)."""
    created = authors.post("authors/", {"name": author_name})
    assert created.status_code == 201, created.text
    author = created.json()
    assert author["name"] == author_name

    book = books.post("books/", {"title": title, "author": author["uuid"]})
    assert book.status_code == 201, book.text
    assert book.json()["author"] == author["uuid"]

    orphan = books.post("books/", {"title": "Orphan", "author": steps.MISSING_AUTHOR})
    assert orphan.status_code == 400, orphan.text
    assert orphan.text == tutorial_json("invalid"), "the tutorial shows another answer"

    refused = authors.delete(f"authors/{author['uuid']}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"Cannot delete: authors.Author {author['uuid']} is referred to by books.Book.author "
        "(once) (on_delete=protect)."
    )
    assert authors.get(f"authors/{author['uuid']}").status_code == 200
    return author["uuid"], book.json()["uuid"]


def tutorial_json(code: str) -> str:
    """The error answer with this `code` as the tutorial prints it."""
    (line,) = [
        line for line in TUTORIAL.read_text().splitlines() if line.startswith(f'{{"code":"{code}"')
    ]
    return line


def titles(api: API, author: str) -> list[str]:
    answer = api.get(f"books/?author={author}&ordering=title")
    assert answer.status_code == 200, answer.text
    return [book["title"] for book in answer.json()["results"]]


def test_check_reports_the_cross_domain_foreign_key_the_tutorial_starts_from(
    env: dict[str, str], tmp_path: Path
) -> None:
    step(steps.START_PROJECT, cwd=tmp_path, env=env)
    for command in steps.START_APPS:
        step(command, cwd=tmp_path, env=env)
    for app in ("authors", "books"):
        shutil.copy(HAND_WRITTEN / "before" / app / "models.py", tmp_path / app / "models.py")
    add_to_installed_apps(
        tmp_path / "config" / "settings.py", ["domain_services", "authors", "books"]
    )

    check = subprocess.run(
        shlex.split(steps.CHECK), cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert check.returncode == 1
    shown = TUTORIAL.read_text().split("```text\nERRORS:\n", 1)[1].split("```", 1)[0]
    assert shown.strip() and shown in check.stderr, check.stderr


def test_the_generated_and_written_code_passes_check_and_its_contract_tests(
    library: Path, env: dict[str, str]
) -> None:
    assert "no issues" in step(steps.CHECK, cwd=library, env=env)
    for settings in ("config.authors_service", "config.books_service"):
        assert "no issues" in step(f"{steps.CHECK} --settings {settings}", cwd=library, env=env)
    step("python manage.py makemigrations --check --dry-run", cwd=library, env=env)

    out = step(steps.TEST, cwd=library, env=env)

    passed = re.search(r"\b(\d+) passed\b", out)
    assert passed and " failed" not in out and " error" not in out, out
    promised = re.search(
        r"`pytest` runs both contract tests, [^:]*: (\d+) tests", TUTORIAL.read_text()
    )
    assert promised and promised.group(1) == passed.group(1), "the tutorial says otherwise"


def test_one_monolith_then_two_services_then_one_monolith_again(
    library: Path, env: dict[str, str], tokens: dict[str, str]
) -> None:
    token = tokens["FRONTEND_TOKEN"]

    with Runserver(library, env, steps.RUN_MONOLITH, free_port()) as url:
        monolith = API(url, token)
        le_guin, _ = exercise(monolith, monolith, "Ursula K. Le Guin", "The Dispossessed")
        # The pages the tutorial points at: the API docs (assets served locally) and the admin.
        docs = requests.get(f"{url}/api/docs/", timeout=30)
        assert docs.status_code == 200 and "swagger-ui" in docs.text
        assert requests.get(f"{url}/admin/login/", timeout=30).status_code == 200

    ports = {"authors": free_port(), "books": free_port()}
    services_env = {
        **env,
        "AUTHORS_SERVICE_URL": f"http://127.0.0.1:{ports['authors']}",
        "BOOKS_SERVICE_URL": f"http://127.0.0.1:{ports['books']}",
    }
    for command in steps.MIGRATE_SERVICES:
        step(command, cwd=library, env=services_env)
    # Authors first: books is healthy once the domain it calls answers.
    authors_service = Runserver(library, services_env, steps.RUN_AUTHORS, ports["authors"])
    books_service = Runserver(library, services_env, steps.RUN_BOOKS, ports["books"])
    with authors_service as a, books_service as b:
        authors, books = API(a, token), API(b, token)
        # Each domain moved out with its database: what the monolith wrote is there.
        assert titles(books, le_guin) == ["The Dispossessed"]
        assert authors.get(f"authors/{le_guin}").json()["name"] == "Ursula K. Le Guin"
        # ... and each service serves its own domain only.
        assert books.get("authors/").status_code == 404
        assert authors.get("books/").status_code == 404
        butler, _ = exercise(authors, books, "Octavia E. Butler", "Kindred")
        assert books.post("books/", {"title": "Always Coming Home", "author": le_guin}).ok

        # With books down, authors stays healthy (REQUIRED: False), but no author is deleted
        # while nobody can say whether books refer to her.
        books_service.stop()
        assert requests.get(f"{a}/health", timeout=30).status_code == 200
        lonely = authors.post("authors/", {"name": "Nobody Yet"}).json()["uuid"]
        assert authors.delete(f"authors/{lonely}").status_code == 503
        assert authors.get(f"authors/{lonely}").status_code == 200

        # With authors down, no book gets an author nobody checked.
        with books_service:
            authors_service.stop()
            unchecked = books.post("books/", {"title": "The Word for World", "author": le_guin})
            assert unchecked.status_code == 503, unchecked.text
            assert titles(books, le_guin) == ["Always Coming Home", "The Dispossessed"]

    with Runserver(library, env, steps.RUN_MONOLITH, free_port()) as url:
        monolith = API(url, token)
        assert titles(monolith, le_guin) == ["Always Coming Home", "The Dispossessed"]
        assert titles(monolith, butler) == ["Kindred"]
        exercise(monolith, monolith, "N. K. Jemisin", "The Fifth Season")
