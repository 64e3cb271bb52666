"""A fake Discord on 127.0.0.1 for tests: REST under /api/v10 and a gateway websocket.

It speaks just enough of the real protocol for discord.py to log in, IDENTIFY (or RESUME at the READY's
resume_gateway_url), receive INTERACTION_CREATE dispatches pushed by a test, and answer them through the
interaction callback and webhook routes. Every REST request is recorded; faults (429 with retry_after,
403, 404, 5xx, slow answers) can be injected per route. Waiting is done on a condition, never by polling.
The helpers the Discord tests share live at the end: a scripted core, a running adapter, message checks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from bot.adapters.discord import DiscordAdapter
from bot.config import DiscordSettings
from bot.core.spec import offered
from bot.core.types import Block, CommandInfo, Reply, Request, Suggestion
from bot.registry import COMMANDS

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.s3cr3t-T0ken_value-that-must-never-be-logged0"
API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 64
LOADING = 128
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = (1 << 10) | (1 << 11) | (1 << 14)  # view channel, send messages, embed links

T = TypeVar("T")
Json = dict[str, Any]
Handler = Callable[[web.Request, "re.Match[str]", Any], Awaitable[web.Response]]

_counter = itertools.count(1)


def snowflake() -> str:
    """A fresh, increasing Discord-style id."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((millis << 22) | (next(_counter) & 0x3FFFFF))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer whose Content-Type is exactly application/json, as discord.py requires."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def _attachments(body: Json) -> list[Json]:
    """Attachment objects for the files uploaded with a message (see FakeDiscord._multipart)."""
    return [{"id": snowflake(), "filename": f["filename"], "size": len(f["content"]),
             "url": f"https://cdn.example/{f['filename']}", "proxy_url": "https://cdn.example/p"}
            for f in body.get("_files") or []]


@dataclass(slots=True)
class Recorded:
    """One REST request the fake received, and the status it answered with."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0


@dataclass(slots=True)
class Fault:
    """An injected failure: the next `times` matching requests get `status` (0: only the delay)."""

    method: str
    path: re.Pattern[str]
    status: int
    code: int = 0
    message: str = ""
    retry_after: float = 0.3
    delay: float = 0.0
    times: int = 1


@dataclass(slots=True)
class Session:
    """A gateway session of one shard; it survives a dropped connection so that RESUME works."""

    session_id: str
    shard: list[int]
    seq: int = 0
    ws: web.WebSocketResponse | None = None


@dataclass(slots=True)
class Interaction:
    """An interaction the fake pushed, and what the bot did with it."""

    id: str
    token: str
    payload: Json
    callbacks: list[int] = field(default_factory=list)  # response types, in order
    original: str | None = None  # id of the original response message
    loading: bool = False

    @property
    def responded(self) -> bool:
        """True once a callback was accepted."""
        return bool(self.callbacks)


@dataclass(frozen=True, slots=True)
class Where:
    """Who acts, and where: a guild text channel by default, or the bot's DM."""

    user_id: str = "300000000000000001"
    guild_id: str | None = "200000000000000001"
    channel_id: str = "100000000000000001"
    locale: str = "en-US"
    permissions: int = SEND_MESSAGES
    dm: bool = False


GUILD_MEMBER = Where()
GUILD_ADMIN = Where(user_id="300000000000000002", permissions=SEND_MESSAGES | MANAGE_GUILD)
DIRECT = Where(guild_id=None, channel_id="100000000000000009", dm=True)


class FakeDiscord:
    """REST + gateway fake: start(), point the adapter at base_url/gateway_url, push interactions."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.application_id = snowflake()
        self.bot_user: Json = {
            "id": self.application_id, "username": "transcript-bot", "discriminator": "0", "global_name": None,
            "avatar": None, "bot": True, "flags": 0, "public_flags": 0, "verified": True, "mfa_enabled": False,
        }
        self.heartbeat_interval_ms = 41_250
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.connections: list[str] = []  # gateway paths connected to, in order
        self.identifies: list[Json] = []
        self.resumes: list[Json] = []
        self.sessions: dict[str, Session] = {}
        self.interactions: dict[str, Interaction] = {}
        self.messages: dict[str, Json] = {}  # id -> message payload, in creation order
        self.source: dict[str, str | None] = {}  # message id -> interaction id (None: posted to a channel)
        self.deleted: set[str] = set()
        self.commands: dict[str | None, list[Json]] = {}  # guild id (None: global) -> last synced commands
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        webhook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        for method, pattern, handler, auth in (
            ("GET", r"/gateway/bot", self._gateway_bot, True),
            ("GET", r"/users/@me", self._me, True),
            ("GET", r"/oauth2/applications/@me", self._application, True),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands, True),
            ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", self._put_commands, True),
            ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback, False),
            ("POST", webhook, self._followup, False),
            ("GET", webhook + r"/messages/@original", self._get_original, False),
            ("PATCH", webhook + r"/messages/@original", self._edit_original, False),
            ("DELETE", webhook + r"/messages/@original", self._delete_original, False),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message, True),
            ("GET", r"/channels/(?P<channel>\d+)", self._get_channel, True),
        ):
            self._routes.append((method, re.compile(pattern), handler, auth))

    # lifecycle

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Drop every gateway connection and stop listening."""
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """The REST base, version included (what DISCORD_API_BASE_URL would hold)."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The gateway URL for IDENTIFY (what DISCORD_GATEWAY_URL would hold)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_url(self) -> str:
        """Where READY tells the client to RESUME."""
        return f"ws://127.0.0.1:{self.port}/resume"

    # waiting and inspection

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], T | None], within: float = 5.0) -> T:
        """Wait until predicate() is truthy (re-checked on every change) and return its value."""
        async with asyncio.timeout(within), self._changed:
            value = await self._changed.wait_for(predicate)
        assert value is not None  # Condition.wait_for returns only once the value is truthy
        return value

    def find(self, method: str | None = None, path: str = "") -> list[Recorded]:
        """Recorded requests with this method whose path matches the regex `path` (search)."""
        pattern = re.compile(path)
        return [r for r in self.requests if (method is None or r.method == method) and pattern.search(r.path)]

    def message_payloads(self) -> list[Json]:
        """The JSON body of every request that created or edited a message (for limit checks)."""
        out: list[Json] = []
        for r in self.requests:
            if not isinstance(r.json, dict):
                continue
            if r.path.endswith("/callback") and r.json.get("type") in (4, 7):
                out.append(r.json.get("data") or {})
            elif r.method in ("POST", "PATCH") and ("/webhooks/" in r.path or r.path.endswith("/messages")):
                out.append(r.json)
        return out

    def replies(self, interaction: Interaction) -> list[Json]:
        """The messages an interaction produced that are still visible, in order."""
        return [
            m for mid, m in self.messages.items()
            if self.source.get(mid) == interaction.id and mid not in self.deleted
        ]

    def channel_messages(self, channel_id: str) -> list[Json]:
        """Messages posted straight to a channel (broadcasts), in order."""
        return [m for mid, m in self.messages.items() if self.source.get(mid) is None and m["channel_id"] == channel_id]

    # faults

    def fail(
        self, method: str, path: str, status: int, *, code: int = 0, message: str = "", retry_after: float = 0.3,
        times: int = 1, delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests matching method and path (regex, full match) with an error."""
        self.faults.append(Fault(method, re.compile(path), status, code, message, retry_after, delay, times))

    def slow(self, method: str, path: str, delay: float, *, times: int = 1) -> None:
        """Delay the next `times` matching requests, then answer them normally."""
        self.fail(method, path, 0, delay=delay, times=times)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path.fullmatch(path):
                fault.times -= 1
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            headers = {
                "Via": "1.1 google",
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Bucket": "fake-bucket",
                "X-RateLimit-Scope": "user",
                "Retry-After": str(max(1, round(fault.retry_after))),
            }
            body = {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": False}
            return json_response(body, 429, headers)
        return json_response({"message": fault.message or f"{fault.status} error", "code": fault.code}, fault.status)

    # REST

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path[len(API_PREFIX):]
        body: Any = None
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
        elif request.content_type == "multipart/form-data":
            body = await self._multipart(request)
        record = Recorded(request.method, path, dict(request.query), body)
        self.requests.append(record)
        response = await self._answer(request, path, body)
        record.status = response.status
        await self._notify()
        return response

    @staticmethod
    async def _multipart(request: web.Request) -> Json:
        """A message with files: its JSON part, with each uploaded file (name, bytes) under "_files"."""
        form = await request.post()
        raw = form.get("payload_json")
        body: Json = json.loads(raw) if isinstance(raw, str) else {}
        files = [{"filename": v.filename, "content": v.file.read()}
                 for v in form.values() if isinstance(v, web.FileField)]
        target = body["data"] if isinstance(body.get("data"), dict) else body
        target["_files"] = files
        return body

    async def _answer(self, request: web.Request, path: str, body: Any) -> web.Response:
        fault = self._take_fault(request.method, path)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.status:
                return self._fault_response(fault)
        for method, pattern, handler, auth in self._routes:
            match = pattern.fullmatch(path)
            if match is None or method != request.method:
                continue
            if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                return json_response({"message": "401: Unauthorized", "code": 0}, 401)
            return await handler(request, match, body)
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    async def _gateway_bot(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _me(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        return json_response(self.bot_user)

    async def _application(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        return json_response({
            "id": self.application_id, "name": "transcript-bot", "icon": None, "description": "", "summary": "",
            "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False, "owner": self.bot_user,
            "team": None, "verify_key": "0" * 64, "flags": 0, "interactions_endpoint_url": None,
        })

    async def _put_commands(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        guild = match.groupdict().get("guild")
        self.commands[guild] = list(body)
        synced = [
            {**command, "id": snowflake(), "application_id": self.application_id, "version": snowflake(),
             **({"guild_id": guild} if guild else {})}
            for command in body
        ]
        return json_response(synced)

    def _store(self, channel_id: str, body: Json, flags: int, source: str | None) -> Json:
        message: Json = {
            "id": snowflake(), "channel_id": channel_id, "type": 0, "author": self.bot_user,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "timestamp": _now(),
            "attachments": _attachments(body),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "pinned": False, "flags": flags,
        }
        if source is not None:
            message["webhook_id"] = self.application_id
            message["application_id"] = self.application_id
        self.messages[message["id"]] = message
        self.source[message["id"]] = source
        return message

    def _edit(self, message: Json, body: Json) -> Json:
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if body.get("_files"):
            message["attachments"] = _attachments(body)
        message["flags"] = message["flags"] & ~LOADING
        message["edited_timestamp"] = _now()
        return message

    async def _callback(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        interaction = self.interactions.get(match["id"])
        if interaction is None or interaction.token != match["token"]:
            return json_response({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.responded:
            return json_response({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        kind = int(body["type"])
        data = body.get("data") or {}
        interaction.callbacks.append(kind)
        flags = int(data.get("flags") or 0)
        message: Json | None = None
        channel_id = interaction.payload["channel_id"]
        if kind == 4:
            message = self._store(channel_id, data, flags, interaction.id)
        elif kind == 5:
            message = self._store(channel_id, {}, flags | LOADING, interaction.id)
            interaction.loading = True
        elif kind == 7:
            message = self._edit(interaction.payload["message"], data)
        if message is not None and kind in (4, 5):
            interaction.original = message["id"]
        resource: Json = {"type": kind}
        if message is not None:
            resource["message"] = message
        answer = {
            "interaction": {
                "id": interaction.id, "type": interaction.payload["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5, "response_message_ephemeral": bool(flags & EPHEMERAL),
            },
            "resource": resource,
        }
        return json_response(answer)

    def _by_token(self, token: str) -> Interaction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    async def _followup(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        interaction = self._by_token(match["token"])
        if interaction is None or not interaction.responded:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        original = self.messages.get(interaction.original or "")
        if interaction.loading and original is not None and interaction.original not in self.deleted:
            # Like Discord: a follow-up while "thinking" resolves the loading message (its flags stay).
            interaction.loading = False
            return json_response(self._edit(original, body))
        interaction.loading = False
        flags = int(body.get("flags") or 0)
        return json_response(self._store(interaction.payload["channel_id"], body, flags, interaction.id))

    def _original(self, match: re.Match[str]) -> tuple[Interaction | None, Json | None]:
        interaction = self._by_token(match["token"])
        if interaction is None or interaction.original is None or interaction.original in self.deleted:
            return interaction, None
        return interaction, self.messages[interaction.original]

    async def _get_original(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        _, message = self._original(match)
        if message is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        return json_response(message)

    async def _edit_original(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        interaction, message = self._original(match)
        if interaction is None or message is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        interaction.loading = False
        return json_response(self._edit(message, body))

    async def _delete_original(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        interaction, message = self._original(match)
        if interaction is None or message is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        self.deleted.add(message["id"])
        interaction.loading = False
        return web.Response(status=204)

    async def _create_message(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        flags = int(body.get("flags") or 0)
        return json_response(self._store(match["channel"], body, flags, None))

    async def _get_channel(self, request: web.Request, match: re.Match[str], body: Any) -> web.Response:
        return json_response(self._text_channel(match["channel"], "200000000000000001", SEND_MESSAGES))

    # gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(request.path)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
        await self._notify()
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                await self._identify(ws, data)
            elif op == 6:
                await self._resume(ws, data)
        return ws

    async def _send(self, session: Session, event: str, data: Json) -> None:
        session.seq += 1
        assert session.ws is not None
        await session.ws.send_json({"op": 0, "t": event, "s": session.seq, "d": data})

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> None:
        self.identifies.append(data)
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        session = Session(secrets.token_hex(16), list(data.get("shard") or [0, 1]), ws=ws)
        self.sessions[session.session_id] = session
        await self._send(session, "READY", {
            "v": 10, "user": self.bot_user, "guilds": [], "session_id": session.session_id,
            "resume_gateway_url": self.resume_url, "shard": session.shard, "private_channels": [],
            "application": {"id": self.application_id, "flags": 0},
        })
        await self._notify()

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> None:
        self.resumes.append(data)
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            return
        session.ws = ws
        await self._send(session, "RESUMED", {})
        await self._notify()

    def connected(self, shard_id: int = 0) -> Session | None:
        """The live session of a shard, if its connection is up."""
        for session in reversed(list(self.sessions.values())):
            if session.shard[0] == shard_id and session.ws is not None and not session.ws.closed:
                return session
        return None

    async def wait_connected(self, shard_id: int = 0, within: float = 5.0) -> Session:
        """Wait for a live, identified (or resumed) session of a shard."""
        return await self.wait_for(lambda: self.connected(shard_id), within)

    async def dispatch(self, event: str, data: Json, shard_id: int = 0) -> None:
        """Send a DISPATCH event to the bot on a shard's current connection."""
        session = await self.wait_connected(shard_id)
        await self._send(session, event, data)

    async def disconnect(self, shard_id: int = 0, code: int = 4000) -> None:
        """Close a shard's connection with a resumable close code; the session stays resumable."""
        session = self.connected(shard_id)
        assert session is not None and session.ws is not None
        ws, session.ws = session.ws, None
        await ws.close(code=code, message=b"fake disconnect")

    # interactions

    @staticmethod
    def _user(where: Where) -> Json:
        return {"id": where.user_id, "username": "someone", "discriminator": "0", "global_name": "Someone",
                "avatar": None, "public_flags": 0}

    @staticmethod
    def _text_channel(channel_id: str, guild_id: str, permissions: int) -> Json:
        return {"id": channel_id, "type": 0, "guild_id": guild_id, "name": "general", "position": 0,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "last_message_id": None, "rate_limit_per_user": 0, "flags": 0, "permissions": str(permissions)}

    def _interaction(self, kind: int, data: Json, where: Where, message: Json | None = None) -> Interaction:
        user = self._user(where)
        payload: Json = {
            "id": snowflake(), "application_id": self.application_id, "type": kind, "data": data,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(60), "version": 1, "locale": where.locale,
            "channel_id": where.channel_id, "app_permissions": str(SEND_MESSAGES), "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if where.guild_id is not None:
            payload.update({
                "guild_id": where.guild_id, "guild_locale": "en-US", "context": 0,
                "guild": {"id": where.guild_id, "locale": "en-US", "features": []},
                "authorizing_integration_owners": {"0": where.guild_id},
                "channel": self._text_channel(where.channel_id, where.guild_id, where.permissions),
                "member": {"user": user, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                           "pending": False, "nick": None, "avatar": None, "premium_since": None,
                           "communication_disabled_until": None, "permissions": str(where.permissions)},
            })
        else:
            payload.update({
                "user": user, "context": 1 if where.dm else 2, "authorizing_integration_owners": {"1": where.user_id},
                "channel": {"id": where.channel_id, "type": 1 if where.dm else 3, "recipients": [user],
                            "last_message_id": None, "flags": 0},
            })
        if message is not None:
            payload["message"] = message
        interaction = Interaction(payload["id"], payload["token"], payload)
        self.interactions[interaction.id] = interaction
        return interaction

    async def push(self, interaction: Interaction, shard_id: int = 0) -> Interaction:
        """Deliver an interaction over the gateway."""
        await self.dispatch("INTERACTION_CREATE", interaction.payload, shard_id)
        return interaction

    async def slash(
        self, name: str, options: dict[str, str] | None = None, where: Where = GUILD_MEMBER, shard_id: int = 0
    ) -> Interaction:
        """A user runs /name with these string options."""
        opts = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        data: Json = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        return await self.push(self._interaction(2, data, where), shard_id)

    async def autocomplete(
        self, name: str, option: str, value: str, where: Where = GUILD_MEMBER, others: dict[str, str] | None = None
    ) -> Interaction:
        """A user types `value` into option `option` of /name."""
        opts = [{"name": k, "type": 3, "value": v} for k, v in (others or {}).items()]
        opts.append({"name": option, "type": 3, "value": value, "focused": True})
        data: Json = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        return await self.push(self._interaction(4, data, where))

    async def click(self, message: Json, custom_id: str, where: Where = GUILD_MEMBER) -> Interaction:
        """A user clicks the button `custom_id` under `message`."""
        data: Json = {"custom_id": custom_id, "component_type": 2}
        return await self.push(self._interaction(3, data, where, message))

    def old_message(self, channel_id: str, custom_id: str, label: str = "Old") -> Json:
        """A message with one button, as if the bot had sent it long ago (another version, another process)."""
        button = {"type": 2, "style": 2, "label": label, "custom_id": custom_id}
        return self._store(channel_id, {"components": [{"type": 1, "components": [button]}]}, 0, None)

    def callbacks(self, interaction: Interaction) -> list[Recorded]:
        """Every callback request made for an interaction (including rejected ones)."""
        return self.find("POST", rf"^/interactions/{interaction.id}/")


# helpers for tests: a scripted core, a running adapter, and the checks every message must pass

COMMAND_NAMES = ("ask", "quote", "summary", "daily", "help", "about", "stats")


class ScriptedCore:
    """A Core whose answers a test scripts (a Reply, or a function of the Request); records requests."""

    default_language = "en"

    def __init__(self, reply: Reply | Callable[[Request], Reply] | None = None, *, delay: float = 0.0) -> None:
        self.reply: Reply | Callable[[Request], Reply] = reply or Reply((Block("text", "ok"),))
        self.delay = delay
        self.requests: list[Request] = []
        self.suggestions: list[Suggestion] = []
        self.suggest_delay = 0.0
        self.suggest_error: Exception | None = None
        self.adapters: list[object] = []

    async def handle(self, request: Request) -> Reply:
        """The scripted reply, after the scripted delay."""
        self.requests.append(request)
        await asyncio.sleep(self.delay)
        return self.reply(request) if callable(self.reply) else self.reply

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        """The scripted suggestions (or error) after the scripted delay; ignores limit, so the adapter must cap."""
        self.requests.append(request)
        await asyncio.sleep(self.suggest_delay)
        if self.suggest_error is not None:
            raise self.suggest_error
        return list(self.suggestions)

    def commands(self) -> list[CommandInfo]:
        """All seven commands, with Chinese help."""
        options = {info.name: info.options for info in offered(COMMANDS)}
        return [CommandInfo(name, f"Help for {name}", f"{name} 的帮助", options=options[name])
                for name in COMMAND_NAMES]

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Discord chats never migrate."""

    def register(self, adapter: object) -> None:
        """Remember the adapter."""
        self.adapters.append(adapter)


def discord_settings(fake: FakeDiscord, **overrides: Any) -> DiscordSettings:
    """Settings pointing the adapter's REST and gateway at the fake."""
    return DiscordSettings(**{"token": fake.token, "api_base_url": fake.base_url, "gateway_url": fake.gateway_url,
                              **overrides})


@asynccontextmanager
async def running_adapter(
    fake: FakeDiscord, core: Any, settings: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[DiscordAdapter]:
    """A started adapter talking to the fake; stopped on exit."""
    adapter = DiscordAdapter(core, discord_settings(fake, **(settings or {})), **{"start_timeout": 10.0, **options})
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def embed_chars(embed: Json) -> int:
    """Characters Discord counts toward the 6000 per message."""
    fields = sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
    return (len(embed.get("title") or "") + len(embed.get("description") or "") + fields
            + len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or ""))


def assert_valid_message(payload: Json) -> None:
    """Every Discord limit, and no mention can ping."""
    assert payload.get("allowed_mentions") == {"parse": []}, payload.get("allowed_mentions")
    assert len(payload.get("content") or "") <= 2000
    embeds = payload.get("embeds") or []
    assert len(embeds) <= 10
    for embed in embeds:
        assert len(embed.get("title") or "") <= 256
        assert len(embed.get("description") or "") <= 4096
        assert len((embed.get("footer") or {}).get("text") or "") <= 2048
    assert sum(embed_chars(e) for e in embeds) <= 6000
    assert payload.get("content") or embeds, "an empty message"
    for row in payload.get("components") or []:
        for button in row["components"]:
            assert 1 <= len(button["label"]) <= 80
            assert len(button.get("custom_id", "")) <= 100


def custom_ids(message: Json) -> list[str]:
    """The custom_ids of a message's callback buttons, in order."""
    return [b["custom_id"] for row in message.get("components") or [] for b in row["components"] if "custom_id" in b]


def text_of(messages: list[Json]) -> str:
    """Every embed title, description and footer and the content of some messages, joined."""
    parts: list[str] = []
    for message in messages:
        parts.append(message.get("content") or "")
        for embed in message.get("embeds") or []:
            footer = (embed.get("footer") or {}).get("text", "")
            parts += [embed.get("title") or "", embed.get("description") or "", footer]
    return "\n".join(p for p in parts if p)
