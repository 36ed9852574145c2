"""How a console form post ends (post/redirect/get).

The change runs; when it is refused (a ``GarrisonError``) the transaction is rolled back
and the page is shown again with the error and its HTTP status, otherwise the change is
committed and the browser is sent to ``location``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.errors import GarrisonError

Change = Callable[[], Awaitable[object]]


class ErrorPage(Protocol):
    """The page the form was posted from, shown again with an error."""

    def __call__(self, *, error: str, status_code: int) -> Awaitable[Response]: ...


async def redirect_or_error_page(
    session: AsyncSession,
    change: Change,
    *,
    location: str,
    error_page: ErrorPage,
    commit: Change | None = None,
) -> Response:
    """Run ``change``; commit (``commit`` when given, e.g. to publish bus events) and redirect,
    or roll back and show ``error_page`` with the error."""
    try:
        await change()
    except GarrisonError as exc:
        await session.rollback()
        return await error_page(error=str(exc), status_code=exc.http_status)
    await (commit() if commit is not None else session.commit())
    return RedirectResponse(location, status_code=303)
