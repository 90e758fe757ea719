"""Throttling of failed sign-ins per client address, with back-off (docs/security.md).

The account lock (:func:`lantian.auth.service.authenticate`: five failures in a row lock an
account for fifteen minutes, kept in the database) slows guessing one account's password. On its
own it would let anyone who knows a username keep that account locked for ever: five wrong
guesses every fifteen minutes. This throttle stops that from any one address: after
:data:`MAX_FAILURES` failed sign-ins (whatever the names), the address is refused for
:data:`FIRST_BLOCK`, doubled with each further block (30 min, 1 h, 2 h … at most
:data:`LONGEST_BLOCK`), without a password being checked or an account's count moving. An
attacker at one address can therefore lock a known account for ever shorter shares of the time,
while its owner signs in from their own address in between.

The state is per process and in memory: a restart forgets the blocks (the account locks, in the
database, survive), and each worker process counts for itself. IPv6 addresses count by their /64
network, which one subscriber usually holds whole. The address is the one the ASGI server reports
(``request.client``); behind a reverse proxy, run uvicorn with ``--proxy-headers`` and the
proxy's address in ``--forwarded-allow-ips`` so that it is the visitor's, not the proxy's.
Loopback addresses are not throttled (:func:`throttled`): a request that arrives from the host
itself is a reverse proxy that does not pass the visitor's address on (blocking it would block
everyone, which is the denial of service this throttle exists to prevent) or a local tool; the
account lock still applies to them.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Failed sign-ins from one address, in a row and counted over :data:`FAILURE_MEMORY`, that block
#: it — above the account's five so that one person mistyping their own password is stopped by
#: the account lock first, and an attacker reaches the block on the second lock.
MAX_FAILURES = 10
#: A failure older than this (since the address's latest failure) is forgotten.
FAILURE_MEMORY = timedelta(hours=1)
FIRST_BLOCK = timedelta(minutes=30)
LONGEST_BLOCK = timedelta(hours=24)
#: An address blocked no more in this long starts its back-off anew.
STRIKE_MEMORY = timedelta(hours=24)
#: At most this many addresses are remembered (a flood of addresses must not exhaust memory); the
#: oldest are dropped first.
MAX_ADDRESSES = 100_000


def address_key(host: str | None) -> str:
    """What an address counts as: itself (IPv4), its /64 network (IPv6), or ``unknown``."""
    if not host:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]  # a test client's name, or a unix socket
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        if parsed.is_loopback:
            return str(parsed)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def throttled(address: str) -> bool:
    """Whether failures from ``address`` (an :func:`address_key`) are counted: not loopback."""
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address != "localhost"


@dataclass
class _AddressState:
    failures: int = 0
    last_failure: datetime | None = None
    blocked_until: datetime | None = None
    strikes: int = 0
    last_block: datetime | None = None


@dataclass(frozen=True)
class Block:
    """A block that has just begun (for the audit log) or is in force."""

    address: str
    until: datetime
    strikes: int


class AddressThrottle:
    """Failed sign-ins per address (thread-safe: the sign-in route runs in a thread pool)."""

    def __init__(self) -> None:
        self._states: dict[str, _AddressState] = {}
        self._lock = threading.Lock()

    def blocked_until(self, address: str, now: datetime) -> datetime | None:
        """The end of the address's block if one is in force at ``now``."""
        if not throttled(address):
            return None
        with self._lock:
            state = self._states.get(address)
            if state and state.blocked_until and state.blocked_until > now:
                return state.blocked_until
            return None

    def failed(self, address: str, now: datetime) -> Block | None:
        """Count a failed sign-in; the block it starts, if it starts one."""
        if not throttled(address):
            return None
        with self._lock:
            state = self._states.pop(address, None) or _AddressState()
            self._states[address] = state  # newest last: the oldest are dropped first
            if state.last_failure and now - state.last_failure > FAILURE_MEMORY:
                state.failures = 0
            if state.last_block and now - state.last_block > STRIKE_MEMORY:
                state.strikes = 0
            state.failures += 1
            state.last_failure = now
            block = None
            if state.failures >= MAX_FAILURES:
                state.strikes += 1
                length = min(FIRST_BLOCK * 2 ** (state.strikes - 1), LONGEST_BLOCK)
                state.blocked_until, state.last_block = now + length, now
                state.failures = 0
                block = Block(address, state.blocked_until, state.strikes)
            while len(self._states) > MAX_ADDRESSES:
                del self._states[next(iter(self._states))]
            return block

    def succeeded(self, address: str) -> None:
        """A correct sign-in from the address ends its run of failures (not its back-off)."""
        with self._lock:
            state = self._states.get(address)
            if state:
                state.failures = 0
