"""What every table's queries share: adding a row (its id assigned), selecting the rows not
soft-deleted, and the INSERT ... ON CONFLICT of each database the bot runs on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

Row = TypeVar("Row", bound=SQLModel)
T = TypeVar("T")

DIALECTS = ("sqlite", "postgresql")


async def add_row(*, session: AsyncSession, row: Row) -> Row:
    """Add `row` in the caller's transaction and flush, so its id is known."""
    session.add(row)
    await session.flush()
    return row


def live_rows(table: type[Row]) -> SelectOfScalar[Row]:
    """The rows of a soft-deleting table (`deleted_at`) that are not deleted."""
    deleted_at: Any = table.deleted_at  # type: ignore[attr-defined]
    return select(table).where(col(deleted_at).is_(None))


def insert_for(dialect: str) -> Callable[..., Any]:
    """`insert` with ON CONFLICT for a dialect's name: SQLAlchemy has one per database."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def per_dialect(build: Callable[[str], T]) -> dict[str, T]:
    """A statement built once for each database (statements that run for every update are not
    rebuilt each time), looked up by the connection's `dialect.name`."""
    return {name: build(name) for name in DIALECTS}
