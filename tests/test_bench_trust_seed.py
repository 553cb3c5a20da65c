"""Seeding a trust's store (bench/trust_seed.py), small: three schools of ten reports each on
PostgreSQL. It checks what the seeding must give the trust benchmark (each school its share, in
its own records, every row of a report in the report's school, every school's log intact),
never how fast."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.record.verify_command import verify_logs
from bot.settings import PROJECT_ROOT

SCHOOLS = ("school-01", "school-02", "school-03")
SHARE = 10


async def test_each_school_is_seeded_with_its_share_in_its_own_records(
    postgres_only: str,
) -> None:
    small = ["--schools", "3", "--staff", "12", "--reports", str(3 * SHARE), "--workers", "2"]
    bench = await asyncio.create_subprocess_exec(
        sys.executable,
        "bench/trust_seed.py",
        "--database-url",
        postgres_only,
        *small,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(bench.communicate(), 600)
    stdout, stderr = out.decode(), err.decode()
    assert bench.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert "verify-log --school KEY             3 of 3 schools intact" in stdout
    assert "errors                              0" in stdout

    engine = create_async_engine(postgres_only)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT key, id FROM schools"))
            schools = {key: school_id for key, school_id in rows}
            assert set(SCHOOLS) <= set(schools)
            for key in SCHOOLS:
                # A possibly illegal filtering report files a linked concern too: a pair.
                total, linked = (
                    await connection.execute(
                        text(
                            "SELECT count(*), count(linked_report_id) FROM reports "
                            "WHERE school_id = :school"
                        ),
                        {"school": schools[key]},
                    )
                ).one()
                assert total - linked // 2 == SHARE, (key, total, linked)
                # Filed by the school's own staff, and by nobody else's.
                strangers = await connection.scalar(
                    text(
                        "SELECT count(*) FROM reports WHERE school_id = :school "
                        "AND reporter_email NOT LIKE :domain"
                    ),
                    {"school": schools[key], "domain": f"%@{key}.example.org"},
                )
                assert strangers == 0, key
                ours = await connection.scalar(
                    text("SELECT count(*) FROM reports WHERE reporter_email LIKE :domain"),
                    {"domain": f"%@{key}.example.org"},
                )
                assert ours == total, key
            # Every event and alert of a report is in the report's school, and every person
            # an event, an alert or a conversation names is of that school.
            for table in ("events", "outbox"):
                astray = await connection.scalar(
                    text(
                        f"SELECT count(*) FROM {table} t JOIN reports r ON r.id = t.report_id "  # noqa: S608
                        "WHERE t.school_id != r.school_id"
                    )
                )
                assert astray == 0, table
            for table, person in (
                ("events", "actor_email"),
                ("outbox", "recipient_email"),
                ("conversations", "user_email"),
            ):
                elsewhere = await connection.scalar(
                    text(
                        f"SELECT count(*) FROM {table} t JOIN schools s ON s.id = t.school_id "  # noqa: S608
                        f"WHERE t.{person} NOT LIKE '%@' || s.key || '.example.org'"
                    )
                )
                assert elsewhere == 0, table
            events = await connection.scalar(text("SELECT count(*) FROM events"))
            assert events and events > 3 * SHARE * 3  # filed, alerted, acknowledged at least
        assert await verify_logs(engine, "the test database") == 0
    finally:
        await engine.dispose()
