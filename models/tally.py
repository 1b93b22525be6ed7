"""The summary's counts kept where they change: `Tally` rows, one per (zone, month, agency,
metric), updated in the transaction of every ORM write to an opening, a seeker, a hire or a
meeting, so /status sums at most 12 rows per agency and metric however many records there are.

What counts (the same rules as the plain queries of models/stats.py, which stay as the recount):
a live opening or seeker (``deleted_at`` unset) in the month of its ``created_at``; a live hire
in the month of ``hired_on``; a meeting day (``kind == "meeting_day"``) while its status is
``held``, for its host agency in the month of ``starts_at``. Months are taken in the council's
zone (`core.clock.local_zone()`); each row records the zone it was written in, and `season_sum`
refuses rows of another zone (a changed TIMEZONE) so the caller recounts instead.

How a write is followed: a ``before_flush`` listener on every ORM session compares, for each
record the flush inserts, changes or deletes, the key it counts under now with the key it will
count under after the flush, and adds the difference with one atomic upsert
(``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``, SQLite and PostgreSQL). The "now"
is read from the database, not from the session's copy, with ``SELECT … FOR UPDATE`` on
PostgreSQL: a record another transaction changed since this session loaded it is counted from
what it really is, and the row lock keeps it so until this transaction ends (SQLite has one
writer at a time; a stale snapshot there fails the write, it never miscounts). The key after the
flush is that row with the attributes this flush changes laid over it (an UPDATE writes only
those columns). Writes that bypass the ORM (Core inserts, bulk ``update()``) must call
`recount` afterwards; the only bulk update of these tables (`openings.take_position`) changes
no counted column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, event, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes
from sqlmodel import col
from sqlmodel import select as select_rows
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import local_zone
from core.statuses import MeetingKind, MeetingStatus
from models.rows import insert_for
from models.tables import Hire, JobOpening, JobSeeker, Meeting, Tally

Key = tuple[str, str, int, str]  # zone, month, agency id, metric
MEETING_DAY = MeetingKind.MEETING_DAY
HELD = MeetingStatus.HELD

# Per counted class: the metric and the columns its key is made of.
_COLUMNS: dict[type, tuple[str, ...]] = {
    JobOpening: ("agency_id", "created_at", "deleted_at"),
    JobSeeker: ("agency_id", "created_at", "deleted_at"),
    Hire: ("agency_id", "hired_on", "deleted_at"),
    Meeting: ("host_agency_id", "starts_at", "kind", "status"),
}


_METRICS: dict[type, str] = {JobOpening: "openings", JobSeeker: "seekers", Hire: "hires"}
_TABLE: Any = Tally.__table__  # type: ignore[attr-defined]  # SQLModel's table, untyped


def month_of(value: datetime | date) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(local_zone())
    return f"{value.year:04d}-{value.month:02d}"


def key_of(cls: type, values: dict[str, Any]) -> Key | None:
    """The counter a record with these column values counts under (None: it counts nowhere)."""
    zone = local_zone().key
    if cls is Meeting:
        agency, at = values.get("host_agency_id"), values.get("starts_at")
        if values.get("kind") != MEETING_DAY or values.get("status") != HELD:
            return None
        metric = "meeting_days"
    else:
        if values.get("deleted_at") is not None:
            return None
        agency = values.get("agency_id")
        at = values.get("hired_on" if cls is Hire else "created_at")
        metric = _METRICS[cls]
    if agency is None or at is None:
        return None
    return zone, month_of(at), int(agency), metric


# --- following the ORM's writes ----------------------------------------------------------------
def _current(session: Session, cls: type, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The counted columns of these records as the database has them now, locked on PostgreSQL."""
    if not ids:
        return {}
    names = _COLUMNS[cls]
    table: Any = cls
    stmt = select(table.id, *(getattr(table, n) for n in names)).where(col(table.id).in_(ids))
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in conn.execute(stmt)}


def _changed(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The counted attributes this flush writes, with their new values."""
    out = {}
    for name in names:
        history = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
        if history.added:
            out[name] = history.added[0]
    return out


def _deltas(session: Session) -> dict[Key, int]:
    deltas: dict[Key, int] = defaultdict(int)
    for obj in session.new:
        cls = type(obj)
        if cls in _COLUMNS:
            key = key_of(cls, {n: getattr(obj, n) for n in _COLUMNS[cls]})
            if key is not None:
                deltas[key] += 1
    changed: dict[type, dict[int, tuple[Any, dict[str, Any] | None]]] = defaultdict(dict)
    for obj in session.dirty:
        cls = type(obj)
        if cls in _COLUMNS and obj.id is not None:
            writes = _changed(obj, _COLUMNS[cls])
            if writes:
                changed[cls][obj.id] = (obj, writes)
    for obj in session.deleted:
        cls = type(obj)
        if cls in _COLUMNS and obj.id is not None:
            changed[cls][obj.id] = (obj, None)
    for cls, records in changed.items():
        now = _current(session, cls, sorted(records))
        for record_id, (_obj, written) in records.items():
            before = now.get(record_id)
            if before is None:  # gone already (deleted by another transaction): nothing to move
                continue
            old = key_of(cls, before)
            new = None if written is None else key_of(cls, {**before, **written})
            if old != new:
                if old is not None:
                    deltas[old] -= 1
                if new is not None:
                    deltas[new] += 1
    return {k: v for k, v in deltas.items() if v}


def add(conn: Connection, deltas: dict[Key, int]) -> None:
    """Add these deltas to the counters in one atomic upsert (keys in order: no deadlock
    between two transactions adding to the same counters)."""
    if not deltas:
        return
    rows = [
        {"zone": z, "month": m, "agency_id": a, "metric": metric, "n": n}
        for (z, m, a, metric), n in sorted(deltas.items())
    ]
    stmt = insert_for(conn.dialect.name)(Tally).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["zone", "month", "agency_id", "metric"],
        set_={"n": _TABLE.c.n + stmt.excluded.n},
    )
    conn.execute(stmt)


@event.listens_for(Session, "before_flush")
def _follow(session: Session, _context: Any, _instances: Any) -> None:
    if not any(type(o) in _COLUMNS for o in (*session.new, *session.dirty, *session.deleted)):
        return
    with session.no_autoflush:
        add(session.connection(), _deltas(session))


# --- recount and reading -----------------------------------------------------------------------
def count_rows(conn: Connection) -> dict[Key, int]:
    """Every counter from the records themselves (the plain recount), in the current zone."""
    out: dict[Key, int] = defaultdict(int)
    for cls, names in _COLUMNS.items():
        table: Any = cls
        for row in conn.execute(select(*(getattr(table, n) for n in names))):
            key = key_of(cls, dict(zip(names, row, strict=True)))
            if key is not None:
                out[key] += 1
    return dict(out)


def recount_sync(conn: Connection) -> int:
    """Rebuild every counter from the records (after a bulk write, a TIMEZONE change, the
    migration that adds the table); returns the number of counter rows. On PostgreSQL the
    table is locked first: a writer that already touched a counter has committed, one that has
    not waits and adds its delta on top of the recount."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE tally IN EXCLUSIVE MODE")
    counts = count_rows(conn)
    conn.execute(delete(Tally))
    if counts:
        conn.execute(
            _TABLE.insert(),
            [
                {"zone": z, "month": m, "agency_id": a, "metric": metric, "n": n}
                for (z, m, a, metric), n in sorted(counts.items())
            ],
        )
    return len(counts)


async def recount(*, session: AsyncSession) -> int:
    return await session.run_sync(lambda s: recount_sync(s.connection()))


def month_bounds(start: datetime, end: datetime) -> tuple[str, str] | None:
    """[start, end) as months of the council's zone, if both fall on a month's first midnight."""
    zone = local_zone()
    ends = [start.astimezone(zone), end.astimezone(zone)]
    if any((t.day, t.hour, t.minute, t.second, t.microsecond) != (1, 0, 0, 0, 0) for t in ends):
        return None
    return month_of(ends[0]), month_of(ends[1])


async def sums_by_agency(
    *, session: AsyncSession, start: datetime, end: datetime
) -> dict[int, dict[str, int]] | None:
    """{agency id: {metric: count}} from the counters for [start, end), or None when they cannot
    answer (bounds not on month boundaries, or counters written in another zone)."""
    months = month_bounds(start, end)
    if months is None:
        return None
    zone = local_zone().key
    # One statement: the season's rows of this zone, and any row of another zone (none unless
    # TIMEZONE changed since they were written: then the counters cannot answer until recounted).
    stmt = select_rows(Tally.zone, Tally.agency_id, Tally.metric, Tally.n).where(
        or_(
            and_(
                col(Tally.zone) == zone,
                col(Tally.month) >= months[0],
                col(Tally.month) < months[1],
            ),
            col(Tally.zone) != zone,
        )
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row_zone, agency_id, metric, n in (await session.exec(stmt)).all():
        if row_zone != zone:
            return None
        if n:
            out[agency_id][metric] = out[agency_id].get(metric, 0) + n
    return dict(out)
