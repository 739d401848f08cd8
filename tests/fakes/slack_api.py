"""A local fake of Slack's Web API and response URLs (aiohttp.web on 127.0.0.1, port 0).

slack_sdk's real ``AsyncWebClient(base_url=fake.base)`` talks to it. It records every
call, answers like Slack (``{"ok": ...}``), and checks what Slack would receive: the
token, Block Kit limits, and that no text could notify anyone (<!channel>, <!here>,
<!everyone>, <@U…> or ``link_names``). Problems are kept in ``violations``.
Also: ``signed_command`` builds a slash-command request signed as Slack signs them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from slack_sdk.oauth.installation_store.models.installation import Installation

from tests.fakes.holding import HoldsARequest
from tests.fakes.loopback import serve
from tests.timing import PATIENT

TEAM = "T0000FAKE"
BOT_USER = "U0000BOT"
PING = re.compile(r"<!(channel|here|everyone)\b|<@[UW][A-Z0-9]+|<!subteam\^")


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response_url" for a respond()
    body: dict[str, Any]
    headers: dict[str, str]


def block_violations(body: dict[str, Any]) -> list[str]:
    """What Slack would refuse, or what would ping someone, in a message payload."""
    problems: list[str] = []
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks > 50")
    texts = [str(body.get("text") or "")]
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = block["text"]["text"]
            if len(text) > 3000:
                problems.append(f"section text {len(text)} > 3000")
            texts.append(text)
        elif kind == "header":
            text = block["text"]["text"]
            if len(text) > 150:
                problems.append(f"header {len(text)} > 150")
            texts.append(text)
        elif kind == "context":
            texts.extend(e.get("text", "") for e in block["elements"])
    for text in texts:
        if PING.search(text):
            problems.append(f"would notify: {PING.search(text).group(0)!r}")  # type: ignore[union-attr]
    if str(body.get("link_names", "")).lower() in ("1", "true"):
        problems.append("link_names would turn @names into mentions")
    return problems


@dataclass
class FakeSlackAPI(HoldsARequest):
    """Start with ``await fake.start()``; ``fake.base`` is the Web API base URL."""

    token: str = "xoxb-fake-slack-token"
    app_token: str = "xapp-fake-app-token"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    rate_limited: dict[str, tuple[int, str]] = field(default_factory=dict)  # method -> (n, after)
    # chat.postMessage to a channel answered 429 the next n times: channel -> (n, after)
    rate_limited_channels: dict[str, tuple[int, str]] = field(default_factory=dict)
    not_in_channel: set[str] = field(default_factory=set)
    private: set[str] = field(default_factory=set)  # private channels (by id)
    archived: set[str] = field(default_factory=set)
    # The token's scopes, sent in X-OAuth-Scopes with every answer as Slack does. Without
    # chat:write.public (an install that did not grant it), as here by default, a post to a
    # channel the bot is not in is refused with not_in_channel, public or not.
    scopes: str = "commands,chat:write,users:read,files:write,channels:read,groups:read"
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> the bytes uploaded
    # The n-th chat.postMessage (1-based; 0: none) is held unanswered until ``release``;
    # ``held`` counts the requests held now. A held message is posted when released.
    hold_post: int = 0
    held: int = 0
    posted: list[Call] = field(default_factory=list)  # chat.postMessage answered ok, in order
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    base: str = ""
    root: str = ""
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    sockets_open: int = 0  # Socket Mode connections open now
    _envelopes: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner, port = await serve(app)
        self.root = f"http://127.0.0.1:{port}"
        self.base = f"{self.root}/api/"
        return self.base

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def response_url(self, key: str = "cmd1") -> str:
        return f"{self.root}/response/{key}"

    def send_over_socket(self, envelope: dict[str, Any]) -> None:
        """Queue a Socket Mode envelope for the connected app (as Slack pushes events)."""
        self._envelopes.put_nowait(envelope)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: hello, then queued envelopes; the app's acks are recorded."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets_open += 1
        self._changed.set()

        async def push() -> None:
            while True:
                await ws.send_json(await self._envelopes.get())

        pusher: asyncio.Future[None] | None = None
        try:
            await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {}})
            pusher = asyncio.ensure_future(push())
            async for message in ws:
                if message.type == web.WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(message.data))
                    self._changed.set()
        finally:
            if pusher is not None:
                pusher.cancel()
            self.sockets_open -= 1
            self._changed.set()
        return ws

    def rate_limit_once(self, method: str, retry_after: str = "0.05") -> None:
        self.rate_limited[method] = (1, retry_after)

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, predicate: Callable[[FakeSlackAPI], bool], timeout: float = PATIENT
    ) -> None:
        async def loop() -> None:
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.read()
        if request.content_type == "application/json":
            return dict(request.query) | dict(json.loads(raw or b"{}"))
        return dict(request.query) | dict(parse_qsl(raw.decode()))

    def _record(self, method: str, body: dict[str, Any], request: web.Request) -> None:
        self.calls.append(Call(method, body, dict(request.headers)))
        self._changed.set()

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of files_upload_v2: the bytes, posted to the URL step 1 gave."""
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        self._record("upload", {"file_id": file_id}, request)
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self.violations.extend(block_violations(body))
        self._record("response_url", body, request)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        response = await self._api_answer(request)
        response.headers["X-OAuth-Scopes"] = self.scopes
        return response

    def can_post(self, channel: str) -> bool:
        """Whether chat.postMessage reaches ``channel``: a member, or a public channel with
        chat:write.public."""
        if channel in self.archived:
            return False
        if channel not in self.not_in_channel:
            return True
        return channel not in self.private and "chat:write.public" in self.scopes.split(",")

    def _conversation(self, channel: str) -> web.Response:
        """conversations.info: a private channel the bot is not in is not found (as Slack
        answers it), any other is described with ``is_member``."""
        if channel in self.private and channel in self.not_in_channel:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        return web.json_response(
            {
                "ok": True,
                "channel": {
                    "id": channel,
                    "name": channel.lower(),
                    "is_channel": True,
                    "is_private": channel in self.private,
                    "is_archived": channel in self.archived,
                    "is_member": channel not in self.not_in_channel,
                },
            }
        )

    async def _api_answer(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        self._record(method, body, request)
        count, after = self.rate_limited.get(method, (0, ""))
        if count:
            self.rate_limited[method] = (count - 1, after)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": after}
            )
        target = str(body.get("channel"))
        count, after = self.rate_limited_channels.get(target, (0, ""))
        if method == "chat.postMessage" and count:
            self.rate_limited_channels[target] = (count - 1, after)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": after}
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if method == "apps.connections.open":
            if token != self.app_token:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response(
                {"ok": True, "url": self.root.replace("http", "ws") + "/socket"}
            )
        if token != self.token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "bot_id": "B0000BOT",
                    "team": "Fake",
                    "user": "newsbrief",
                    "url": "https://fake.slack.com/",
                }
            )
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return web.json_response(
                {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
            )
        if method == "files.completeUploadExternal":
            files = json.loads(str(body.get("files") or "[]"))
            missing = [f["id"] for f in files if f["id"] not in self.uploads]
            if missing:
                return web.json_response({"ok": False, "error": "file_not_found"})
            return web.json_response({"ok": True, "files": files})
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            if user is None:
                return web.json_response({"ok": False, "error": "user_not_found"})
            return web.json_response({"ok": True, "user": user})
        if method == "chat.postMessage":
            await self._hold_if(len(self.named(method)))
        if method == "conversations.info":
            return self._conversation(str(body.get("channel")))
        if method in ("chat.postMessage", "chat.postEphemeral"):
            problems = block_violations(body)
            self.violations.extend(problems)
            if problems:
                return web.json_response({"ok": False, "error": "invalid_blocks"})
            channel = str(body.get("channel"))
            if channel in self.archived:
                return web.json_response({"ok": False, "error": "is_archived"})
            if not self.can_post(channel):
                return web.json_response({"ok": False, "error": "not_in_channel"})
            if method == "chat.postMessage":
                self.posted.append(Call(method, body, dict(request.headers)))
                self._changed.set()
            return web.json_response(
                {
                    "ok": True,
                    "channel": body.get("channel"),
                    "ts": f"1715000000.{next(self._ts):06d}",
                }
            )
        return web.json_response({"ok": False, "error": "unknown_method"})


def user(uid: str, *, admin: bool = False, owner: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "team_id": TEAM,
        "name": uid.lower(),
        "is_admin": admin,
        "is_owner": owner,
        "is_primary_owner": False,
        "is_bot": False,
    }


def command_payload(
    *,
    command: str,
    text: str,
    response_url: str,
    user_id: str = "U0000READ",
    channel_id: str = "C0000NEWS",
) -> dict[str, str]:
    """The fields of a slash command, as Slack sends them (form fields or Socket Mode)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": "news",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0000APP",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def signed_command(
    secret: str,
    *,
    command: str,
    text: str,
    response_url: str,
    user_id: str = "U0000READ",
    channel_id: str = "C0000NEWS",
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A slash-command POST body and headers, signed with ``secret`` (v0 HMAC-SHA256)."""
    body = urlencode(
        command_payload(
            command=command,
            text=text,
            response_url=response_url,
            user_id=user_id,
            channel_id=channel_id,
        )
    ).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }
    return body, headers


def installation(bot_token: str = "xoxb-installed-token") -> Installation:
    """The OAuth installation of the bot in the fake workspace, as Slack's flow stores it."""
    return Installation(
        app_id="A0000APP",
        team_id=TEAM,
        user_id="U0000ADMN",
        bot_token=bot_token,
        bot_id="B0000BOT",
        bot_user_id=BOT_USER,
        bot_scopes=["commands", "chat:write"],
    )


@asynccontextmanager
async def served(app: Any, path: str = "/slack/events") -> AsyncIterator[str]:
    """A bolt ``AsyncApp`` served over HTTP on 127.0.0.1 (a free port); yields its URL."""
    runner, port = await serve(app.web_app(path=path))
    try:
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        await runner.cleanup()
