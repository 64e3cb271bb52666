"""Discord errors in one line, and what a failed send means for the delivery path."""

from __future__ import annotations

import aiohttp
import discord

from bot.core.types import DeliveryError, DeliveryFailure


def http_reason(error: discord.HTTPException) -> str:
    """"403 50001: Missing Access"."""
    return f"{error.status} {error.code}: {error.text or error.response.reason}"


def describe(error: BaseException | None) -> str:
    """An exception as "Type: message"."""
    return f"{type(error).__name__}: {error}" if error is not None else "it stopped"


def send_reason(exc: Exception, send_timeout: float) -> str:
    """A send error in one line."""
    if isinstance(exc, discord.RateLimited):
        return f"rate limited for {exc.retry_after:.0f} s"
    if isinstance(exc, discord.HTTPException):
        return http_reason(exc)
    if isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ClientError):
        return f"no answer from Discord in {send_timeout:g} s"
    return describe(exc)


def delivery_error(exc: Exception, send_timeout: float) -> DeliveryError | None:
    """What a failed send means for the scheduler: UNCERTAIN when the message may have been posted."""
    if not isinstance(exc, discord.DiscordException | aiohttp.ClientError | OSError | TimeoutError):
        return None
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return DeliveryError(DeliveryFailure.GONE, http_reason(exc))
    if isinstance(exc, discord.RateLimited | discord.HTTPException | aiohttp.ClientConnectorError):
        # Discord answered with an error, or no connection could be made: nothing was posted
        return DeliveryError(DeliveryFailure.TRANSIENT, send_reason(exc, send_timeout))
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {send_reason(exc, send_timeout)}")
    return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {describe(exc)}")
