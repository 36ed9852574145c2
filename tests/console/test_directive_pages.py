"""The directives page's forms over HTTP: issue, acknowledge and complete, each behind CSRF,
a refusal shown on the page with its status, a success audited and sent back to the page."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login
from tests.escalation.factories import audit_actions
from tests.escalation.fixtures import (  # noqa: F401 - the scenario's fixtures
    ca,
    cheap_password_hashing,
    config_path,
    endpoints,
    receiver,
    settings,
    smtp,
)

ACKNOWLEDGE = re.compile(r'action="/directives/(\d+)/acknowledge"')


async def test_a_directive_is_issued_acknowledged_and_completed_on_the_page(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "lima", Role.LEADER)
    deadline = (context.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"text": "Call the carrier", "receiver": "person:echo", "deadline": deadline}
    assert (await client.post("/directives/issue", data=form)).status_code == 403
    unknown = await client.post(
        "/directives/issue", data={**form, "receiver": "nobody", "csrf_token": csrf}
    )
    assert unknown.status_code == 422
    assert 'role="alert"' in unknown.text
    assert "(receiver)" in unknown.text
    bad_date = await client.post(
        "/directives/issue", data={**form, "deadline": "tomorrow", "csrf_token": csrf}
    )
    assert bad_date.status_code == 422
    assert "(deadline)" in bad_date.text
    issued = await client.post("/directives/issue", data={**form, "csrf_token": csrf})
    assert issued.status_code == 303, issued.text
    assert issued.headers["location"] == "/directives"

    client.cookies.clear()
    csrf = await browser_login(context, client, "echo", Role.ENGINEER)
    found = ACKNOWLEDGE.search((await client.get("/directives")).text)
    assert found is not None
    url = f"/directives/{found.group(1)}"
    assert (await client.post(f"{url}/acknowledge")).status_code == 403
    acknowledged = await client.post(f"{url}/acknowledge", data={"csrf_token": csrf})
    assert (acknowledged.status_code, acknowledged.headers["location"]) == (303, "/directives")
    done = await client.post(f"{url}/complete", data={"csrf_token": csrf, "note": "Called"})
    assert (done.status_code, done.headers["location"]) == (303, "/directives")
    # Answered already: refused on the page, with the conflict's status.
    again = await client.post(f"{url}/acknowledge", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert 'role="alert"' in again.text

    actions = [a for a in await audit_actions(context, found.group(1)) if "directive" in a]
    assert actions == ["directive.issued", "directive.acknowledged", "directive.completed"]
