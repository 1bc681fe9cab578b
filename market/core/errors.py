"""One error model: what a person can fix, what a provider could not do, and bugs.

- `Refusal`: a request that cannot be done as asked, for a reason the person can act on ("Write the amount to
  refund, like 150"). Its message is translatable (a lazy string) and `str(exc)` gives it in the reader's
  language. Every domain error (OrderError, PaymentError, PlanError, ...) is a Refusal. A view catches it and
  shows `str(exc)` with her form as she filled it; one left uncaught answers 400 with the message.
- `Unavailable`: a provider (a payment gateway, SMS, mail) could not be reached. Nothing she did was wrong and
  nothing was recorded; one handler answers 503 "try again in a minute" in her language. `str(exc)` is the
  technical detail, for the log; `notice` is what she reads.
- Anything else is a bug (`Unbalanced`, an order moved where the code should have checked first): not a
  ValueError, never shown as a message; logged, and the 500 page.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class Refusal(Exception):  # noqa: N818 - not a failure of ours: the person can fix it
    """What a person can fix; the first argument is the message for her (translatable)."""

    def __str__(self) -> str:
        """The message in the current language (a lazy string is translated only now)."""
        return str(self.args[0]) if self.args else ""


class Unavailable(Exception):  # noqa: N818 - a provider's state, not an error of ours
    """A provider (gateway, SMS, mail) cannot be reached just now; nothing was recorded."""

    notice = _l("This service cannot be reached just now. Try again in a minute.")
    retry_after = 60  # seconds, for the Retry-After header


class MessagesUnavailable(Unavailable):
    """The SMS or mail provider cannot be reached: the message was not sent."""

    notice = _l("Messages cannot be reached just now. Try again in a minute.")
