"""`RestClient`: how one service calls another over HTTP.

One pooled `requests.Session` per process and base URL (made again in a forked child), connect
and read timeouts on every call, retries with exponential backoff for idempotent calls only, the
service token as `Authorization: Bearer`, the current `X-Request-ID`, and error responses mapped
back to the library's errors. A remote service that cannot be reached is an `Unavailable` naming
the domain and URL: never a hang, never a silent `None`.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from domain_services.dto import dto_from_dict, to_json
from domain_services.errors import (
    ERRORS_BY_CODE,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    Unavailable,
    ValidationFailed,
)
from domain_services.integrations.rest.request_id import HEADER, current_request_id, new_request_id
from domain_services.service import Page

D = TypeVar("D")

logger = logging.getLogger("domain_services.rest.client")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_BACKOFF = 5.0
API_ROOT = "/api/v1/"

_STATUS_ERRORS: dict[int, type[DomainError]] = {
    400: ValidationFailed,
    401: PermissionDenied,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: Unavailable,
}


class _SessionPool:
    """One `requests.Session` per base URL in this process; forgotten in a forked child.

    A session's connection pool is thread-safe (urllib3); what is not is its cookie jar, which
    service calls never need, so cookies are refused outright.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, int], requests.Session] = {}
        self._pid = os.getpid()

    def get(self, base_url: str, pool_size: int) -> requests.Session:
        key = (base_url, pool_size)
        session = self._sessions.get(key)
        if session is not None and self._pid == os.getpid():
            return session
        with self._lock:
            if self._pid != os.getpid():
                self._forget()
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = _new_session(pool_size)
            return session

    def clear(self) -> None:
        """Close every session (tests, and shutting a worker down cleanly)."""
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()

    def _forget(self) -> None:
        # Sockets inherited through fork() are shared with the parent: never reuse them.
        self._sessions = {}
        self._pid = os.getpid()


def _new_session(pool_size: int) -> requests.Session:
    session = requests.Session()
    # Retries are ours (idempotent calls only), so urllib3 must not retry behind our back.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    # Proxies and .netrc from the environment would silently reroute service-to-service calls.
    session.trust_env = False
    return session


sessions = _SessionPool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=sessions._forget)


class RestClient:
    """A client of one remote domain's API, at `base_url` (e.g. `http://facilities:8000`).

    `path` arguments are relative to the API root `/api/v1/` (`"rooms/"`); a path starting
    with `/` is relative to the base URL itself (`"/health"`).
    """

    def __init__(
        self,
        domain: str,
        base_url: str,
        *,
        token: str | None,
        connect_timeout: float = 2,
        read_timeout: float = 10,
        retries: int = 2,
        backoff: float = 0.2,
        pool_size: int = 10,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not an http(s) URL.")
        self.domain = domain
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + API_ROOT
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
        self.pool_size = pool_size
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"<RestClient {self.domain} at {self.base_url}>"

    @property
    def session(self) -> requests.Session:
        """The pooled session this process uses for this base URL."""
        return sessions.get(self.base_url, self.pool_size)

    def url(self, path: str) -> str:
        """The absolute URL of `path`."""
        return self.base_url + path if path.startswith("/") else self.api_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        timeout: tuple[float, float] | None = None,
        retries: int | None = None,
    ) -> Any:
        """Send one call and return its decoded JSON body (None for an empty one).

        Raises the library error the response stands for, and `Unavailable` when the service
        cannot be reached in time. Idempotent calls (GET, HEAD, PUT, DELETE, OPTIONS unless told
        otherwise) are retried on connection errors, timeouts and 502/503/504.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + (self.retries if retries is None else retries) if idempotent else 1
        url = self.url(path)
        headers = dict(self._headers)
        headers[HEADER] = current_request_id() or new_request_id()
        body = None
        if json is not None:
            try:
                body = _dumps(json)
            except (TypeError, ValueError) as exc:
                raise ValidationFailed({"__all__": [str(exc)]}) from None
            headers["Content-Type"] = "application/json"
        timeouts = timeout or (self.connect_timeout, self.read_timeout)
        session = self.session
        for attempt in range(1, attempts + 1):
            start = time.perf_counter()
            try:
                response = session.request(
                    method, url, params=params, data=body, headers=headers, timeout=timeouts
                )
            except requests.RequestException as exc:
                failure = self._unreachable(method, url, exc, timeouts)
                self._log_failure(method, url, headers, start, attempt, attempts, str(exc))
                if attempt < attempts:
                    self._sleep(attempt)
                    continue
                raise failure from exc
            status = response.status_code
            if status in RETRY_STATUSES and attempt < attempts:
                self._log_failure(method, url, headers, start, attempt, attempts, str(status))
                response.close()
                self._sleep(attempt)
                continue
            logger.debug(
                "%s %s -> %s in %.1fms",
                method,
                response.url,
                status,
                (time.perf_counter() - start) * 1000,
                extra={"request_id": headers[HEADER]},
            )
            return self._decode(method, url, response)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns/raises

    # -- helpers for domain methods ----------------------------------------------------------

    def get_dto(self, path: str, dto: type[D], *, params: Mapping[str, Any] | None = None) -> D:
        """GET one DTO."""
        return dto_from_dict(dto, self.request("GET", path, params=params))

    def get_dtos(
        self, path: str, dto: type[D], *, params: Mapping[str, Any] | None = None
    ) -> list[D]:
        """GET a list of DTOs: the body is `{"results": [...]}` (or a bare JSON list)."""
        body = self.request("GET", path, params=params)
        return [dto_from_dict(dto, item) for item in results_from_body(body, self, path)]

    def get_page(
        self, path: str, dto: type[D], *, params: Mapping[str, Any] | None = None
    ) -> Page[D]:
        """GET one page of DTOs: `{"count", "page", "page_size", "results"}`."""
        return page_from_body(dto, self.request("GET", path, params=params), self, path)

    def send_dto(
        self, method: str, path: str, dto: type[D], *, json: Any = None, idempotent: bool = False
    ) -> D:
        """POST/PATCH/PUT a body and read one DTO back."""
        return dto_from_dict(dto, self.request(method, path, json=json, idempotent=idempotent))

    def ping(self, *, timeout: float = 2.0) -> dict[str, Any]:
        """`GET /health?shallow=1` once, without retries: `{"status": "ok"|"error", ...}`."""
        start = time.perf_counter()
        try:
            self.request(
                "GET", "/health", params={"shallow": "1"}, timeout=(timeout, timeout), retries=0
            )
        except DomainError as exc:
            return {"status": "error", "url": self.base_url, "detail": exc.message}
        return {
            "status": "ok",
            "url": self.base_url,
            "latency_ms": round((time.perf_counter() - start) * 1000, 1),
        }

    # -- internals ---------------------------------------------------------------------------

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1)))

    def _unreachable(
        self, method: str, url: str, exc: requests.RequestException, timeouts: tuple[float, float]
    ) -> Unavailable:
        if isinstance(exc, requests.ConnectTimeout):
            reason = f"no connection within {timeouts[0]}s"
        elif isinstance(exc, requests.Timeout):
            reason = f"no answer within {timeouts[1]}s"
        elif isinstance(exc, requests.ConnectionError):
            reason = f"connection failed ({type(_root_cause(exc)).__name__})"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return Unavailable(
            f"{self.domain} service at {url} is unavailable: {method} {reason}.",
            domain=self.domain,
            url=url,
        )

    def _log_failure(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        start: float,
        attempt: int,
        attempts: int,
        reason: str,
    ) -> None:
        logger.log(
            logging.WARNING if attempt < attempts else logging.INFO,
            "%s %s failed after %.1fms (attempt %d of %d): %s",
            method,
            url,
            (time.perf_counter() - start) * 1000,
            attempt,
            attempts,
            reason,
            extra={"request_id": headers[HEADER]},
        )

    def _decode(self, method: str, url: str, response: requests.Response) -> Any:
        status = response.status_code
        content = response.content
        if status < 400:
            if not content:
                return None
            try:
                return json.loads(content)
            except ValueError:
                raise Unavailable(
                    f"{self.domain} service at {url} answered {method} with {status} and a "
                    "body that is not JSON.",
                    domain=self.domain,
                    url=url,
                ) from None
        raise self._error(method, url, status, content)

    def _error(self, method: str, url: str, status: int, content: bytes) -> DomainError:
        try:
            body = json.loads(content) if content else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        detail = body.get("detail")
        if not isinstance(detail, str) or not detail:
            detail = content[:200].decode("utf-8", "replace").strip() or f"HTTP {status}"
        code = body.get("code")
        cls = ERRORS_BY_CODE.get(code) if isinstance(code, str) else None
        if cls is None or status >= 500:
            cls = _STATUS_ERRORS.get(status, Unavailable if status >= 500 else DomainError)
        context = body.get("context")
        context = {
            k: v
            for k, v in (context.items() if isinstance(context, dict) else ())
            if isinstance(k, str) and k.isidentifier() and k not in ("message", "errors")
        }
        if cls is ValidationFailed:
            errors = body.get("errors")
            if not isinstance(errors, dict):
                errors = {"__all__": [detail]}
            return ValidationFailed(errors, detail, **context)
        if cls is Unavailable:
            return Unavailable(
                f"{self.domain} service at {url} is unavailable: {method} answered {status}: "
                f"{detail}",
                **{"domain": self.domain, "url": url, **context},
            )
        if cls is DomainError:
            detail = f"{self.domain} service at {url} answered {method} with {status}: {detail}"
        return cls(detail, **context)


def page_from_body(dto: type[D], body: Any, client: RestClient, path: str) -> Page[D]:
    """A `Page` of DTOs from a list response body."""
    if not isinstance(body, dict):
        raise _protocol_error(client, path, "a page object")
    try:
        return Page(
            items=tuple(dto_from_dict(dto, item) for item in results_from_body(body, client, path)),
            total=int(body["count"]),
            page=int(body["page"]),
            page_size=int(body["page_size"]),
        )
    except (KeyError, TypeError, ValueError):
        raise _protocol_error(client, path, "a page object") from None


def results_from_body(body: Any, client: RestClient, path: str) -> Sequence[Any]:
    """The `results` list of a response body (or the body itself when it is a list)."""
    results = body.get("results") if isinstance(body, dict) else body
    if not isinstance(results, list):
        raise _protocol_error(client, path, "a list of results")
    return results


def _protocol_error(client: RestClient, path: str, expected: str) -> Unavailable:
    url = client.url(path)
    return Unavailable(
        f"{client.domain} service at {url} answered without {expected}; is it the "
        f"{client.domain} API?",
        domain=client.domain,
        url=url,
    )


def _dumps(body: Any) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()


def _json_default(value: Any) -> Any:
    converted = to_json(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} cannot be sent as JSON.")
    return converted


def _root_cause(exc: BaseException) -> BaseException:
    # requests wraps urllib3 which wraps the socket error; the innermost names the real cause.
    cause = exc
    for _ in range(10):
        arg = cause.args[0] if cause.args else None
        inner = getattr(cause, "reason", None) or (
            arg if isinstance(arg, BaseException) else cause.__cause__ or cause.__context__
        )
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    return cause
