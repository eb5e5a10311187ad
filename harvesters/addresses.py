"""Which addresses a harvest may reach (no server-side request forgery through a source URL).

By default a source must be on a public address: never loopback, link-local (169.254.0.0/16,
fe80::/10 — the cloud metadata service lives there), unspecified, multicast or Mulu's own
address (``MULU_BASE_URL``'s host and port); private and other non-global ranges only when the
deployment lists them in ``MULU_HARVEST_ALLOW_NETWORKS`` (政务外网 sources live on private
addresses). Link-local, unspecified, multicast and Mulu's own address stay refused even then.

The fetcher resolves a host once, checks every address it resolves to, and connects to the
checked address (``harvesters.http``), so a name that answers differently a moment later
(DNS rebinding) reaches nothing new; every redirect is checked again the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from catalog.config import Settings
from harvesters import errors

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (once)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise errors.ConnectionFailed("无法解析数据源的主机名。", "Cannot resolve the source's host.",
                                      detail=f"{host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _address(text: str) -> IPAddress | None:
    """``text`` as an address, shorthand IPv4 forms included (127.1, 2130706433, 0x7f.0.0.1:
    what the system resolver would read as one); None for a host name."""
    try:
        address: IPAddress = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        if not text or any(c not in "0123456789abcdefxABCDEFX." for c in text):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class AddressGuard:
    """The rule; ``allowed`` from the deployment, ``own`` from ``MULU_BASE_URL``."""

    allowed: tuple[IPNetwork, ...] = ()
    own: tuple[tuple[str, int], ...] = ()  # (host as in the base URL, port)
    resolver: Resolver = field(default=resolve, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressGuard:
        allowed = tuple(ipaddress.ip_network(n) for n in settings.harvest_allow_networks)
        base = urlsplit(settings.public_base_url)
        own: tuple[tuple[str, int], ...] = ()
        if base.hostname:
            own = ((base.hostname, base.port or DEFAULT_PORTS.get(base.scheme, 80)),)
        return cls(allowed, own)

    def why_refused(self, address: IPAddress) -> tuple[str, str] | None:
        """(zh, en) when ``address`` may not be reached, else None."""
        if address.is_link_local or address.is_unspecified or address.is_multicast:
            return ("链路本地、未指定或组播地址（含云元数据服务），不允许采集。",
                    "a link-local, unspecified or multicast address (cloud metadata included)")
        if any(address in network for network in self.allowed
               if network.version == address.version):
            return None
        if address.is_loopback:
            return ("本机回环地址，不允许采集。", "a loopback address")
        if not address.is_global:
            return ("内网或保留地址，须由部署方列入 MULU_HARVEST_ALLOW_NETWORKS。",
                    "a private or reserved address not in MULU_HARVEST_ALLOW_NETWORKS")
        return None

    def check_url(self, url: str) -> None:
        """What can be told from the URL alone (a source being added or approved): an address
        literal or a local name that is refused, or Mulu's own host and port."""
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            return
        port = _port(parts)
        address = _address(host)
        if address is None and (host in LOCAL_NAMES or host.endswith(".localhost")):
            address = ipaddress.ip_address("127.0.0.1")
        if address is not None:
            self._refuse_if(address, url)
        for own_host, own_port in self.own:
            if host == own_host.lower() and port == own_port:
                raise _refused(url, ("Mulu 自身的地址，不允许采集。", "Mulu's own address"))

    def pin(self, url: str) -> str:
        """The one address to connect to for ``url``: resolved once, every address checked."""
        self.check_url(url)
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = _port(parts)
        literal = _address(host)
        candidates = [str(literal)] if literal is not None else self.resolver(host, port)
        if not candidates:
            raise errors.ConnectionFailed("无法解析数据源的主机名。",
                                          "Cannot resolve the source's host.", detail=host)
        own = self._own_addresses()
        for text in candidates:
            address = _address(text)
            if address is None:
                raise _refused(url, ("无法识别的地址。", "an address that cannot be read"))
            self._refuse_if(address, url)
            if (str(address), port) in own:
                raise _refused(url, ("Mulu 自身的地址，不允许采集。", "Mulu's own address"))
        return candidates[0]

    def _refuse_if(self, address: IPAddress, url: str) -> None:
        why = self.why_refused(address)
        if why is not None:
            raise _refused(url, why)

    def _own_addresses(self) -> set[tuple[str, int]]:
        found: set[tuple[str, int]] = set()
        for host, port in self.own:
            literal = _address(host)
            try:
                texts: Iterable[str] = [str(literal)] if literal is not None else \
                    self.resolver(host, port)
            except errors.FetchError:
                continue  # the base URL's name does not resolve here: nothing to compare
            found.update((str(a), port) for t in texts if (a := _address(t)) is not None)
        return found


def _port(parts: object) -> int:
    try:
        port = parts.port  # type: ignore[attr-defined]
    except ValueError:
        port = None
    return port or DEFAULT_PORTS.get(parts.scheme, 80)  # type: ignore[attr-defined]


def _refused(url: str, why: tuple[str, str]) -> errors.AddressRefused:
    return errors.AddressRefused(f"数据源地址不允许访问：{why[0]}",
                                 f"The source's address may not be reached: {why[1]}.",
                                 detail=urlsplit(url).netloc)
