"""The declarative base, the schools, the trust's daily seals, and the mixin of every table of
one school's records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UtcDateTime


class Base(DeclarativeBase):
    pass


class School(Base):
    """A school of the trust the deployment serves (one, "default", for a single school).

    Never deleted: every record of the school names it."""

    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("key", name="uq_schools_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # the school's key in the trust file
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TrustSeal(Base):
    """A day's seal of the trust's logs: every school's head (its last entry's `seq` and hash)
    that day, chained to the seal before as each log's entries are (bot.record.trust_seal). A
    school's log rewritten up to a sealed entry no longer has that entry's hash."""

    __tablename__ = "trust_seals"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_trust_seals_seq"),
        UniqueConstraint("day", name="uq_trust_seals_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # [[school id, school key, seq, hash], ...] in school id order
    heads: Mapped[list[list[Any]]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SchoolRecord:
    """A table of one school's records. Every statement on it is kept to the session's school
    (storage.scope), and a key that is unique is unique within the school."""

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
