"""A small headless-Chromium driver over the DevTools protocol (aiohttp's WebSocket client): open a file,
collect console errors and exceptions, evaluate JavaScript, take a full-page screenshot."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
PACKAGES = ("chromium", "fonts-noto-cjk")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def _has_cjk_font() -> bool:
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def ensure_chromium() -> str | None:
    """The Chromium binary, installing Debian's chromium and fonts-noto-cjk when root and missing; else None
    and why (as the skip reason)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    fonts = shutil.which("fc-list") is not None and _has_cjk_font()
    if binary and fonts:
        return binary
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *PACKAGES]):
        if subprocess.run(command, env=env, capture_output=True, timeout=900, check=False).returncode != 0:
            return None
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One browser tab driven over its DevTools WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
                continue
            method = data.get("method", "")
            params = data.get("params", {})
            if method == "Runtime.exceptionThrown":
                self.errors.append(str(params["exceptionDetails"].get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                self.errors.append(f"{params['entry']['source']}: {params['entry']['text']}")
            self._events.setdefault(method, asyncio.Event()).set()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result (raise on a protocol error)."""
        number = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        await self.ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    async def open(self, url: str) -> None:
        """Load a URL (file:// for a local file) and wait for its load event."""
        for domain in ("Page", "Runtime", "Log"):
            await self.call(f"{domain}.enable")
        loaded = self._events.setdefault("Page.loadEventFired", asyncio.Event())
        loaded.clear()
        await self.call("Page.navigate", url=url)
        await asyncio.wait_for(loaded.wait(), 30)

    async def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    async def screenshot(self, width: int = 1280, most: int | None = None) -> bytes:
        """A PNG of the whole page (or of its top `most` pixels)."""
        height = int(await self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        height = min(height, most) if most else height
        await self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                        mobile=False)
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        return base64.b64decode(shot["data"])


@contextlib.asynccontextmanager
async def chromium(binary: str) -> AsyncIterator[Page]:
    """A fresh headless Chromium (its own profile folder) with one tab; closed on exit."""
    profile = tempfile.mkdtemp(prefix="report-browser-")
    process = await asyncio.create_subprocess_exec(
        binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stderr is not None
        url = ""
        async with asyncio.timeout(30):
            while not url:
                line = (await process.stderr.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError("chromium exited before its DevTools endpoint was up")
                match = _LISTENING.search(line)
                url = match[1] if match else ""
        port = url.split(":")[2].split("/")[0]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            target = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                try:
                    yield page
                finally:
                    page._reader.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10)
            if process.returncode is None:
                process.kill()
                await process.wait()
        shutil.rmtree(profile, ignore_errors=True)
