"""Rows numbered by a SQLite writer: consecutive ids after the largest, one executemany."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from garrison.storage.engine import create_engine
from garrison.storage.row_ids import RowIds


class _Base(DeclarativeBase):
    metadata = MetaData()


class _Row(_Base):
    __tablename__ = "test_row_ids"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(50))


_marks = Table("test_row_ids_mark", _Base.metadata, Column("n", Integer))


async def test_new_rows_follow_the_largest_id_and_go_in_one_statement(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine)
    inserts: list[str] = []

    def note(*args: object) -> None:
        if str(args[2]).startswith("INSERT INTO test_row_ids "):
            inserts.append(str(args[2]))

    try:
        async with engine.begin() as connection:
            await connection.run_sync(_Base.metadata.create_all)
            await connection.execute(insert(_marks), [{"n": 0}])
        async with sessions() as session:
            session.add_all([_Row(name="before"), _Row(name="before too")])
            await session.commit()
        event.listen(engine.sync_engine, "before_cursor_execute", note)
        async with sessions() as session:
            await session.execute(update(_marks).values(n=1))  # the writer holds the lock
            ids = RowIds(session)
            rows = [_Row(name=f"new {n}") for n in range(5)]
            numbers = [await ids.next_id(_Row.__table__) for _row in rows]
            for row, number in zip(rows, numbers, strict=True):
                if number is not None:
                    row.id = number
            session.add_all(rows)
            await session.commit()
        event.remove(engine.sync_engine, "before_cursor_execute", note)
        async with sessions() as session:
            stored = (await session.execute(select(_Row.id, _Row.name).order_by(_Row.id))).all()
        async with engine.begin() as connection:
            await connection.run_sync(_Base.metadata.drop_all)
    finally:
        await engine.dispose()
    names = [name for _id, name in stored]
    assert names == ["before", "before too"] + [f"new {n}" for n in range(5)]
    assert [row_id for row_id, _name in stored] == list(range(1, 8))
    if database_url.startswith("sqlite"):
        assert numbers == [3, 4, 5, 6, 7]
        assert len(inserts) == 1  # one executemany, not a statement per row
    else:
        assert numbers == [None] * 5  # the sequence numbers them
