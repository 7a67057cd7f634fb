"""Service tokens: the development token, lists of tokens, and comparing them in constant time.

A service accepts a list of tokens from each calling service, so a token is rotated without
downtime: accept the new token beside the old one everywhere, switch the callers to the new
one, then stop accepting the old one (docs/deployment.md walks through it).

`DEVELOPMENT_TOKEN` is public (it is in this file): the sample projects and the demo use it
while `DEBUG` is on, and nothing accepts or sends it outside `DEBUG` (`project_settings`
refuses to build such settings; `check --deploy` reports it as `domain_services.E012`).

Only the standard library here: settings files import it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

DEVELOPMENT_TOKEN = "dev-service-token"


def split_tokens(value: str) -> list[str]:
    """`"new,old"` -> `["new", "old"]`: the form a list of tokens takes in one variable."""
    return [token.strip() for token in value.split(",") if token.strip()]


def is_development_token(token: str) -> bool:
    """Is `token` the public development token?"""
    return token == DEVELOPMENT_TOKEN


def token_matches(token: str, accepted: Iterable[str]) -> bool:
    """Is `token` one of `accepted`? Compared with every one, whatever matches.

    The comparison runs on SHA-256 digests with `hmac.compare_digest`, so neither where a
    token first differs nor its length changes the time taken.
    """
    digest = hashlib.sha256(token.encode()).digest()
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(digest, hashlib.sha256(candidate.encode()).digest())
    return found
