"""URL safety: non-public addresses are refused at connect time, for every hop, every time.

No test here sends traffic anywhere but the loopback servers it starts; names that would need DNS
go through a fake resolver, and connections to public addresses through a recording backend that
never opens a socket.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpcore
import httpx
import pytest

from bot.errors import UnsafeURLError
from bot.ingest import (
    FeedPoller,
    FeedState,
    SafeNetworkBackend,
    SafeTransport,
    address_problem,
    check_public_url,
    fetch_article,
    make_client,
)
from tests.fakes.feed_server import FeedServer
from tests.timing import PATIENT


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("192.0.2.10", "a private address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", "a private address"),  # NAT64 wrapping 10.0.0.1
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:93.184.216.34", None),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    assert address_problem(address) == problem


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/feed.xml",
        "javascript:alert(1)",
        "gopher://example.org/",
        "data:text/plain,hello",
        "example.org/feed.xml",
        "http:///no-host",
        "http://user:secret@example.org/feed",
        "http://example.org:99999/",
    ],
)
def test_check_public_url_refuses_unusable_urls(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        check_public_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/feed",
        "http://127.0.0.1:8080/",
        "http://[::1]/",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1/",
    ],
)
def test_check_public_url_refuses_literal_private_hosts_when_asked(url: str) -> None:
    check_public_url(url)  # the default only checks the form; the connect-time check decides
    with pytest.raises(UnsafeURLError):
        check_public_url(url, allow_private=False)


def test_check_public_url_accepts_ordinary_urls() -> None:
    check_public_url("https://example.org/feed.xml", allow_private=False)
    check_public_url("HTTP://news.example.com:8080/rss?x=1", allow_private=False)


@pytest.fixture
def loopback_forms(server: FeedServer) -> Iterator[list[str]]:
    server.route("/feed.xml", b"<rss/>")
    port = server.port
    yield [
        f"http://localhost:{port}/feed.xml",
        f"http://LOCALHOST.:{port}/feed.xml",
        f"http://127.0.0.1:{port}/feed.xml",
        f"http://[::1]:{port}/feed.xml",
        f"http://0x7f.1:{port}/feed.xml",
        f"http://2130706433:{port}/feed.xml",
        f"http://127.1:{port}/feed.xml",
        f"http://[::ffff:127.0.0.1]:{port}/feed.xml",
        f"http://0.0.0.0:{port}/feed.xml",
    ]


async def test_loopback_in_any_spelling_is_refused_at_connect_time(
    server: FeedServer, loopback_forms: list[str]
) -> None:
    async with make_client(allow_private=False, timeout=PATIENT) as client:
        poller = FeedPoller(client)
        results = [await poller.poll(FeedState(url)) for url in loopback_forms]

    for url, result in zip(loopback_forms, results, strict=True):
        assert result.status == "failed", url
        assert result.error is not None and result.error.startswith("refused:"), (url, result.error)
    assert server.requests == []


async def test_the_reason_names_the_host_and_the_address() -> None:
    transport = SafeTransport(resolver=fixed_resolver("10.1.2.3"))
    async with make_client(allow_private=False, timeout=PATIENT, transport=transport) as client:
        result = await FeedPoller(client).poll(FeedState("http://intranet.example.test/feed"))
    assert result.error == "refused: intranet.example.test resolves to 10.1.2.3, a private address"


async def test_article_pages_are_checked_too(server: FeedServer) -> None:
    server.route("/page.html", b"<html><body><p>words</p></body></html>", content_type="text/html")
    async with make_client(allow_private=False, timeout=PATIENT) as client:
        with pytest.raises(UnsafeURLError):
            await fetch_article(client, server.url("/page.html"))
    assert server.requests == []


async def test_allow_private_reaches_loopback(server: FeedServer) -> None:
    server.route("/ping", b"pong", content_type="text/plain")
    async with make_client(allow_private=True, timeout=PATIENT) as client:
        response = await client.get(server.url("/ping"))
    assert response.text == "pong"


async def test_every_redirect_hop_is_checked() -> None:
    """Server A is allowed (exempt, as a public server would be); its redirects to other
    loopback addresses are refused, and server B never sees a request."""
    with FeedServer() as server_a, FeedServer() as server_b:
        server_b.route("/internal", b"secret", content_type="text/plain")
        server_a.route("/ok", b"fine", content_type="text/plain")
        server_a.redirect("/to-ip", server_b.url("/internal"))
        server_a.redirect("/to-name", f"http://localhost:{server_b.port}/internal")
        server_a.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
        transport = SafeTransport(exempt=[("127.0.0.1", server_a.port)])
        async with make_client(allow_private=False, timeout=PATIENT, transport=transport) as client:
            assert (await client.get(server_a.url("/ok"))).text == "fine"
            poller = FeedPoller(client)
            for path in ("/to-ip", "/to-name", "/to-metadata"):
                result = await poller.poll(FeedState(server_a.url(path)))
                assert result.status == "failed"
                assert result.error is not None and result.error.startswith("refused:"), path
        assert server_b.requests == []
        assert len(server_a.requests) == 4


async def test_redirects_to_other_schemes_are_refused(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.redirect("/to-file", "file:///etc/passwd")
    result = await FeedPoller(client).poll(FeedState(server.url("/to-file")))
    assert result.status == "failed"
    assert result.error is not None and result.error.startswith("refused: unsupported URL scheme")


async def test_dns_rebinding_is_caught_because_each_connection_resolves_again(
    server: FeedServer,
) -> None:
    """The name first resolves to the allowed address, then to another loopback address; the
    second connection is refused even though the URL is the same."""
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])

    async def rebinding_resolver(host: str, port: int) -> list[str]:
        assert host == "feeds.rebind.test"
        return next(answers)

    server.route("/feed.xml", b"ok", content_type="text/plain", headers={"Connection": "close"})
    transport = SafeTransport(resolver=rebinding_resolver, exempt=[("127.0.0.1", server.port)])
    url = f"http://feeds.rebind.test:{server.port}/feed.xml"
    async with make_client(allow_private=False, timeout=PATIENT, transport=transport) as client:
        assert (await client.get(url)).text == "ok"
        with pytest.raises(UnsafeURLError, match=r"resolves to 127\.0\.0\.2, a loopback address"):
            await client.get(url)
    assert len(server.requests) == 1


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where it was asked to connect and refuses, so no packet ever leaves."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self, host: str, port: int, *args: object, **kwargs: object
    ) -> httpcore.AsyncNetworkStream:  # type: ignore[override]
        self.connects.append((host, port))
        raise httpcore.ConnectError("recording backend: no network in tests")


def fixed_resolver(*addresses: str):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["10.0.0.7"], "a private address"),
        (["169.254.169.254"], "a cloud metadata address"),
        (["fd00:ec2::254"], "a cloud metadata address"),
        (["::ffff:192.168.0.1"], "a private address"),
        (["93.184.216.34", "127.0.0.1"], "a loopback address"),  # one bad answer spoils all
    ],
)
async def test_names_resolving_to_non_public_addresses_are_refused_before_connecting(
    addresses: list[str], reason: str
) -> None:
    inner = RecordingBackend()
    backend = SafeNetworkBackend(resolver=fixed_resolver(*addresses), inner=inner)
    with pytest.raises(UnsafeURLError, match=reason):
        await backend.connect_tcp("news.example.test", 443, timeout=PATIENT)
    assert inner.connects == []


async def test_the_backend_connects_to_the_address_it_checked_not_the_name() -> None:
    inner = RecordingBackend()
    backend = SafeNetworkBackend(
        resolver=fixed_resolver("93.184.216.34", "2606:4700:4700::1111"), inner=inner
    )
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("news.example.test", 443, timeout=PATIENT)
    assert inner.connects == [("93.184.216.34", 443), ("2606:4700:4700::1111", 443)]


async def test_unresolvable_names_fail_as_connection_errors() -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    backend = SafeNetworkBackend(resolver=failing, inner=RecordingBackend())
    with pytest.raises(httpcore.ConnectError, match="cannot resolve"):
        await backend.connect_tcp("nowhere.test", 80, timeout=PATIENT)


async def test_unix_sockets_are_refused() -> None:
    with pytest.raises(UnsafeURLError):
        await SafeNetworkBackend().connect_unix_socket("/var/run/docker.sock")
