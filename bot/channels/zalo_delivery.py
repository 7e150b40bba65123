"""What a failed Zalo send means for the outbox (bot/channels/base.py), as the real API behaves.

- 401: the token was refused: nothing can go out until an operator fixes it (TokenRefused).
- 403 is documented as "internal server error", 404 as "not found / invalid request": neither
  proves the person is gone. They are Transient (the outbox retries with back-off), and a person
  is only given up (Blocked, so marked unreachable) on evidence that holds over time: the same
  error for that person on `UNREACHABLE_SENDS` sends spread over at least `UNREACHABLE_SPAN`,
  with no message from or to them in between (recorded in the database through the
  `note_refusal` callback, on the bot's clock). When several different people are refused in a
  row, Zalo itself is in trouble: the whole channel backs off in steps (RetryAfter, ~17 minutes
  in all, then per-row back-off) and nobody's evidence grows.
- 429 is "quota exceeded", without `retry_after`: the channel backs off in steps (seconds, then
  minutes); only when 429 persists through every step is it QuotaExceeded (the outbox rests
  longer and alerts staff). A 429 with a `retry_after` (a proxy's, say) is simply obeyed.
- 408 is Zalo timing out on its side: it may have delivered, so Unknown. Other 5xx: Transient.
  400 and anything else: Rejected (sending it again would not help).
- Network: not sent (no connection, body not written) is Transient; an answer that never came
  after the request went out is Unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.channels.base import (
    Blocked,
    DeliveryError,
    QuotaExceeded,
    Rejected,
    RetryAfter,
    Transient,
    Unknown,
)
from bot.channels.zalo_api import ZaloApiError, ZaloNetworkError
from bot.model import Identity

UNREACHABLE_SENDS = 3
UNREACHABLE_SPAN = timedelta(days=1)
QUOTA_STEPS = (5.0, 30.0, 120.0, 600.0, 1800.0)  # seconds; after the last, QuotaExceeded
OUTAGE_STEPS = (5.0, 30.0, 120.0, 300.0, 600.0)  # seconds; then per-row back-off (Transient)
OUTAGE_SPREAD = 3  # different people refused in a row with no success between: Zalo's trouble
PERSON_CODES = {403, 404}

# (identity, error code) -> whether the evidence now holds (the person is unreachable).
NoteRefusal = Callable[[Identity, int], Awaitable[bool]]


class TokenRefused(QuotaExceeded):
    """Zalo refused the token (401): nothing can be sent until an operator fixes it, so the
    outbox treats it like an exhausted quota: stop the channel and tell staff."""


class Steps:
    """A back-off that climbs one step per round of refusals and starts again after a success.

    Several sends in flight may be refused by the same trouble: only a refusal of a request that
    began after the previous step was taken climbs a step (`round` is read when a send begins)."""

    def __init__(self, seconds: tuple[float, ...]) -> None:
        self.seconds = seconds
        self.index = -1  # no refusal since the last success
        self.round = 0

    def refused(self, began_in: int) -> float:
        """The pause for a refusal of a send that began in round `began_in`."""
        if began_in == self.round:
            self.index = min(self.index + 1, len(self.seconds))
            self.round += 1
        return self.seconds[min(max(self.index, 0), len(self.seconds) - 1)]

    @property
    def exhausted(self) -> bool:
        """Every step was taken and the trouble is still there."""
        return self.index >= len(self.seconds)

    def succeeded(self) -> None:
        """An accepted send: the trouble is over."""
        self.index = -1
        self.round += 1


class Refusals:
    """The channel's memory of recent refusals (in memory; the per-person evidence is in the
    database). One instance per channel, shared by its replies and the outbox's sends."""

    def __init__(self, note_refusal: NoteRefusal | None = None) -> None:
        self.note_refusal = note_refusal
        self.quota = Steps(QUOTA_STEPS)
        self.outage = Steps(OUTAGE_STEPS)
        self.refused_people: set[str] = set()  # people refused 403/404 since the last success

    def begin(self) -> tuple[int, int]:
        """Call as a send begins; pass the result to `classify` if it fails."""
        return self.quota.round, self.outage.round

    def succeeded(self) -> None:
        """A send was accepted."""
        self.quota.succeeded()
        self.outage.succeeded()
        self.refused_people.clear()

    async def classify(self, exc: ZaloApiError | ZaloNetworkError, address: str,
                       began: tuple[int, int] = (0, 0)) -> DeliveryError:
        """What the outbox should do about this failed send to `address`."""
        if isinstance(exc, ZaloApiError):
            code = exc.code
            if code == 429 and exc.retry_after is None:
                pause = self.quota.refused(began[0])
                if self.quota.exhausted:
                    return QuotaExceeded(exc.description or "quota exceeded")
                return RetryAfter(pause, f"Zalo 429 {exc.description}: backing off {pause:.0f}s")
            if code in PERSON_CODES:
                return await self._person_refused(exc, address, began[1])
        return delivery_error(exc)

    async def _person_refused(self, exc: ZaloApiError, address: str, began: int) -> DeliveryError:
        self.refused_people.add(address)
        text = f"Zalo {exc.code}: {exc.description}"
        if len(self.refused_people) >= OUTAGE_SPREAD:
            # Zalo's own trouble: pause the channel for a while (bounded, so people who really
            # are gone cannot hold it for ever), and count it against nobody.
            if not self.outage.exhausted:
                pause = self.outage.refused(began)
                if not self.outage.exhausted:
                    return RetryAfter(pause, f"{text} for {len(self.refused_people)} people in a row: "
                                             f"backing off {pause:.0f}s")
            return Transient(f"{text} (several people in a row: not counted against this person)")
        if self.note_refusal is not None and await self.note_refusal(Identity("zalo", address), exc.code):
            return Blocked(f"{text} (repeated for over a day)")
        return Transient(text)


def delivery_error(exc: ZaloApiError | ZaloNetworkError) -> DeliveryError:
    """The plain meaning of one failure, without the channel's memory (see `Refusals`)."""
    if isinstance(exc, ZaloNetworkError):
        return Unknown(str(exc)) if exc.sent else Transient(str(exc))
    code, text = exc.code, exc.description
    if code == 401:
        return TokenRefused(f"Zalo refused the bot token: {text}")
    if code == 429:
        if exc.retry_after is not None:
            return RetryAfter(exc.retry_after, text)
        return QuotaExceeded(text or "quota exceeded")
    if code == 408:
        return Unknown(f"Zalo timeout: {text}")
    if code in PERSON_CODES or code >= 500:
        return Transient(f"Zalo error {code}: {text}")
    return Rejected(f"Zalo refused the message ({code}): {text}")
