"""Each channel against a real receiver on 127.0.0.1: SMTP with STARTTLS and AUTH, a signed
webhook, a chat webhook and an SMS gateway template."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from garrison.clock import ManualClock
from garrison.config.notifications import SmsBodyFormat, SmsGateway
from garrison.notify.channels.sms import fill, render_request
from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    WEBHOOK_SECRET,
    Endpoints,
    escalation_worker,
    notification_worker,
    notifications,
    open_test_incident,
    timeline,
    write_scenario,
)
from tests.notify.sinks import HttpSink, SmtpSink


async def test_email_goes_over_starttls_with_a_login_and_carries_both_links(
    context: AppContext, config_path: Path, smtp: SmtpSink
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    assert await notification_worker(context, config_path).deliver_once() == 1

    [mail] = await smtp.wait_for(1)
    assert mail.used_tls
    assert mail.login == "garrison"
    assert mail.recipients == ("alpha@congress.example",)
    assert mail.message["Subject"] == f"[SEV1] Incident #{incident_id}: Uplink down"
    assert mail.message["Message-ID"].endswith("@congress.example>")
    assert f"https://garrison.test/incidents/{incident_id}" in mail.text
    assert "https://garrison.test/ack/" in mail.text
    [entry] = await timeline(context, incident_id, "notification")
    assert entry.data["result"] == "delivered"
    assert entry.data["channel"] == "email"
    [notification] = await notifications(context, incident_id)
    assert (notification.status, notification.delivered_channel) == ("delivered", "email")


async def test_webhook_body_is_signed_and_the_receiver_can_verify_it(
    context: AppContext,
    clock: ManualClock,
    config_path: Path,
    endpoints: Endpoints,
    receiver: HttpSink,
) -> None:
    write_scenario(
        config_path,
        endpoints,
        webhook_people=("alpha",),
        notifications_extra="  people:\n    - {person: alpha, channels: [webhook]}\n",
    )
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    await notification_worker(context, config_path).deliver_once()

    [request] = await receiver.wait_for(1)
    assert (request.method, request.target) == ("POST", "/hooks/alpha")
    expected = hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-garrison-signature"], f"sha256={expected}")
    body = json.loads(request.body)
    timestamp = int(request.headers["x-garrison-timestamp"])
    assert body["timestamp"] == timestamp == int(clock.now().timestamp())
    assert request.headers["idempotency-key"] == body["idempotency_key"]
    assert body["kind"] == "incident_escalation"
    assert body["data"]["incident_id"] == incident_id
    assert body["links"]["acknowledge"].startswith("https://garrison.test/ack/")
    # A body altered on the way no longer matches its signature.
    forged = request.body.replace(b"Uplink", b"Uplonk")
    forged_mac = hmac.new(WEBHOOK_SECRET.encode(), forged, hashlib.sha256).hexdigest()
    assert f"sha256={forged_mac}" != request.headers["x-garrison-signature"]


async def test_chat_webhook_gets_text_and_blocks(
    context: AppContext, config_path: Path, endpoints: Endpoints, receiver: HttpSink
) -> None:
    write_scenario(
        config_path,
        endpoints,
        notifications_extra=(
            "  chat: {blocks: true}\n"
            "  people:\n"
            f"    - {{person: alpha, channels: [chat], chat_webhook: '{endpoints.chat_url}'}}\n"
        ),
    )
    await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    await notification_worker(context, config_path).deliver_once()

    [request] = await receiver.wait_for(1)
    assert request.target == "/chat"
    body = json.loads(request.body)
    assert "Uplink down" in body["text"]
    assert body["blocks"][0]["type"] == "header"


async def test_sms_gateway_receives_the_message_escaped_for_url_and_json(
    context: AppContext, config_path: Path, endpoints: Endpoints, receiver: HttpSink
) -> None:
    write_scenario(
        config_path,
        endpoints,
        notifications_extra="  people:\n    - {person: alpha, channels: [sms]}\n",
    )
    title = 'Đường truyền "A" & B\\C down'
    await open_test_incident(context, title=title)
    await escalation_worker(context, config_path).run_once()
    await notification_worker(context, config_path).deliver_once()

    [request] = await receiver.wait_for(1)
    assert request.headers["x-api-key"] == "sms-key"
    assert request.headers["content-type"] == "application/json"
    query = parse_qs(urlsplit(request.target).query)
    assert query["to"] == ["+84900000000"]
    body = json.loads(request.body)
    assert body["to"] == "+84900000000"
    assert title in body["text"]


def test_sms_template_placeholders_are_escaped_where_they_stand() -> None:
    text = 'Say "hi" & 50% {phone}\n'
    json_gateway = SmsGateway(
        url="https://sms.example/api?to={phone}&msg={message}",
        body='{"to": "{phone}", "text": "{message}"}',
    )
    url, body = render_request(json_gateway, phone="+84 (90) 123-4567", text=text)
    assert url == (
        "https://sms.example/api?to=%2B84901234567"
        "&msg=Say%20%22hi%22%20%26%2050%25%20%7Bphone%7D%0A"
    )
    assert body is not None
    assert json.loads(body) == {"to": "+84901234567", "text": text}

    form_gateway = SmsGateway(
        url="https://sms.example/send",
        body="to={phone}&text={message}",
        body_format=SmsBodyFormat.FORM,
    )
    _url, form = render_request(form_gateway, phone="+84901234567", text=text)
    assert form is not None
    assert parse_qs(form.decode()) == {"to": ["+84901234567"], "text": [text]}

    get_gateway = SmsGateway(url="https://sms.example/send?to={phone}&text={message}", method="GET")
    _url, nothing = render_request(get_gateway, phone="+1 555 0100", text="x" * 2000)
    assert nothing is None
    assert len(parse_qs(urlsplit(_url).query)["text"][0]) == get_gateway.max_length


def test_a_value_is_never_read_as_a_placeholder() -> None:
    assert fill("{a}-{b}", {"{a}": "{b}", "{b}": "2"}) == "{b}-2"
