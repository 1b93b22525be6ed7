"""What every table's queries share: adding a row (its id assigned) and selecting the rows not
soft-deleted."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

Row = TypeVar("Row", bound=SQLModel)


async def add_row(*, session: AsyncSession, row: Row) -> Row:
    """Add `row` in the caller's transaction and flush, so its id is known."""
    session.add(row)
    await session.flush()
    return row


def live_rows(table: type[Row]) -> SelectOfScalar[Row]:
    """The rows of a soft-deleting table (`deleted_at`) that are not deleted."""
    deleted_at: Any = table.deleted_at  # type: ignore[attr-defined]
    return select(table).where(col(deleted_at).is_(None))
