"""Small rules: the backoff schedule, and what the API shows of an address."""

from __future__ import annotations

from datetime import timedelta

from garrison.notify.delivery import RetryPolicy
from garrison.notify.schemas import shown_address


def test_backoff_doubles_up_to_its_ceiling() -> None:
    policy = RetryPolicy(attempts_per_channel=10, backoff_seconds=10, backoff_max_seconds=60)
    delays = [policy.delay_after(attempt) for attempt in range(1, 6)]
    assert delays == [timedelta(seconds=s) for s in (10, 20, 40, 60, 60)]
    assert policy.delay_after(500) == timedelta(seconds=60)


def test_webhook_and_chat_addresses_are_shown_without_their_secret_path() -> None:
    hook = "https://chat.example.org/hooks/T000/B000/XXXXSECRET"
    assert shown_address("chat", hook) == "https://chat.example.org/…"
    assert shown_address("webhook", "http://127.0.0.1:9000/page?key=1") == "http://127.0.0.1:9000/…"
    assert shown_address("email", "alpha@example.org") == "alpha@example.org"
    assert shown_address("sms", "+84 90 123 4567") == "+84 90 123 4567"
