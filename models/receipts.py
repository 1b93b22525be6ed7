"""Save receipts: which record a form's draft token created (idempotent 저장)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import SaveReceipt


async def get_receipt(*, session: AsyncSession, token: str, kind: str) -> int | None:
    """The id of the record this token already created, if any."""
    receipt = await session.get(SaveReceipt, token)
    if receipt is None or receipt.kind != kind:
        return None
    return receipt.record_id


async def record_of(*, session: AsyncSession, token: str) -> int | None:
    """The id of the record this token created, whatever its kind."""
    receipt = await session.get(SaveReceipt, token)
    return receipt.record_id if receipt is not None else None


async def add_receipt(
    *, session: AsyncSession, token: str, kind: str, record_id: int, at: datetime
) -> None:
    session.add(SaveReceipt(token=token, kind=kind, record_id=record_id, created_at=at))
    await session.flush()


async def purge_receipts(*, session: AsyncSession, before: datetime) -> int:
    """Forget receipts older than `before` (a repeated 저장 comes within minutes)."""
    result = await session.exec(
        delete(SaveReceipt).where(col(SaveReceipt.created_at) < before)
    )
    return int(result.rowcount or 0)
