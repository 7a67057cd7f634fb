#!/usr/bin/env python3
"""Run the whole demo: users, facilities and devices services, MongoDB, Mosquitto, the MQTT
consumer, the facilities event relay, the devices event consumer and the device fleet
simulator, each as its own process, with demo data.

    python integrations/demo/run.py            # what `make demo` runs; Ctrl-C stops everything

Steps: migrate and seed each project's own database and collect its static files; start
MongoDB (an `nx-27017` server with its data under the data folder, unless MONGODB_URL is set)
and Mosquitto (the `mosquitto` binary on a free port with the project's config made local and
anonymous, unless MQTT_URL is set); create the MongoDB indexes; start the three services (each
served by gunicorn, static files by WhiteNoise), the consumer, the event relay and consumer and
the simulator; wait until every `/health` answers 200; fill the devices service's copy of the
rooms from facilities (`rebuild_room_view`); serve the portal webapp on the three services
(projects/portal, PORTAL_MODELS=services); print the URLs. Running it again reuses the
databases and data.

Databases: <PROJECT>_DATABASE_URL (USERS_, FACILITIES_, DEVICES_) for one project; otherwise
DATABASE_URL names a server on which each project gets its own database `<name>_<project>`;
otherwise each project's SQLite file beside it. PostgreSQL databases are created if missing.
MONGODB_URL and MQTT_URL replace the local MongoDB and broker; SERVICE_TOKEN the development
token the services accept from each other. With DEBUG=0 the services run with their production
settings over plain HTTP on 127.0.0.1: a SECRET_KEY and a service token are generated once per
data folder (<data-dir>/secrets.json) unless SECRET_KEY and SERVICE_TOKEN are set, and the token
is printed. Every process's output is printed with its name and written to <data-dir>/logs/.
Ctrl-C or SIGTERM stops every process and exits 0. See docs/demo.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script: make the library importable from the checkout
    sys.path.insert(0, str(REPO))

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from domain_services.integrations.rest.tokens import split_tokens  # noqa: E402
from domain_services.project_settings import DEV_SERVICE_TOKEN, env_debug  # noqa: E402
from domain_services.testing.network import accepts, free_port  # noqa: E402
from org_interfaces import demo_data  # noqa: E402

DEFAULT_DATA_DIR = REPO / ".demo"
DEFAULT_PORTS = (8001, 8002, 8003)
# The portal (projects/portal) in services mode: 8004 beside the default ports, else a free one.
DEFAULT_PORTAL_PORT = 8004
MONGO_DATABASE = "devices"
MOSQUITTO_CONFIG = REPO / "integrations" / "mosquitto" / "mosquitto.conf"
SIMULATOR = REPO / "integrations" / "fleet_simulator" / "simulate.py"
# Seconds between two statuses of one demo device. Kept above one second: the simulator's
# device clocks start a day back at every start and advance one second per status, so a
# restarted demo only overtakes what the last run stored if its clocks ran slower than real time.
SIMULATOR_INTERVAL = 2.0
READY_TIMEOUT = 90.0
# What `manage.py mqtt_consume` logs once it has subscribed.
CONSUMER_READY_TEXT = "subscribed to devices/"
CONSUMER_READY_TIMEOUT = 30.0
# What `manage.py consume_events` logs once it has subscribed.
EVENTS_READY_TEXT = "subscribed to events/"
STOP_TIMEOUT = 10.0
# gunicorn per service: the demo runs three services and five other processes on one small
# machine, so two workers of four threads each (docs/deployment.md sizes a real deployment).
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
GUNICORN_TIMEOUT = 30  # seconds a worker may stay silent before it is replaced
GUNICORN_GRACEFUL_TIMEOUT = 5  # seconds to finish requests on SIGTERM: within STOP_TIMEOUT
GUNICORN_HINT = "pip install gunicorn whitenoise (the [serve] extra, in [all]: `make venv`)"
# With DEBUG off the services run their production settings, but the demo speaks plain HTTP on
# 127.0.0.1: no HTTPS redirect, no HSTS, cookies not marked HTTPS-only (unless set).
PLAIN_HTTP = {
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
}
SECRETS_FILE = "secrets.json"
READY_LINE = "Ready. Press Ctrl-C to stop everything."
NX_HINT = "pip install nx-27017 (it is in the [dev] extra: `make venv`), or set MONGODB_URL"
MOSQUITTO_HINT = (
    "install Mosquitto (`apt-get install mosquitto`, `brew install mosquitto`), "
    "or set MQTT_URL to a broker"
)


@dataclass(frozen=True)
class Project:
    """One standalone Django project of `projects/`."""

    name: str  # the domain it owns, also its app label and SQLite file name
    port: int

    @property
    def directory(self) -> Path:
        return REPO / "projects" / f"{self.name}_service"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sqlite_path(self) -> Path:
        """Where `project_settings.database_settings` puts the SQLite file without a URL."""
        return self.directory / f"{self.name}.sqlite3"

    def gunicorn_argv(self) -> list[str]:
        """The production command (docs/deployment.md), sized for the demo, on 127.0.0.1."""
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(GUNICORN_WORKERS),
            "--threads",
            str(GUNICORN_THREADS),
            "--timeout",
            str(GUNICORN_TIMEOUT),
            "--graceful-timeout",
            str(GUNICORN_GRACEFUL_TIMEOUT),
            "--access-logfile",
            "-",
            # Three masters of one user would share the default control socket path.
            "--no-control-socket",
            "--name",
            f"{self.name}-service",
        ]


@dataclass(frozen=True)
class Portal(Project):
    """The portal webapp, in services mode: its pages read the three services over REST."""

    @property
    def directory(self) -> Path:
        return REPO / "projects" / "portal"

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        # No database of its own to prepare: in services mode no page reads one.
        return {**base, "PORTAL_MODELS": "services"}


def projects_on(ports: Sequence[int]) -> list[Project]:
    """The three projects, in the order they depend on each other."""
    users, facilities, devices = ports
    return [Project("users", users), Project("facilities", facilities), Project("devices", devices)]


class DemoError(Exception):
    """Something the user must fix; the message says what."""


class Stop(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM: stop everything and exit 0."""


# Databases


def database_url(project: Project, environ: Mapping[str, str]) -> str | None:
    """The project's `DATABASE_URL`, or None for its SQLite file beside it."""
    own = environ.get(f"{project.name.upper()}_DATABASE_URL")
    if own:
        return own
    shared = environ.get("DATABASE_URL")
    if not shared:
        return None
    if shared.startswith("sqlite"):
        raise DemoError(
            "DATABASE_URL is a SQLite URL: the three projects would share one file. Unset it "
            "(each project then gets its own SQLite file) or set USERS_DATABASE_URL, "
            "FACILITIES_DATABASE_URL and DEVICES_DATABASE_URL."
        )
    parts = urlsplit(shared)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_{project.name}"))


def ensure_postgres_database(url: str) -> bool:
    """Create the PostgreSQL database of `url` if it does not exist; True if it was created."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return False
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def redact(url: str) -> str:
    """`url` without its password, for printing."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def with_database(url: str, name: str) -> str:
    """A mongodb:// URL naming database `name` when it names none."""
    parts = urlsplit(url)
    if parts.path.strip("/"):
        return url
    return urlunsplit(parts._replace(path=f"/{name}"))


# Processes


def find_executable(name: str, hint: str) -> str:
    """`name` next to this interpreter, on PATH, or in an sbin folder; else DemoError."""
    candidates = [Path(sys.executable).parent / name]
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates += [Path(folder) / name for folder in ("/usr/sbin", "/usr/local/sbin")]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise DemoError(f"The {name!r} executable was not found; {hint}.")


@dataclass
class Child:
    """A long-running process in its own process group, its output prefixed with its name."""

    name: str
    argv: list[str]
    cwd: Path
    env: Mapping[str, str]
    log_path: Path
    echo: bool = True  # copy its output to our stdout (else only to the log file)
    ready_text: str = ""  # a line containing this means it is ready: sets `ready`
    ready: threading.Event = field(default_factory=threading.Event, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, out: Output) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own group: a terminal's Ctrl-C reaches only us, we stop children in order,
            # and whatever a child starts itself goes with it.
            start_new_session=True,
        )
        out.line("demo", f"started {self.name} (pid {self.process.pid})")
        assert self.process.stdout is not None
        threading.Thread(
            target=out.pump,
            args=(self, self.process.stdout),
            daemon=True,
        ).start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        """Send `signum` to the child's whole process group."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def wait(self, timeout: float) -> bool:
        """Wait for the child to exit; True if it did."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True


class Output:
    """Our stdout, shared by the children's output threads, and their log files."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self.lock:
            self.stream.write(f"{name:<12}| {text}\n")
            self.stream.flush()

    def block(self, text: str) -> None:
        with self.lock:
            self.stream.write(text)
            self.stream.flush()

    def pump(self, child: Child, source: IO[bytes]) -> None:
        """Copy a child's output to its log file (and to our stdout) until it closes."""
        with source, child.log_path.open("ab") as log:
            for raw in iter(source.readline, b""):
                log.write(raw)
                log.flush()
                text = raw.decode(errors="replace").rstrip()
                if child.ready_text and child.ready_text in text:
                    child.ready.set()
                if child.echo:
                    self.line(child.name, text)


def stop_all(children: Sequence[Child], out: Output) -> None:
    """One after another in this order: SIGTERM the child's group, wait, SIGKILL what remains."""
    for child in children:
        if child.running:
            child.signal(signal.SIGTERM)
        if not child.wait(STOP_TIMEOUT):
            out.line("demo", f"{child.name} did not stop within {STOP_TIMEOUT:.0f}s: killed")
            child.signal(signal.SIGKILL)
            child.wait(STOP_TIMEOUT)
        # Anything the child left in its group goes too.
        child.signal(signal.SIGKILL)


# The demo


@dataclass
class Demo:
    """Everything the demo runs, built from the command line and the environment."""

    projects: list[Project]
    data_dir: Path
    simulator: bool
    environ: Mapping[str, str]
    out: Output
    mongodb_url: str = ""
    mqtt_url: str = ""
    portal: Portal | None = None
    children: list[Child] = field(default_factory=list)
    _secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def debug(self) -> bool:
        """`DEBUG` as the services will read it from the environment."""
        try:
            return env_debug(self.environ)
        except ImproperlyConfigured as exc:
            raise DemoError(str(exc)) from None

    def generated_secrets(self) -> dict[str, str]:
        """This data folder's own SECRET_KEY and SERVICE_TOKEN, made on first use.

        Kept in `<data-dir>/secrets.json` (readable by its owner only), so a second run keeps
        its sessions and token; never the development ones, which DEBUG off refuses.
        """
        if self._secrets:
            return self._secrets
        path = self.data_dir / SECRETS_FILE
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            stored = {}
        values = {
            "SECRET_KEY": stored.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "SERVICE_TOKEN": stored.get("SERVICE_TOKEN") or secrets.token_urlsafe(32),
        }
        if values != stored:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(values, file, indent=2)
        self._secrets = values
        return values

    def service_token(self) -> str:
        """The token every service sends: the first of SERVICE_TOKEN, else the default one."""
        given = split_tokens(self.environ.get("SERVICE_TOKEN", ""))
        if given:
            return given[0]
        if self.debug:
            return DEV_SERVICE_TOKEN
        return self.generated_secrets()["SERVICE_TOKEN"]

    def check_prerequisites(self) -> None:
        """Fail before starting anything: ports taken, binaries missing."""
        for project in self.projects:
            if accepts("127.0.0.1", project.port):
                raise DemoError(
                    f"Port {project.port} (the {project.name} service) is in use. Stop what "
                    "listens there, or pick other ports: make demo DEMO_ARGS='--ports 9001,9002,"
                    "9003'."
                )
        if self.portal is not None and accepts("127.0.0.1", self.portal.port):
            raise DemoError(
                f"Port {self.portal.port} (the portal) is in use; pick another: make demo "
                "DEMO_ARGS='--portal-port 9004'."
            )
        if not self.environ.get("MONGODB_URL"):
            find_executable("nx-27017", NX_HINT)
        if not self.environ.get("MQTT_URL"):
            find_executable("mosquitto", MOSQUITTO_HINT)
        for module in ("gunicorn", "whitenoise"):
            if importlib.util.find_spec(module) is None:
                raise DemoError(f"{module} is not installed; {GUNICORN_HINT}.")
        self.debug  # noqa: B018 - a DEBUG that is not a boolean stops the demo here

    def base_env(self) -> dict[str, str]:
        """The environment every Django process gets: where everything else is."""
        env = dict(self.environ)
        # A caller's settings module (pytest-django sets one) must not replace config.settings.
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        env["PYTHONUNBUFFERED"] = "1"
        if not self.debug:
            generated = self.generated_secrets()
            for key in ("SECRET_KEY", "SERVICE_TOKEN"):
                env[key] = env.get(key) or generated[key]
            for key, value in PLAIN_HTTP.items():
                env.setdefault(key, value)
        token = self.service_token()
        for project in self.projects:
            env[f"{project.name.upper()}_SERVICE_URL"] = project.url
            # The token each service sends to the others is the one they all accept.
            env.setdefault(f"{project.name.upper()}_SERVICE_TOKEN", token)
        if self.mongodb_url:
            env["MONGODB_URL"] = self.mongodb_url
        if self.mqtt_url:
            env["MQTT_URL"] = self.mqtt_url
        return env

    def project_env(self, project: Project) -> dict[str, str]:
        env = self.base_env()
        url = database_url(project, self.environ)
        if url:
            env["DATABASE_URL"] = url
        # One folder per project (each has its own manifest), in the data folder: two demos
        # with different data folders never write into each other's static files.
        env["STATIC_ROOT"] = str(self.static_root(project))
        return env

    def static_root(self, project: Project) -> Path:
        """Where `collectstatic` puts the project's static files and WhiteNoise serves them."""
        return self.data_dir / "static" / project.name

    def manage(self, project: Project, *args: str) -> str:
        """Run `manage.py <args>` in the project to completion; its output, or DemoError."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=project.directory,
            env=self.project_env(project),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise DemoError(
                f"`manage.py {' '.join(args)}` failed in {project.directory.relative_to(REPO)} "
                f"(exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def prepare_project(self, project: Project) -> str:
        """Create (PostgreSQL), migrate and seed the project's database, and collect its static
        files into its STATIC_ROOT, which WhiteNoise serves; what seed_demo said."""
        url = database_url(project, self.environ)
        if url and ensure_postgres_database(url):
            self.out.line(project.name, f"created database {redact(url)}")
        self.manage(project, "migrate", "--noinput")
        self.manage(project, "collectstatic", "--noinput", "--verbosity", "0")
        return self.manage(project, "seed_demo").strip()

    def prepare_databases(self) -> None:
        # Three projects, three databases: migrate them side by side.
        with ThreadPoolExecutor(max_workers=len(self.projects)) as pool:
            results = pool.map(self.prepare_project, self.projects)
            for project, said in zip(self.projects, results, strict=True):
                self.out.line(project.name, f"migrated, static files collected, seeded: {said}")

    def start_mongodb(self) -> None:
        url = self.environ.get("MONGODB_URL")
        if url:
            self.mongodb_url = with_database(url, MONGO_DATABASE)
            return
        folder = self.data_dir / "mongo"
        (folder / "data").mkdir(parents=True, exist_ok=True)
        port = free_port()
        child = Child(
            name="mongodb",
            argv=[
                find_executable("nx-27017", NX_HINT),
                # One file per logical database in this folder: kept between runs.
                "--data-dir",
                str(folder / "data"),
                "--host",
                "127.0.0.1",
                "-p",
                str(port),
                "--log-file",
                str(folder / "server.log"),
                "--pid-file",
                str(folder / "server.pid"),
            ],
            cwd=folder,
            env=self.environ,
            log_path=self.logs / "mongodb.log",
            echo=False,
        )
        self.launch(child)
        self.wait_for_port(child, port)
        self.mongodb_url = f"mongodb://127.0.0.1:{port}/{MONGO_DATABASE}"

    def mosquitto_config(self, port: int) -> str:
        """The project's Mosquitto config, made local: this port, anonymous, data here."""
        folder = self.data_dir / "mosquitto"
        replaced = {
            "listener": f"listener {port} 127.0.0.1",
            "allow_anonymous": "allow_anonymous true",
            "persistence_location": f"persistence_location {folder / 'data'}/",
            "log_dest": "log_dest stdout",
        }
        dropped = {"password_file", "acl_file", "pid_file", "include_dir", "user"}
        lines = [f"# Generated by integrations/demo/run.py from {MOSQUITTO_CONFIG.name}: local"]
        lines.append("# and anonymous (no passwords, no ACL), for the demo only.")
        seen: set[str] = set()
        for raw in MOSQUITTO_CONFIG.read_text().splitlines():
            words = raw.split()
            key = words[0] if words and not words[0].startswith("#") else ""
            if key in dropped:
                continue
            if key in replaced:
                if key in seen:
                    continue
                seen.add(key)
                lines.append(replaced[key])
            else:
                lines.append(raw)
        for key, value in replaced.items():
            if key not in seen:
                # A listener must come before the options that apply to it.
                lines.insert(2 if key == "listener" else len(lines), value)
        if "persistence" not in {line.split()[0] for line in lines if line.split()}:
            lines.append("persistence true")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # As root Mosquitto switches to the `mosquitto` user, who cannot write our folder.
            lines.append("user root")
        return "\n".join(lines) + "\n"

    def start_mosquitto(self) -> None:
        url = self.environ.get("MQTT_URL")
        if url:
            self.mqtt_url = url
            return
        folder = self.data_dir / "mosquitto"
        (folder / "data").mkdir(parents=True, exist_ok=True)
        port = free_port()
        config = folder / "mosquitto.conf"
        config.write_text(self.mosquitto_config(port))
        child = Child(
            name="mosquitto",
            argv=[find_executable("mosquitto", MOSQUITTO_HINT), "-c", str(config)],
            cwd=folder,
            env=self.environ,
            log_path=self.logs / "mosquitto.log",
            echo=False,
        )
        self.launch(child)
        self.wait_for_port(child, port)
        self.mqtt_url = f"mqtt://127.0.0.1:{port}"

    def consumer_client_id(self) -> str:
        """Stable for one data folder (the broker keeps its backlog), distinct between folders."""
        digest = hashlib.sha1(str(self.data_dir.resolve()).encode()).hexdigest()[:8]
        return f"demo-ingestion-{digest}"

    def events_client_id(self) -> str:
        """The devices event consumer's client id: stable per data folder, like the other's."""
        return self.consumer_client_id().replace("demo-ingestion-", "demo-events-")

    def start_event_processes(self) -> Child:
        """Facilities' event relay and the devices event consumer; the consumer (to wait for)."""
        facilities, devices = self.projects[1], self.projects[-1]
        consumer = Child(
            name="events",
            argv=[
                sys.executable,
                "manage.py",
                "consume_events",
                "--client-id",
                self.events_client_id(),
            ],
            cwd=devices.directory,
            env=self.project_env(devices),
            log_path=self.logs / "events.log",
            ready_text=EVENTS_READY_TEXT,
        )
        self.launch(consumer)
        self.launch(
            Child(
                name="relay",
                argv=[sys.executable, "manage.py", "relay_events"],
                cwd=facilities.directory,
                env=self.project_env(facilities),
                log_path=self.logs / "relay.log",
            )
        )
        return consumer

    def start_processes(self) -> None:
        """Create the MongoDB indexes, then start the consumers, the event relay, the services,
        the simulator."""
        devices = self.projects[-1]
        self.manage(devices, "ensure_indexes")
        events = self.start_event_processes()
        consumer = Child(
            name="consumer",
            argv=[
                sys.executable,
                "manage.py",
                "mqtt_consume",
                "--client-id",
                self.consumer_client_id(),
            ],
            cwd=devices.directory,
            env=self.project_env(devices),
            log_path=self.logs / "consumer.log",
            ready_text=CONSUMER_READY_TEXT,
        )
        self.launch(consumer)
        for project in self.projects:
            self.launch(
                Child(
                    name=project.name,
                    argv=project.gunicorn_argv(),
                    cwd=project.directory,
                    env=self.project_env(project),
                    log_path=self.logs / f"{project.name}.log",
                )
            )
        # A first consumer has no session on the broker yet: what is published before it
        # subscribes would be lost.
        self.wait_for_ready(events, CONSUMER_READY_TIMEOUT)
        if self.simulator:
            self.wait_for_ready(consumer, CONSUMER_READY_TIMEOUT)
            euis = demo_data.device_euis()
            listing = self.data_dir / "simulator-euis.txt"
            listing.write_text("\n".join(euis) + "\n")
            self.launch(
                Child(
                    name="simulator",
                    argv=[
                        sys.executable,
                        str(SIMULATOR),
                        "--url",
                        self.mqtt_url,
                        "--euis",
                        f"@{listing}",
                        "--rate",
                        str(len(euis) / SIMULATOR_INTERVAL),
                        "--duration",
                        "0",  # until stopped
                        "--no-progress",
                    ],
                    cwd=REPO,
                    env=self.base_env(),
                    log_path=self.logs / "simulator.log",
                )
            )

    def launch(self, child: Child) -> None:
        self.children.append(child)
        child.start(self.out)

    def wait_for_ready(self, child: Child, timeout: float) -> None:
        """Wait until `child` printed its `ready_text`; a warning (not a failure) after timeout."""
        deadline = time.monotonic() + timeout
        while not child.ready.wait(0.1):
            self.check_alive(child)
            if time.monotonic() > deadline:
                self.out.line(
                    "demo",
                    f"WARNING: {child.name} did not print {child.ready_text!r} within "
                    f"{timeout:.0f}s; going on",
                )
                return

    def wait_for_port(self, child: Child, port: int) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            self.check_alive(child)
            if accepts("127.0.0.1", port):
                return
            time.sleep(0.02)
        raise DemoError(f"{child.name} did not listen on port {port}; see {child.log_path}")

    def check_alive(self, *children: Child) -> None:
        for child in children or tuple(self.children):
            if child.process is not None and child.process.poll() is not None:
                raise DemoError(
                    f"{child.name} exited with {child.process.returncode}; its last lines:\n"
                    f"{tail(child.log_path)}"
                )

    def wait_until_healthy(self) -> None:
        """Poll each `/health` in dependency order until it answers 200 (remote domains too)."""
        deadline = time.monotonic() + READY_TIMEOUT
        for project in self.projects:
            # One at a time: a service polled before the ones it depends on would only log
            # errors about them.
            while True:
                self.check_alive()
                status, body = http_get(f"{project.url}/health")
                if status == 200:
                    self.out.line("demo", f"{project.name} is healthy")
                    break
                if time.monotonic() > deadline:
                    raise DemoError(
                        f"{project.name} is not healthy after {READY_TIMEOUT:.0f}s: "
                        f"{project.url}/health answered {status or 'nothing'}: {body[:500]}"
                    )
                time.sleep(0.25)

    def start_portal(self) -> None:
        """Serve the portal on the three services (gunicorn); it boots while they do."""
        if self.portal is None:
            return
        self.launch(
            Child(
                name="portal",
                argv=self.portal.gunicorn_argv(),
                cwd=self.portal.directory,
                env=self.portal.env(self.base_env()),
                log_path=self.logs / "portal.log",
            )
        )

    def wait_for_portal(self) -> None:
        """Wait until the portal answers its `/health` (it needs nothing else to)."""
        if self.portal is None:
            return
        deadline = time.monotonic() + READY_TIMEOUT
        while http_get(f"{self.portal.url}/health")[0] != 200:
            self.check_alive()
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the portal did not answer {self.portal.url}/health; see portal.log"
                )
            time.sleep(0.25)
        self.out.line("demo", "portal is up")

    def rebuild_read_models(self) -> None:
        """Copy the rooms into the devices service's read model (facilities is up now); events
        keep it current from here on."""
        devices = self.projects[-1]
        self.out.line(devices.name, self.manage(devices, "rebuild_room_view").strip())

    def supervise(self) -> None:
        """Until a signal: fail as soon as any child dies."""
        while True:
            self.check_alive()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the producers first, then the consumers and the relay, the services, the broker,
        MongoDB."""
        order = {
            "simulator": 0,
            "consumer": 1,
            "events": 1,
            "relay": 1,
            "mosquitto": 3,
            "mongodb": 4,
        }
        children = sorted(self.children, key=lambda c: order.get(c.name, 2))
        stop_all(children, self.out)

    def ready_message(self) -> str:
        """The block printed once everything is healthy."""
        username, password = demo_data.STAFF_USERNAME, demo_data.STAFF_PASSWORD
        lines = ["", "=" * 78, "domain_services demo", ""]
        for project in self.projects:
            lines += [
                f"{project.name} service  {project.url}",
                f"  admin   {project.url}/admin/",
                f"  API     {project.url}/api/v1/",
                f"  docs    {project.url}/api/docs/",
                f"  health  {project.url}/health",
            ]
        if self.portal is not None:
            lines += [
                f"portal           {self.portal.url}/devices/",
                "  the webapp on the three services (PORTAL_MODELS=services); README.md says how "
                "to run it on its own database",
            ]
        lines += [
            "",
            f"Served by gunicorn ({GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads each), "
            "static files by WhiteNoise",
            f"Staff login (every admin): {username} / {password}",
            f"API token (Authorization: Bearer ...): {self.service_token()}",
        ]
        if not self.debug:
            lines.append(
                "DEBUG is off: production settings over plain HTTP; the SECRET_KEY and token "
                f"are this data folder's own ({self.data_dir / SECRETS_FILE}) unless set"
            )
        lines += ["", "Data:"]
        for project in self.projects:
            url = database_url(project, self.environ)
            where = redact(url) if url else str(project.sqlite_path)
            lines.append(f"  {project.name:<11} {where}")
        mongo_where = (
            "MONGODB_URL"
            if self.environ.get("MONGODB_URL")
            else f"nx-27017, files in {self.data_dir / 'mongo'}"
        )
        mqtt_where = (
            "MQTT_URL"
            if self.environ.get("MQTT_URL")
            else f"mosquitto, anonymous, persistence in {self.data_dir / 'mosquitto'}"
        )
        lines += [
            f"  MongoDB     {redact(self.mongodb_url)} ({mongo_where})",
            f"  MQTT        {redact(self.mqtt_url)} ({mqtt_where})",
            f"  static      {self.data_dir / 'static'} (collectstatic, one folder per service)",
            f"  logs        {self.logs}",
            "",
            "Events: facilities' relay publishes to the broker, the devices consumer applies "
            "them (logs: relay.log, events.log)",
            f"Simulator: {'on' if self.simulator else 'off'}"
            + (
                f", {len(demo_data.device_euis())} demo devices report to devices/<EUI>/status"
                if self.simulator
                else ""
            ),
            "=" * 78,
            "",
        ]
        return "\n".join(lines)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode(errors="replace")
    except (OSError, ValueError) as exc:
        return 0, str(exc)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def parse_ports(value: str) -> tuple[int, int, int]:
    parts = value.split(",")
    try:
        ports = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not three port numbers: {value!r}") from None
    if len(ports) != 3 or not all(0 < p < 65536 for p in ports) or len(set(ports)) != 3:
        raise argparse.ArgumentTypeError(
            f"need three distinct ports, users,facilities,devices: {value!r}"
        )
    return ports[0], ports[1], ports[2]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="integrations/demo/run.py",
        description=(__doc__ or "").split("\n\n")[0],
        epilog=(__doc__ or "").split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--ports",
        type=parse_ports,
        default=DEFAULT_PORTS,
        metavar="USERS,FACILITIES,DEVICES",
        help="the services' ports on 127.0.0.1 (default 8001,8002,8003)",
    )
    parser.add_argument(
        "--portal-port",
        type=int,
        default=None,
        help=f"the portal's port (default {DEFAULT_PORTAL_PORT} with the default ports, else a "
        "free one)",
    )
    parser.add_argument(
        "--no-simulator",
        action="store_true",
        help="do not start the fleet simulator (the consumer still runs)",
    )
    parser.add_argument(
        "--exit-after-ready",
        action="store_true",
        help="start everything, wait until every /health is 200, print the URLs, stop, exit 0",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="MongoDB files, Mosquitto persistence and logs (default .demo/ in the checkout)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = Output(sys.stdout)
    demo = Demo(
        projects=projects_on(args.ports),
        data_dir=args.data_dir.resolve(),
        simulator=not args.no_simulator,
        environ=dict(os.environ if environ is None else environ),
        out=out,
        portal=Portal(
            "portal",
            args.portal_port
            or (DEFAULT_PORTAL_PORT if args.ports == DEFAULT_PORTS else free_port()),
        ),
    )

    def interrupt(signum: int, frame: Any) -> None:
        # Once: a second Ctrl-C while stopping must not abandon the children.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stop

    previous: dict[int, Callable[..., Any] | int | None] = {
        signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    code = 0
    try:
        demo.check_prerequisites()
        demo.data_dir.mkdir(parents=True, exist_ok=True)
        demo.start_mongodb()
        demo.start_mosquitto()
        demo.prepare_databases()
        demo.start_processes()
        demo.start_portal()
        demo.wait_until_healthy()
        demo.rebuild_read_models()
        demo.wait_for_portal()
        out.block(demo.ready_message())
        if args.exit_after_ready:
            out.line("demo", "everything is healthy; stopping (--exit-after-ready)")
        else:
            out.block(f"{READY_LINE}\n")
            demo.supervise()
    except Stop:
        out.line("demo", "stopping")
    except DemoError as exc:
        out.line("demo", f"ERROR: {exc}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        out.line("demo", "stopped" if code == 0 else "stopped after an error")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
