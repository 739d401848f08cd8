"""A local fake of Discord's REST API (aiohttp.web on 127.0.0.1, port 0).

The real discord.py client talks to it once ``discord.http.Route.BASE`` points here.
It records every request, answers with realistic payloads, and checks what Discord
would check: the token, every embed and message limit, and (for our safety rule)
that each message is sent with ``allowed_mentions`` parsing nothing. A violation is
answered with 400 and kept in ``violations`` so a test sees it.

It also has a minimal gateway (``fake.gateway``, for ``DiscordWebSocket.DEFAULT_GATEWAY``):
HELLO, heartbeat acks, and READY for an IDENTIFY with the right token (close code 4004,
as Discord, for a wrong one). Enough for ``client.connect()`` to connect and stay.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web

from tests.fakes.holding import HoldsARequest
from tests.fakes.loopback import serve
from tests.timing import PATIENT

API = "/api/v10"
APP_ID = 400000000000000001
BOT_ID = 400000000000000002
OWNER_ID = 400000000000000003
TIMESTAMP = "2024-05-06T09:30:00.000000+00:00"
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ALL_PERMISSIONS = 2147483647


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    # a multipart request's files: (form field, filename, bytes); its JSON is ``body``
    files: list[tuple[str, str, bytes]] = field(default_factory=list)


def _multipart(content_type: str, raw: bytes) -> tuple[Any, list[tuple[str, str, bytes]]]:
    """A multipart/form-data body as Discord reads it: the ``payload_json`` part, and the
    files (``files[n]`` parts) with their names and bytes."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    payload: Any = None
    files: list[tuple[str, str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if name == "payload_json":
            payload = json.loads(data)
        else:
            files.append((str(name), part.get_filename() or "", data))
    return payload, files


@dataclass
class RateLimit:
    method: str
    pattern: re.Pattern[str]
    retry_after: float
    remaining: int = 1


def _user(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON exactly as Discord labels it: discord.py only parses ``application/json``."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def embed_violations(payload: dict[str, Any]) -> list[str]:
    """What Discord's API would refuse in a message payload (limits as documented)."""
    problems: list[str] = []
    content = payload.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content {len(content)} > 2000")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds > 10")
    total = 0
    for embed in embeds:
        if len(embed.get("url") or "") > 2048:
            problems.append(f"embed url {len(embed['url'])} > 2048")
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            if len(embed.get(key, "")) > limit:
                problems.append(f"embed {key} {len(embed[key])} > {limit}")
        fields_ = embed.get("fields", [])
        if len(fields_) > 25:
            problems.append(f"{len(fields_)} fields > 25")
        footer = embed.get("footer", {}).get("text", "")
        author = embed.get("author", {}).get("name", "")
        if len(footer) > 2048:
            problems.append("footer > 2048")
        if len(author) > 256:
            problems.append("author > 256")
        size = len(embed.get("title", "")) + len(embed.get("description", ""))
        size += len(footer) + len(author)
        for item in fields_:
            if len(item.get("name", "")) > 256 or len(item.get("value", "")) > 1024:
                problems.append("field too long")
            size += len(item.get("name", "")) + len(item.get("value", ""))
        total += size
    if total > 6000:
        problems.append(f"embeds total {total} > 6000")
    mentions = payload.get("allowed_mentions")
    if (
        mentions is None
        or mentions.get("parse") != []
        or mentions.get("users")
        or mentions.get("roles")
    ):
        problems.append(f"allowed_mentions would let text ping: {mentions!r}")
    return problems


@dataclass
class FakeDiscordAPI(HoldsARequest):
    """Start with ``await fake.start()``; ``fake.base`` is what Route.BASE should be."""

    token: str = "fake-discord-token"
    requests: list[Recorded] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    rate_limits: list[RateLimit] = field(default_factory=list)
    base: str = ""
    gateway: str = ""
    identified: list[dict[str, Any]] = field(default_factory=list)  # IDENTIFY payloads
    # The bot's resolved permissions by channel id (every one when absent): a post to a
    # channel it cannot view is 403 Missing Access (50001), one it cannot send in 403
    # Missing Permissions (50013), as Discord answers them.
    channel_permissions: dict[str, int] = field(default_factory=dict)
    dm_channels: dict[str, str] = field(default_factory=dict)  # user id -> its DM channel id
    gateway_open: int = 0  # gateway connections open now
    # Channel messages created, in order (a repeat of an enforced nonce creates none, as
    # Discord answers it with the message it created before).
    posted: list[Recorded] = field(default_factory=list)
    # The n-th channel message request (1-based; 0: none) is created when it arrives but
    # answered only on ``release``: a poster stopped meanwhile never hears that it is out.
    # ``held`` counts the answers held now.
    hold_post: int = 0
    held: int = 0
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _by_nonce: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500000000000000001))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    # Interactions sent over the gateway (``send_interaction``): when each was sent and
    # when its first callback arrived, by interaction id (time.monotonic, this process).
    sent_at: dict[str, float] = field(default_factory=dict)
    first_callback_at: dict[str, float] = field(default_factory=dict)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(2))
    _sending: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/_control/interactions", self._control_send)
        app.router.add_get("/_control/latencies", self._control_latencies)
        app.router.add_route("*", API + "/{tail:.*}", self._dispatch)
        app.router.add_get("/gateway", self._gateway)
        self._runner, port = await serve(app)
        self.base = f"http://127.0.0.1:{port}{API}"
        self.gateway = f"ws://127.0.0.1:{port}/gateway"
        return self.base

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def permissions_in(self, channel_id: int | str) -> int:
        """The bot's permissions in a channel, as an interaction's ``app_permissions``."""
        return self.channel_permissions.get(str(channel_id), ALL_PERMISSIONS)

    def rate_limit_once(self, method: str, path_regex: str, retry_after: float = 0.05) -> None:
        """The next matching request is answered 429 with Retry-After, as Discord does."""
        self.rate_limits.append(RateLimit(method, re.compile(path_regex), retry_after))

    def matching(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    async def wait_for(
        self, predicate: Callable[[FakeDiscordAPI], bool], timeout: float = PATIENT
    ) -> None:
        """Wait until the recorded requests satisfy ``predicate`` (a hang fails the test)."""

        async def loop() -> None:
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    # --- interactions over the gateway (the bot's own parser path) --------------------

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        """Dispatch INTERACTION_CREATE on the open gateway session, as Discord does."""
        frame = {"op": 0, "t": "INTERACTION_CREATE", "s": next(self._seq), "d": payload}
        self.sent_at[str(payload["id"])] = time.monotonic()
        for ws in list(self._sockets):
            await ws.send_json(frame)

    async def _control_send(self, request: web.Request) -> web.Response:
        """POST {"payloads": [...], "spacing": seconds}: send them, one every ``spacing``
        (for a test in another process: this fake's loop is never the bot's)."""
        body = await request.json()

        async def send_all() -> None:
            for payload in body["payloads"]:
                await self.send_interaction(payload)
                await asyncio.sleep(float(body.get("spacing", 0)))

        task = asyncio.ensure_future(send_all())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return _json({"queued": len(body["payloads"])}, status=202)

    async def _control_latencies(self, request: web.Request) -> web.Response:
        """Seconds from each interaction sent to its first callback (answered ones)."""
        latencies = {
            key: self.first_callback_at[key] - sent
            for key, sent in self.sent_at.items()
            if key in self.first_callback_at
        }
        callbacks = [r for r in self.requests if r.path.startswith("/interactions/")]
        return _json(
            {"sent": len(self.sent_at), "latencies": latencies, "callbacks": len(callbacks)}
        )

    # --- the gateway ---------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO; heartbeat → ack; IDENTIFY → READY (no guilds) or 4004 for a wrong token.
        Frames go out as text, which discord.py reads uncompressed."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.gateway_open += 1
        self._sockets.append(ws)
        self._changed.set()
        try:
            await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
            async for message in ws:
                if message.type != web.WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if frame.get("op") == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif frame.get("op") == 2:
                    identify = frame["d"]
                    self.identified.append(identify)
                    self._changed.set()
                    if identify.get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    await ws.send_json(self._ready(identify))
        finally:
            self._sockets.remove(ws)
            self.gateway_open -= 1
            self._changed.set()
        return ws

    def _ready(self, identify: dict[str, Any]) -> dict[str, Any]:
        user = _user(BOT_ID, "newsbrief", bot=True)
        user.update({"verified": True, "mfa_enabled": False})
        return {
            "op": 0,
            "t": "READY",
            "s": 1,
            "d": {
                "v": 10,
                "user": user,
                "guilds": [],
                "session_id": "fake-gateway-session",
                "resume_gateway_url": self.gateway,
                "shard": identify.get("shard") or [0, 1],
                "application": {"id": str(APP_ID), "flags": 0},
            },
        }

    # --- the API -------------------------------------------------------------------

    def _message(self, channel_id: str, body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "author": _user(BOT_ID, "newsbrief", bot=True),
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "flags": flags | (body.get("flags") or 0),
            "components": [],
        }

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        if request.method == "POST" and re.fullmatch(r"/interactions/\d+/[^/]+/callback", path):
            self.first_callback_at.setdefault(path.split("/")[2], time.monotonic())
        raw = await request.read()
        body: Any = None
        files: list[tuple[str, str, bytes]] = []
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw and request.content_type == "multipart/form-data":
            body, files = _multipart(request.headers["Content-Type"], raw)
        elif raw:
            body = raw.decode("utf-8", "replace")
        self.requests.append(
            Recorded(request.method, path, dict(request.query), body, dict(request.headers), files)
        )
        self._changed.set()
        try:
            response = self._answer(request, path, body)
            if request.method == "POST" and re.fullmatch(r"/channels/\d+/messages", path):
                await self._hold_if(len(self.matching("POST", r"/channels/\d+/messages")))
            return response
        finally:
            self._changed.set()

    def _answer(self, request: web.Request, path: str, body: Any) -> web.StreamResponse:
        method = request.method
        for limit in self.rate_limits:
            if limit.remaining and limit.method == method and limit.pattern.fullmatch(path):
                limit.remaining -= 1
                return _json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": limit.retry_after,
                        "global": False,
                    },
                    status=429,
                    headers={
                        "Retry-After": str(limit.retry_after),
                        "Via": "1.1 google",
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": str(limit.retry_after),
                        "X-RateLimit-Bucket": "fakebucket",
                        "X-RateLimit-Scope": "user",
                    },
                )
        is_webhook = path.startswith(("/webhooks/", "/interactions/"))
        if not is_webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if method == "GET" and path == "/users/@me":
            user = _user(BOT_ID, "newsbrief", bot=True)
            user.update({"verified": True, "mfa_enabled": False})
            return _json(user)
        if method == "GET" and path == "/gateway/bot":
            return _json(
                {
                    "url": self.gateway,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": str(APP_ID),
                    "name": "newsbrief",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": _user(OWNER_ID, "owner"),
                    "verify_key": "00" * 32,
                    "flags": 0,
                    "team": None,
                }
            )
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            guild = re.search(r"/guilds/(\d+)/", path)
            commands = [
                {
                    **command,
                    "id": str(next(self._ids)),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "default_member_permissions": command.get("default_member_permissions"),
                    **({"guild_id": guild.group(1)} if guild else {}),
                }
                for command in body
            ]
            return _json(commands)
        if method == "POST" and re.fullmatch(r"/interactions/\d+/[^/]+/callback", path):
            interaction_id = path.split("/")[2]
            kind = body.get("type")
            data = body.get("data") or {}
            if kind == 4:
                self._check(data)
            return _json(
                {
                    "interaction": {
                        "id": interaction_id,
                        "type": 2,
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
                    },
                    "resource": {"type": kind},
                }
            )
        if method == "POST" and re.fullmatch(r"/webhooks/\d+/[^/]+", path):
            self._check(body)
            return _json(self._message("0", body))
        if method in ("DELETE", "PATCH") and re.fullmatch(
            r"/webhooks/\d+/[^/]+/messages/@original", path
        ):
            return (
                web.Response(status=204) if method == "DELETE" else _json(self._message("0", body))
            )
        if method == "POST" and path == "/users/@me/channels":
            # A DM channel with the recipient (the same one each time, as Discord's).
            recipient = str(body["recipient_id"])
            dm = self.dm_channels.setdefault(recipient, str(next(self._ids)))
            return _json(
                {
                    "id": dm,
                    "type": 1,
                    "last_message_id": None,
                    "flags": 0,
                    "recipients": [_user(int(recipient), "manager")],
                }
            )
        if method == "POST" and re.fullmatch(r"/channels/\d+/messages", path):
            allowed = self.permissions_in(path.split("/")[2])
            if not allowed & VIEW_CHANNEL:
                return _json({"message": "Missing Access", "code": 50001}, status=403)
            if not allowed & SEND_MESSAGES:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            problems = self._check(body)
            if problems:
                return _json({"message": "; ".join(problems), "code": 50035}, status=400)
            channel_id = path.split("/")[2]
            nonce = str(body.get("nonce") or "")
            if len(nonce) > 25:
                self.violations.append(f"nonce of {len(nonce)} characters (limit 25)")
                return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
            if nonce and body.get("enforce_nonce") and (channel_id, nonce) in self._by_nonce:
                # Discord: "If another message was created by the same author with the
                # same nonce, that message will be returned and no new message will be
                # created" (for a few minutes: here, for the fake's life).
                return _json(self._by_nonce[channel_id, nonce])
            message = self._message(channel_id, body)
            if nonce:
                message["nonce"] = nonce
                self._by_nonce[channel_id, nonce] = message
            self.posted.append(self.requests[-1])
            return _json(message)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _check(self, payload: dict[str, Any]) -> list[str]:
        problems = embed_violations(payload)
        self.violations.extend(problems)
        return problems


def interaction_payload(
    *,
    name: str,
    options: list[dict[str, Any]] | None = None,
    guild_id: int = 600000000000000001,
    channel_id: int = 600000000000000002,
    user_id: int = 600000000000000003,
    permissions: int = 0,
    interaction_id: int = 700000000000000001,
    token: str = "interaction-token",
    kind: int = 2,
    app_permissions: int = ALL_PERMISSIONS,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload as the gateway delivers it for a slash command
    (``kind=4`` for autocomplete); ``permissions`` is the member's resolved bitfield,
    ``app_permissions`` the bot's (``FakeDiscordAPI.permissions_in`` the channel)."""
    return {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "data": {"id": "800000000000000001", "name": name, "type": 1, "options": options or []},
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": "news",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        },
        "member": {
            "user": _user(user_id, "reader"),
            "roles": [],
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        },
        "token": token,
        "version": 1,
        "app_permissions": str(app_permissions),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 8388608,
    }
