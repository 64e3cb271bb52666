"""The one delivery path: a reply rendered into platform messages, sent in order, failures classified once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from bot.core.types import DeliveryError, DeliveryFailure, Reply, Target

M = TypeVar("M")
M_contra = TypeVar("M_contra", contravariant=True)


class Courier(Protocol[M]):
    """What an adapter supplies: render a reply, send one message, and say what a failed send means."""

    platform: str

    def running(self) -> bool:
        """Whether the platform connection can carry a message now."""

    def render(self, reply: Reply) -> Sequence[M]:
        """The reply as platform messages in order (buttons, and later attachments, on the last one)."""

    async def send_one(self, target: Target, message: M) -> None:
        """Post one message; raise the platform's error (or a DeliveryError) on failure."""

    def failure(self, exc: Exception) -> DeliveryError | None:
        """What a send error means when nothing was posted yet; None when it is not a delivery error."""

    def reason(self, exc: Exception) -> str:
        """A send error in one short line without ids."""


def posted_in_part(reason: str) -> DeliveryError:
    """A reply some of whose messages were posted: it must never be sent again."""
    return DeliveryError(DeliveryFailure.UNCERTAIN, f"posted in part, then {reason}")


async def deliver(courier: Courier[M], target: Target, reply: Reply) -> None:
    """Send a reply to a target through an adapter; raise DeliveryError when it was not (or may not be) posted.

    A wrong platform is a programming error (ValueError); a stopped adapter is TRANSIENT; an error after part of
    the reply went out is UNCERTAIN whatever it was, since sending again would post that part twice.
    """
    if target.platform != courier.platform:
        raise ValueError(f"a {target.platform} target given to the {courier.platform} adapter")
    if not courier.running():
        raise DeliveryError(DeliveryFailure.TRANSIENT, f"the {courier.platform} adapter is not running")
    posted = 0
    try:
        for message in courier.render(reply):
            await courier.send_one(target, message)
            posted += 1
    except DeliveryError as exc:
        if posted:
            raise posted_in_part(exc.reason) from None
        raise
    except Exception as exc:
        error = courier.failure(exc)
        if error is None:
            raise
        raise (posted_in_part(courier.reason(exc)) if posted else error) from exc
