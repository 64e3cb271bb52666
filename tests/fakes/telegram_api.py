"""A fake Telegram Bot API on loopback: records calls, serves queued updates, injects faults; plus an HTML checker."""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Self

from aiohttp import web

from bot.adapters.telegram import TelegramAdapter, TelegramTuning
from bot.config import TelegramSettings
from bot.core.types import Block, Button, Citation, CommandInfo, Reply, Request, Suggestion

TOKEN = "7254310987:AAHf5e_2xQk9Lm3NpRs8TuVw1XyZ0aBcDeF"
BOT_USERNAME = "TranscriptTestBot"
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
MESSAGE_LIMIT = 4096

# ----- Telegram HTML -------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
}
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});)")


class _TelegramHTML(HTMLParser):
    """Collects what Telegram's HTML parser would reject."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.errors: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> is not allowed")
        elif tag == "a" and (set(names) != {"href"} or not names["href"]):
            self.errors.append("<a> needs exactly one non-empty href")
        elif tag == "span" and names != {"class": "tg-spoiler"}:
            self.errors.append('<span> needs class="tg-spoiler"')
        elif tag == "code" and names and not (self.stack[-1:] == ["pre"] and set(names) == {"class"}):
            self.errors.append("<code> attributes are only allowed inside <pre>")
        elif tag == "blockquote" and set(names) - {"expandable"}:
            self.errors.append("<blockquote> takes no attributes but expandable")
        elif tag not in ("a", "span", "code", "blockquote") and names:
            self.errors.append(f"<{tag}> takes no attributes")
        if self.stack and self.stack[-1] in ("code", "pre") and not (self.stack[-1] == "pre" and tag == "code"):
            self.errors.append(f"<{tag}> inside <{self.stack[-1]}>")
        if tag in ("a", "blockquote") and tag in self.stack:
            self.errors.append(f"nested <{tag}>")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close <{self.stack[-1] if self.stack else ''}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.errors.append(f"unescaped < or > in {data[:40]!r}")

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.errors.append(f"unsupported entity &{name};")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declarations are not allowed")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instructions are not allowed")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("declarations are not allowed")


def telegram_html_errors(text: str) -> list[str]:
    """Why Telegram would reject this text with parse_mode HTML (empty when it is fine)."""
    errors = []
    if not text.strip():
        errors.append("message text is empty")
    length = len(text.encode("utf-16-le")) // 2
    if length > MESSAGE_LIMIT:
        errors.append(f"message is too long ({length} > {MESSAGE_LIMIT})")
    if _ENTITY.search(text):
        errors.append("& is not part of a supported entity")
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.rawdata:
        errors.append(f"unparsed trailing text {parser.rawdata[:40]!r}")
    errors.extend(parser.errors)
    if parser.stack:
        errors.append(f"unclosed tags: {parser.stack}")
    return errors


def assert_valid_telegram_html(text: str) -> None:
    """Fail unless Telegram would accept this message with parse_mode HTML."""
    errors = telegram_html_errors(text)
    assert not errors, f"invalid Telegram HTML: {errors}\n{text[:500]}"


def visible_text(text: str) -> str:
    """What a user sees of an HTML message."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


# ----- the fake server -----------------------------------------------------------------------------


@dataclass
class Call:
    """One Bot API call as the fake received it."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 0  # HTTP status once answered
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether the call was answered with success."""
        return self.status == 200


@dataclass
class Fault:
    """An injected failure (or delay) for the next calls of one method."""

    status: int  # 0: no error, only the delay
    description: str = ""
    parameters: dict[str, Any] | None = None
    delay: float = 0.0
    times: int = 1
    chat_id: int | str | None = None


_JSON_PARAMS = {
    "reply_markup",
    "reply_parameters",
    "link_preview_options",
    "results",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
    "button",
}
_INT_PARAMS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "message_thread_id",
    "user_id",
    "max_connections",
    "from_chat_id",
}


_ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                 "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                 "can_delete_stories")  # fmt: skip
_MEMBER_RIGHTS = ("can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages", "can_send_polls",
                  "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
                  "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
                  "can_send_voice_notes", "can_edit_tag")  # fmt: skip


def _parse(name: str, value: str) -> Any:
    if name in _JSON_PARAMS or value in ("true", "false"):
        return json.loads(value)
    if name in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


class FakeTelegramAPI:
    """The Bot API methods PTB calls, with long-polled getUpdates, call records and injectable faults."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":")[0])
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.members: dict[tuple[int, int], str] = {}  # (chat, user) -> status for getChatMember
        self.chats: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._faults: dict[str, list[Fault]] = {}
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on 127.0.0.1 at a free port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Release long polls and slow calls, then close the server."""
        self._closing.set()
        self._bump()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """Bot API base including /bot, as TELEGRAM_API_BASE_URL takes it."""
        return f"http://127.0.0.1:{self.port}/bot"

    def settings(self, **overrides: Any) -> TelegramSettings:
        """Adapter settings pointing at this server."""
        return TelegramSettings(**{"token": self.token, "base_url": self.base_url, **overrides})

    # ----- assertions ----------------------------------------------------------------------------

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Answered calls of one method (optionally filtered)."""
        return [c for c in self.calls if c.method == method and c.status and (where is None or where(c))]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage calls (to one chat)."""
        return self.calls_to("sendMessage", lambda c: c.ok and (chat_id is None or c.params["chat_id"] == chat_id))

    async def wait_for(
        self, method: str, count: int = 1, where: Callable[[Call], bool] | None = None, within: float = 5.0
    ) -> list[Call]:
        """Wait until at least count answered calls of a method (matching where) have been made."""
        async with asyncio.timeout(within):
            while len(found := self.calls_to(method, where)) < count:
                await self._wait_change()
        return found

    async def wait_sent(self, count: int = 1, chat_id: int | None = None, within: float = 5.0) -> list[Call]:
        """Wait for successful sendMessage calls."""
        return await self.wait_for(
            "sendMessage", count, lambda c: c.ok and (chat_id is None or c.params["chat_id"] == chat_id), within
        )

    # ----- faults --------------------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, **kwargs: Any) -> None:
        """Make the next call(s) of a method fail (kwargs: parameters, times, delay, chat_id)."""
        self._faults.setdefault(method.lower(), []).append(Fault(status, description, **kwargs))

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """429 Too Many Requests with parameters.retry_after."""
        self.fail(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            times=times,
        )

    def forbidden(self, method: str, times: int = 1, chat_id: int | None = None) -> None:
        """403: the user blocked the bot."""
        self.fail(method, 403, "Forbidden: bot was blocked by the user", times=times, chat_id=chat_id)

    def migrate(self, method: str, new_chat_id: int, times: int = 1, chat_id: int | None = None) -> None:
        """400 with parameters.migrate_to_chat_id: the group became a supergroup."""
        self.fail(
            method,
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            parameters={"migrate_to_chat_id": new_chat_id},
            times=times,
            chat_id=chat_id,
        )

    def chat_not_found(self, method: str, times: int = 1, chat_id: int | None = None) -> None:
        """400 Bad Request: chat not found."""
        self.fail(method, 400, "Bad Request: chat not found", times=times, chat_id=chat_id)

    def bad_gateway(self, method: str, times: int = 1) -> None:
        """502 Bad Gateway."""
        self.fail(method, 502, "Bad Gateway", times=times)

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next call(s) only after a delay (successfully)."""
        self.fail(method, 0, "", delay=seconds, times=times)

    # ----- updates -------------------------------------------------------------------------------

    def user(self, user_id: int = 111, language_code: str | None = "en") -> dict[str, Any]:
        """A Telegram User object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def chat(self, chat_id: int, chat_type: str = "private", forum: bool = False) -> dict[str, Any]:
        """A Chat object (remembered, so sendMessage answers with the right chat type)."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = f"Chat {abs(chat_id) % 1000}"
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def message(
        self,
        text: str,
        chat: dict[str, Any],
        sender: dict[str, Any] | None,
        thread_id: int | None = None,
        sender_chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A Message object with a bot_command entity when the text starts with a command."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        if sender is not None:
            message["from"] = sender
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
            ]
        return message

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of a kind (message, channel_post, callback_query, inline_query); returns its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._bump()
        return update_id

    def private_text(self, text: str, user_id: int = 111, language_code: str | None = "en") -> dict[str, Any]:
        """A user writes to the bot in private."""
        message = self.message(text, self.chat(user_id), self.user(user_id, language_code))
        self.push("message", message)
        return message

    def group_text(
        self,
        text: str,
        chat_id: int = -1001234567890,
        chat_type: str = "supergroup",
        user_id: int = 222,
        language_code: str | None = "en",
        thread_id: int | None = None,
        anonymous_admin: bool = False,
    ) -> dict[str, Any]:
        """Someone writes in a group or supergroup (optionally in a forum topic, or as an anonymous admin)."""
        chat = self.chat(chat_id, chat_type, forum=thread_id is not None)
        sender = ANONYMOUS_ADMIN if anonymous_admin else self.user(user_id, language_code)
        message = self.message(text, chat, sender, thread_id, sender_chat=chat if anonymous_admin else None)
        self.push("message", message)
        return message

    def channel_post(self, text: str, chat_id: int = -1009876543210) -> dict[str, Any]:
        """A post in a channel the bot administers."""
        chat = self.chat(chat_id, "channel")
        message = self.message(text, chat, None, sender_chat=chat)
        self.push("channel_post", message)
        return message

    def press(self, data: str, message: dict[str, Any], user_id: int = 111, language_code: str | None = "en") -> str:
        """A user presses an inline button under a message; returns the callback query id."""
        query_id = f"cq{next(self._update_ids)}"
        self.push(
            "callback_query",
            {
                "id": query_id,
                "from": self.user(user_id, language_code),
                "message": message,
                "chat_instance": "ci1",
                "data": data,
            },
        )
        return query_id

    def inline(self, query: str, user_id: int = 111, language_code: str | None = "en") -> str:
        """A user types '@bot query' in some chat; returns the inline query id."""
        query_id = f"iq{next(self._update_ids)}"
        self.push(
            "inline_query",
            {
                "id": query_id,
                "from": self.user(user_id, language_code),
                "query": query,
                "offset": "",
                "chat_type": "sender",
            },
        )
        return query_id

    # ----- serving -------------------------------------------------------------------------------

    def _bump(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float | None = None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults.get(method.lower(), []):
            if fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id")):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults[method.lower()].remove(fault)
                return fault
        return None

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        merged = {**request.query, **{k: v for k, v in form.items() if isinstance(v, str)}}
        params = {name: _parse(name, value) for name, value in merged.items()}
        files = {k: {"filename": v.filename, "content": v.file.read()} for k, v in form.items()
                 if isinstance(v, web.FileField)}
        for name, value in list(params.items()):  # uploads referred to as attach://<part>
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                params[name] = files[value[9:]]
        return {**files, **params}

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        call = Call(method, await self._params(request), time.monotonic())
        self.calls.append(call)
        fault = self._take_fault(method, call.params)
        if fault is not None and fault.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.delay)
        if fault is not None and fault.status:
            return self._answer(call, fault.status, description=fault.description, parameters=fault.parameters)
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return self._answer(call, 404, description="Not Found: method not found")
        try:
            result = await handler(call.params)
        except _ApiError as exc:
            return self._answer(call, exc.status, description=exc.description)
        return self._answer(call, 200, result=result)

    def _answer(
        self,
        call: Call,
        status: int,
        result: Any = None,
        description: str = "",
        parameters: dict[str, Any] | None = None,
    ) -> web.Response:
        call.status, call.result = status, result
        self._bump()
        if status == 200:
            return web.json_response({"ok": True, "result": result})
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    # ----- Bot API methods -----------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object (as getMe answers)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Transcript Bot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _chat_for(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, str):
            return {"id": -1000000000001, "type": "channel", "title": chat_id, "username": chat_id.lstrip("@")}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": "Chat"}

    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user()

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        if offset:  # everything before offset is confirmed and forgotten
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while True:
            pending = self._updates[:limit]
            remaining = deadline - loop.time()
            if pending or remaining <= 0 or self._closing.is_set():
                return pending
            await self._wait_change(remaining)

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML":
            errors = telegram_html_errors(text)
            if errors:
                raise _ApiError(400, f"Bad Request: can't parse entities: {errors[0]}")
        elif not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        elif len(text.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat_for(params["chat_id"]),
            "from": self.bot_user(),
            "text": visible_text(text) if params.get("parse_mode") else text,
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        return {
            "message_id": params["message_id"],
            "date": int(time.time()),
            "chat": self._chat_for(params["chat_id"]),
            "text": visible_text(str(params.get("text", ""))),
        }

    async def _api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        document = params.get("document")
        if not isinstance(document, dict) or not document.get("content"):
            raise _ApiError(400, "Bad Request: there is no document in the request")
        return {
            "message_id": next(self._message_ids), "date": int(time.time()), "chat": self._chat_for(params["chat_id"]),
            "from": self.bot_user(),
            "document": {"file_id": f"doc{next(self._message_ids)}", "file_unique_id": "u", "file_name":
                         document["filename"], "file_size": len(document["content"])},
        }

    async def _api_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        status = self.members.get((params["chat_id"], params["user_id"]), "member")
        member: dict[str, Any] = {"status": status, "user": self.user(params["user_id"])}
        if status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True), can_be_edited=False, is_anonymous=False)
        elif status == "restricted":
            member.update(dict.fromkeys(_MEMBER_RIGHTS, False), is_member=True, until_date=0)
        elif status == "creator":
            member["is_anonymous"] = False
        return member

    async def _api_getmycommands(self, params: dict[str, Any]) -> list[Any]:
        return []

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    _api_answercallbackquery = _api_answerinlinequery = _api_setmycommands = _api_deletemycommands = _true
    _api_sendchataction = _api_close = _api_logout = _api_setmydescription = _true


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


# ----- a stand-in core -----------------------------------------------------------------------------

STUB_CITATION = Citation(
    talk_id="ilya-neurips-2024",
    talk_title="Sequence to sequence <learning> & ten years on",
    section="Talk",
    paragraph=3,
    speaker="Ilya Sutskever",
    url="https://www.youtube.com/watch?v=WQQdd6qGxNs&t=1",
)
STUB_COMMANDS = [
    CommandInfo("ask", "Ask a question about the talks", "就演讲内容提问", "<question>", "<问题>"),
    CommandInfo("quote", "A quote, optionally about keywords", "引用一段话，可加关键词", "[keywords]", "[关键词]"),
    CommandInfo("summary", "Key points of a talk", "演讲要点", "[talk]", "[演讲]"),
    CommandInfo("daily", "Daily quote in this chat", "每日一句", "on HH:MM | off", "on HH:MM | off",
                access="managers", rights_with_args_only=True),
    CommandInfo("about", "About the bot and the talks", "关于本机器人"),
    CommandInfo("stats", "Usage statistics", "使用统计"),
    CommandInfo("help", "How to use the bot", "使用说明", aliases=("h",)),
    CommandInfo("start", "Start", "开始"),
]


class StubCore:
    """Implements the core protocol with predictable answers, and records what it was asked."""

    default_language = "en"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.suggest_requests: list[Request] = []
        self.migrations: list[tuple[str, str, str]] = []
        self.adapters: list[Any] = []
        self.gate: asyncio.Event | None = None  # when set, handle() waits for it (a slow answer)
        self.started = asyncio.Event()

    def commands(self) -> list[CommandInfo]:
        """The stand-in command list."""
        return list(STUB_COMMANDS)

    def register(self, adapter: Any) -> None:
        """Remember the adapter."""
        self.adapters.append(adapter)

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Record the migration."""
        self.migrations.append((platform, old_chat_id, new_chat_id))

    async def handle(self, request: Request) -> Reply:
        """Answer from the command name; echo the arguments so tests can find them."""
        self.requests.append(request)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return self.answer(request)

    def answer(self, request: Request) -> Reply:
        """The reply for a request (no side effects)."""
        command, args = request.command, request.args
        if command == "ask" and args:
            return Reply(
                (Block("title", "Answer"), Block("passage", f"You asked: {args}", STUB_CITATION)),
                buttons=(
                    Button("More", "more", "ilya-neurips-2024:2"),
                    Button("Context", "context", "ilya-neurips-2024:3"),
                    Button("Source", url="https://www.youtube.com/watch?v=WQQdd6qGxNs"),
                ),
                result_count=3,
            )
        if command in ("more", "context") and not args.startswith("ilya-neurips-2024:"):
            return Reply((Block("hint", "This button has expired."),), outcome="bad_input", ephemeral=True)
        if command in ("quote", "more", "context"):
            text = f"Quote about {args}" if command == "quote" and args else f"A {command} passage ({args or 'any'})"
            return Reply((Block("quote", text, STUB_CITATION),), result_count=1)
        if command == "summary":
            items = tuple(Block("item", f"Point {i} < {i + 1} & more") for i in range(3))
            return Reply((Block("title", "Key points"), *items))
        if command == "daily":
            if not request.can_manage_chat:
                return Reply((Block("error", "Only admins can change the daily quote."),), outcome="denied")
            return Reply((Block("text", f"Daily quote: {args or 'status'}"),))
        if command in ("about", "stats", "start"):
            return Reply((Block("text", f"{command.title()} text"),))
        hint = Block("hint", "Commands: /ask /quote /summary /daily /about /stats /help")
        return Reply((hint,), outcome="ok" if command in ("help", "h") else "bad_input")

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        """Three passages for any query ('today's picks' when empty)."""
        self.suggest_requests.append(request)
        label = request.args or "today"
        return [
            Suggestion(
                f"{label}-{i}",
                f"Pick {i} for {label}",
                f"Ilya Sutskever · ¶{i}",
                Reply((Block("passage", f"Passage {i} about <{label}>", STUB_CITATION),)),
            )
            for i in range(3)
        ][:limit]


class RecordingCore:
    """Wraps any core (the real one or the stand-in) and records the requests it gets."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[Request] = []
        self.suggest_requests: list[Request] = []
        self.migrations: list[tuple[str, str, str]] = []

    @property
    def default_language(self) -> str:
        """The wrapped core's default language."""
        return str(self.inner.default_language)

    async def handle(self, request: Request) -> Reply:
        """Record, then delegate."""
        self.requests.append(request)
        reply: Reply = await self.inner.handle(request)
        return reply

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        """Record, then delegate."""
        self.suggest_requests.append(request)
        found: list[Suggestion] = await self.inner.suggest(request, limit)
        return found

    def commands(self) -> list[CommandInfo]:
        """Delegate."""
        commands: list[CommandInfo] = self.inner.commands()
        return commands

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Record, then delegate."""
        self.migrations.append((platform, old_chat_id, new_chat_id))
        await self.inner.chat_migrated(platform, old_chat_id, new_chat_id)

    def register(self, adapter: Any) -> None:
        """Delegate."""
        self.inner.register(adapter)


# ----- running the adapter against the fake --------------------------------------------------------

FAST = TelegramTuning(read_timeout=3.0, poll_timeout=2, retry_delays=(0.05, 0.1, 0.2), stop_timeout=3.0)


@contextlib.asynccontextmanager
async def running_adapter(
    core: Any, api: FakeTelegramAPI, tuning: TelegramTuning = FAST, **settings: Any
) -> AsyncIterator[TelegramAdapter]:
    """A started adapter talking to the fake (registered with the core), stopped on exit."""
    adapter = TelegramAdapter(core, api.settings(**settings), tuning)
    core.register(adapter)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()
