"""Who may use `vidx serve`: the Host check against DNS rebinding, and the token required off loopback.

A web page the user visits can point its own domain at 127.0.0.1 and read whatever answers there; its
requests then carry that domain in `Host`, which is why every request names a host we serve as. Off
loopback, anyone on the network can connect, so every request also carries the token (query or cookie).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

from vidx.errors import UsageError

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
TOKEN_CHARS = re.compile(r"^[A-Za-z0-9._~-]+$")
MIN_TOKEN = 16
# A DNS name or IPv4 address (browsers send international names as punycode), or an IPv6 address in brackets.
_HOST = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::\d*)?$")


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str | None:
    """The name in a `Host` header without its port, lowercased (IPv6 without brackets); None if malformed."""
    match = _HOST.match(header.strip())
    if not match:
        return None
    return (match.group("v6") or match.group("name")).lower()


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def check_token(token: str) -> str:
    if len(token) < MIN_TOKEN:
        raise UsageError(f"--token must be at least {MIN_TOKEN} characters long, got {len(token)}")
    if not TOKEN_CHARS.match(token):
        raise UsageError("--token may hold only letters, digits and . _ ~ - (it travels in URLs and cookies)")
    return token


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


@dataclass(frozen=True)
class Guard:
    """The hosts a request may name and the token it must carry (None: no token needed)."""

    hosts: frozenset[str]
    token: str | None = None

    @classmethod
    def serving(
        cls, host: str, allow_hosts: tuple[str, ...] = (), token: str | None = None, no_token: bool = False
    ) -> Guard:
        """The guard for serving on `host`: a random token off loopback unless one is given or refused."""
        if token is not None and no_token:
            raise UsageError("--token and --no-token do not go together: pick one")
        names = {*LOCAL_NAMES, host.strip("[]").lower()}
        for name in allow_hosts:
            parsed = host_name(name)
            if parsed is None:
                raise UsageError(f"--allow-host {name!r} is not a host name or address")
            names.add(parsed)
        if token is not None:
            token = check_token(token)
        elif not no_token and not is_loopback(host):
            token = secrets.token_urlsafe(32)
        return cls(frozenset(names), token)

    def cookie_name(self, port: int) -> str:
        # Cookies ignore ports: one name per port keeps two servers on one machine from overwriting each other.
        return f"vidx-token-{port}"

    def refusal(self, host: str | None, query_token: str | None, cookies: dict[str, str], port: int) -> Refusal | None:
        """Why a request may not go further, or None; checked before routing, so it says nothing about ids."""
        name = host_name(host) if host else None
        if name is None:
            return Refusal(403, "a Host header naming this server is required")
        if name not in self.hosts:
            return Refusal(403, f"Host {name} is not allowed: start vidx serve with --allow-host {name} to allow it")
        offered = (query_token, cookies.get(self.cookie_name(port)))
        if self.token is not None and not any(self.accepts(token) for token in offered):
            return Refusal(401, "token missing or wrong: open the link vidx serve printed (it ends in ?token=...)")
        return None

    def accepts(self, token: str | None) -> bool:
        return token is not None and self.token is not None and hmac.compare_digest(token.encode(), self.token.encode())


def parse_cookies(header: str | None) -> dict[str, str]:
    """Name to value for a `Cookie` header; malformed pairs are skipped."""
    out: dict[str, str] = {}
    for pair in (header or "").split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep and name:
            out.setdefault(name, value.strip('"'))
    return out
