"""Notifications speak the recipient's language: their own setting, else their account's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from garrison.auth.models import User
from garrison.auth.permissions import Role
from garrison.notify.recipients import recipient_for
from garrison.runtime.context import AppContext
from tests.auth.factories import make_user
from tests.escalation.factories import Endpoints, loader, write_scenario


async def test_the_person_setting_wins_then_the_account_then_the_server_default(
    context: AppContext, config_path: Path, endpoints: Endpoints
) -> None:
    write_scenario(
        config_path,
        endpoints,
        notifications_extra="  people:\n    - {person: alpha, language: vi}\n",
    )
    config = loader(config_path)
    await make_user(context, "bravo", role=Role.DUTY_OFFICER)
    async with context.sessions() as session:
        bravo = await session.scalar(select(User).where(User.username == "bravo"))
        assert bravo is not None
        bravo.language = "vi"
        await session.commit()

    async def language(person: str) -> str:
        async with context.sessions() as session:
            found = await recipient_for(
                session, config=config, person_id=person, default_language="en"
            )
        assert found is not None
        return found.language

    assert await language("alpha") == "vi"
    assert await language("bravo") == "vi"
    assert await language("echo") == "en"
