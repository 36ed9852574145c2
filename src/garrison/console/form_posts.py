"""How a console form post ends (post/redirect/get).

The change runs; when it is refused (a ``GarrisonError``) the transaction is rolled back
and the page is shown again with the error and its HTTP status, otherwise the change is
committed and the browser is sent to ``location`` (a string, or made from what the change
returned, as the page of a row it created). A form whose answer shows a secret once (a
new token, key or one-time password) answers with that page instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.errors import GarrisonError

Change = Callable[[], Awaitable[object]]
Result = TypeVar("Result")


class ErrorPage(Protocol):
    """The page the form was posted from, shown again with an error."""

    def __call__(self, *, error: str, status_code: int) -> Awaitable[Response]: ...


class SecretPage(Protocol):
    """A page that shows a secret (name, secret) once, or a refused form's error."""

    def __call__(
        self,
        *,
        shown_once: tuple[str, str] | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Awaitable[Response]: ...


async def answer_or_error_page(
    session: AsyncSession,
    change: Callable[[], Awaitable[Result]],
    *,
    answer: Callable[[Result], Awaitable[Response]],
    error_page: ErrorPage,
    commit: Change | None = None,
) -> Response:
    """Run ``change``; commit (``commit`` when given, e.g. to publish bus events) and
    ``answer`` with what it returned, or roll back and show ``error_page`` with the error."""
    try:
        result = await change()
    except GarrisonError as exc:
        await session.rollback()
        return await error_page(error=str(exc), status_code=exc.http_status)
    await (commit() if commit is not None else session.commit())
    return await answer(result)


async def redirect_or_error_page(
    session: AsyncSession,
    change: Callable[[], Awaitable[Result]],
    *,
    location: str | Callable[[Result], str],
    error_page: ErrorPage,
    commit: Change | None = None,
) -> Response:
    """``answer_or_error_page`` answering with a redirect to ``location``."""

    async def redirect(result: Result) -> Response:
        return RedirectResponse(
            location if isinstance(location, str) else location(result), status_code=303
        )

    return await answer_or_error_page(
        session, change, answer=redirect, error_page=error_page, commit=commit
    )


async def shown_once_or_error_page(
    session: AsyncSession, change: Callable[[], Awaitable[tuple[str, str]]], *, page: SecretPage
) -> Response:
    """``answer_or_error_page`` answering with ``page`` showing the (name, secret) that
    ``change`` made."""
    return await answer_or_error_page(
        session, change, answer=lambda shown: page(shown_once=shown), error_page=page
    )
