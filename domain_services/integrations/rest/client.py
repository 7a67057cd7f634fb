"""`RestClient`: how one service calls another over HTTP.

One pooled `requests.Session` per process and base URL (made again in a forked child); an
overall deadline on every call, which also bounds each attempt's connect and read timeouts;
retries with exponential backoff for idempotent calls only, never past the deadline; a circuit
breaker per remote domain, so a peer that keeps failing costs no waiting until its cool-down is
over; the service token as `Authorization: Bearer`, the current `X-Request-ID`, and error
responses mapped back to the library's errors. A remote service that cannot be reached is an
`Unavailable` naming the domain and URL: never a hang, never a silent `None`.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Timeout

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
from domain_services.integrations.rest.resilience import (
    CLOSED,
    Admission,
    CircuitBreaker,
    Deadline,
    PerProcess,
    breakers,
)
from domain_services.page import Page

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


def _new_session(key: tuple[str, int]) -> requests.Session:
    """A session for one base URL: a urllib3 pool of `pool_size` connections, thread-safe.

    What a `requests.Session` has that is not thread-safe is its cookie jar, which service calls
    never need, so cookies are refused outright.
    """
    _, pool_size = key
    session = requests.Session()
    # Retries are ours (idempotent calls only, within the deadline): urllib3 must not retry.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    # Proxies and .netrc from the environment would silently reroute service-to-service calls.
    session.trust_env = False
    return session


sessions: PerProcess[tuple[str, int], requests.Session] = PerProcess(
    _new_session, close=requests.Session.close
)
"""The pooled sessions of this process, one per (base URL, pool size)."""


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
        deadline: float = 5,
        circuit_failures: int = 5,
        circuit_cooldown: float = 5,
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
        self.deadline = deadline
        self.circuit_failures = circuit_failures
        self.circuit_cooldown = circuit_cooldown
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"<RestClient {self.domain} at {self.base_url}>"

    @property
    def session(self) -> requests.Session:
        """The pooled session this process uses for this base URL."""
        return sessions.get((self.base_url, self.pool_size))

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker this process keeps for this domain at this base URL."""
        return breakers.get(
            (self.domain, self.base_url, self.circuit_failures, self.circuit_cooldown)
        )

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
        deadline: float | None = None,
        circuit: bool = True,
    ) -> Any:
        """Send one call and return its decoded JSON body (None for an empty one).

        Raises the library error the response stands for, and `Unavailable` when the service
        cannot be reached within the call's deadline or its circuit is open. Idempotent calls
        (GET, HEAD, PUT, DELETE, OPTIONS unless told otherwise) are retried on connection
        errors, timeouts and 502/503/504 while the deadline leaves time. `circuit=False` sends
        the call even while the circuit is open and leaves the breaker as it is (health probes).
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
        connect, read = timeout or (self.connect_timeout, self.read_timeout)
        budget = Deadline(self.deadline if deadline is None else deadline)
        breaker = self.breaker if circuit else None
        session = self.session
        admission = Admission.CALL
        failure: DomainError | None = None  # why the previous attempt failed
        for attempt in range(1, attempts + 1):
            limits = budget.timeout(connect, read)
            if limits is None:  # a pause overslept the deadline, or there was none to spend
                raise failure or self._unreachable(method, url, None, None, budget)
            if breaker is not None:
                admission = breaker.admit()
                if admission is Admission.REFUSED:
                    raise self._circuit_open(method, url, breaker)
            start = time.perf_counter()
            try:
                response = session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers=headers,
                    # The adapter takes a urllib3 Timeout as it is (its docstring says so).
                    timeout=limits,  # type: ignore[arg-type]
                )
            except requests.RequestException as exc:
                if breaker is not None:
                    breaker.failed(admission)
                pause = self._pause(attempt, attempts, budget, breaker)
                self._log_failure(method, url, headers, start, attempt, pause, str(exc))
                failure = self._unreachable(method, url, exc, limits, budget)
                if pause is None:
                    raise failure from exc
                time.sleep(pause)
                continue
            except BaseException:
                if breaker is not None:  # interrupted: no verdict on the peer
                    breaker.abandoned(admission)
                raise
            status = response.status_code
            if breaker is not None:
                if status >= 500:
                    breaker.failed(admission)
                else:  # any answer below 500, a 4xx included, shows the peer is there
                    breaker.succeeded(admission)
            if status in RETRY_STATUSES:
                pause = self._pause(attempt, attempts, budget, breaker)
                if pause is not None:
                    self._log_failure(method, url, headers, start, attempt, pause, str(status))
                    failure = self._error(method, url, status, response.content)
                    response.close()
                    time.sleep(pause)
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
        """`GET /health?shallow=1` once, without retries: `{"status": "ok"|"error", ...}`.

        The ping is sent even while the circuit is open, so that health shows a recovery as
        soon as it happens; the circuit's state is reported when it is not closed.
        """
        start = time.perf_counter()
        result: dict[str, Any]
        try:
            self.request(
                "GET",
                "/health",
                params={"shallow": "1"},
                timeout=(timeout, timeout),
                retries=0,
                deadline=timeout,
                circuit=False,
            )
        except DomainError as exc:
            result = {"status": "error", "url": self.base_url, "detail": exc.message}
        else:
            result = {
                "status": "ok",
                "url": self.base_url,
                "latency_ms": round((time.perf_counter() - start) * 1000, 1),
            }
        state = self.breaker.state
        if state != CLOSED:
            result["circuit"] = state
        return result

    # -- internals ---------------------------------------------------------------------------

    def _pause(
        self, attempt: int, attempts: int, budget: Deadline, breaker: CircuitBreaker | None
    ) -> float | None:
        """After a failed attempt: the pause before the next one, or None if none may go."""
        if attempt >= attempts:
            return None
        pause = min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1))
        if not budget.allows_pause(pause):
            return None  # the next attempt would start past the deadline
        if breaker is not None and breaker.state != CLOSED:
            return None  # this failure opened the circuit: it is the answer
        return pause

    def _unreachable(
        self,
        method: str,
        url: str,
        exc: requests.RequestException | None,
        limits: Timeout | None,
        budget: Deadline,
    ) -> Unavailable:
        if isinstance(exc, requests.ConnectTimeout) and limits is not None:
            reason = f"no connection within {_seconds(limits.connect_timeout)}"
        elif isinstance(exc, requests.Timeout) and limits is not None:
            reason = f"no answer within {_seconds(limits.read_timeout)}"
        elif isinstance(exc, requests.ConnectionError):
            reason = f"connection failed ({type(_root_cause(exc)).__name__})"
        elif exc is None:
            reason = "not sent"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        if not budget.remaining():
            reason += f" (the call's {_seconds(budget.seconds)} deadline is spent)"
        return Unavailable(
            f"{self.domain} service at {url} is unavailable: {method} {reason}.",
            domain=self.domain,
            url=url,
        )

    def _circuit_open(self, method: str, url: str, breaker: CircuitBreaker) -> Unavailable:
        wait = breaker.retry_in()
        return Unavailable(
            f"{self.domain} service at {url} is unavailable: its circuit is open after "
            f"{breaker.failures} consecutive failures, so {method} was not sent; the next "
            f"trial call goes in {wait:.1f}s.",
            domain=self.domain,
            url=url,
            retry_after=max(1, math.ceil(wait)),
        )

    def _log_failure(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        start: float,
        attempt: int,
        pause: float | None,
        reason: str,
    ) -> None:
        logger.log(
            logging.INFO if pause is None else logging.WARNING,
            "%s %s failed after %.1fms (attempt %d, %s): %s",
            method,
            url,
            (time.perf_counter() - start) * 1000,
            attempt,
            "the last" if pause is None else f"retried in {pause:.2f}s",
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
        # A ValidationFailed carries its errors in the body; a Conflict in its context (the
        # fields a duplicate is on), which the caller may show on those fields.
        reserved = ("message", "errors") if cls is ValidationFailed else ("message",)
        context = {
            k: v
            for k, v in (context.items() if isinstance(context, dict) else ())
            if isinstance(k, str) and k.isidentifier() and k not in reserved
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


def _seconds(value: Any) -> str:
    return f"{value:.3g}s" if isinstance(value, int | float) else f"{value}s"


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
