"""The store's tables. Revisions are append-only; the current value is the latest approved revision."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hizone.store.values import ValueLayout


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class Province(Base):
    __tablename__ = "province"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)  # GB/T 2260 prefix, e.g. "11"
    name_zh: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(16))  # east / central / west / northeast


class Zone(Base):
    __tablename__ = "zone"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"), index=True)
    city: Mapped[str] = mapped_column(String(32))
    approved_year: Mapped[int] = mapped_column(Integer)
    demo_zone: Mapped[str | None] = mapped_column(String(64))  # 国家自主创新示范区 it belongs to
    source: Mapped[str] = mapped_column(String(512))


class Enterprise(Base):
    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(128))
    zone_code: Mapped[str] = mapped_column(ForeignKey("zone.code"), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(4))  # GB/T 4754 class, when a file gave it
    founded: Mapped[dt.date | None] = mapped_column(Date)  # registration date (注册日期), when a file gave it
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class EnterpriseVersion(Base):
    """An enterprise's registration over a dated span: name, zone, industry and date as they were from
    ``valid_from`` until the day before ``valid_to`` (the next version's ``valid_from``; NULL while current).
    Versions are only ever appended and closed, never rewritten: the ``enterprise`` row is the latest one's
    copy, kept in step by ``registry.enterprises.register``, so readers of the current state need no join."""

    __tablename__ = "enterprise_version"
    __table_args__ = (Index("ix_enterprise_version_enterprise_valid_from", "enterprise_id", "valid_from"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)  # exclusive
    name: Mapped[str] = mapped_column(String(128))
    zone_code: Mapped[str] = mapped_column(ForeignKey("zone.code"))
    industry_code: Mapped[str | None] = mapped_column(String(4))
    founded: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(256))  # the list or report file (or "migrated", "demo")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    source_row: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Qualification(Base):
    """A qualification is identified by (enterprise, kind, number) or, held without a number, (enterprise, kind,
    valid_from): re-importing a list changes nothing, a renewed certificate is a row of its own."""

    __tablename__ = "qualification"
    __table_args__ = (
        Index("uq_qualification_number", "enterprise_id", "kind", "detail", unique=True,
              sqlite_where=text("detail IS NOT NULL"), postgresql_where=text("detail IS NOT NULL")),
        Index("uq_qualification_start", "enterprise_id", "kind", "valid_from", unique=True,
              sqlite_where=text("detail IS NULL"), postgresql_where=text("detail IS NULL")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # see registry.QUALIFICATIONS
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(String(64))  # certificate / registration number, listing board


class Incubator(Base):
    __tablename__ = "incubator"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # 众创空间 / 孵化器 / 加速器
    level: Mapped[str] = mapped_column(String(16))  # national / provincial / other
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zone.code"), index=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ImportBatch(Base):
    """One imported file (or API payload): all of it is stored or none of it."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_code: Mapped[str] = mapped_column(String(32))
    form_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    source_name: Mapped[str] = mapped_column(String(256))
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    row_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    value_layout: Mapped[dict[str, Any]] = mapped_column(JSON)  # see store.values.ValueLayout

    @property
    def layout(self) -> ValueLayout:
        return ValueLayout.from_json(self.value_layout)


class Submission(Base):
    """One entity's report for one form and period, at one revision. Never updated in place except state,
    which only ``store.changes`` writes, each change with its event (see ChangeEvent).

    Its values are packed under its batch's layout (see store.values); the unique key leads with form and
    period, so it also serves every per-form-and-period query. No foreign keys: the per-row checks cost
    PostgreSQL as much as the rest of a 200,000-row import, and both references are written only by code
    that has just read them (the batch in the same transaction; the zone checked against the registry).
    """

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("form_code", "period", "entity_key", "revision",
                                       name="uq_submission_form_period_entity_revision"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(Integer, index=True)  # an incremental build's look-up (store.changes)
    form_code: Mapped[str] = mapped_column(String(32))
    form_version: Mapped[int] = mapped_column(Integer)
    entity_key: Mapped[str] = mapped_column(String(18))  # credit code, or zone code for zone forms
    zone_code: Mapped[str] = mapped_column(String(8), index=True)
    period: Mapped[str] = mapped_column(String(7))  # "2021" or "2022-03"
    revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # draft / submitted / reviewed / approved / returned
    packed_values: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    batch: Mapped[ImportBatch] = relationship(primaryjoin="foreign(Submission.batch_id) == ImportBatch.id")

    @property
    def values(self) -> dict[str, float | int]:
        """The reported values (blanks left out), unpacked under the batch's layout."""
        return self.batch.layout.unpack(self.packed_values)


SUBMISSION_TABLE = cast(Table, Submission.__table__)  # for the bulk paths, which need its column types


class RevisionNote(Base):
    """The note a row gave with the revision it made (the rules' ``note`` column: 更正说明, 备注), stored in the
    revision's own transaction and never updated; a row that made no new revision leaves no note."""

    __tablename__ = "revision_note"
    __table_args__ = (UniqueConstraint("form_code", "period", "entity_key", "revision",
                                       name="uq_revision_note_form_period_entity_revision"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    entity_key: Mapped[str] = mapped_column(String(18))
    revision: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(512))


class ChangeEvent(Base):
    """One numbered change of the submissions, appended in the change's own transaction and never updated.

    ``submission_written``: a batch's revisions were stored (``to_state`` their state; ``entity_key`` empty: the
    batch's rows are the change); ``state_changed``: one revision moved ``from_state`` -> ``to_state``
    (``detail["submission"]`` its id). ``seq`` only grows (AUTOINCREMENT on SQLite; a sequence on PostgreSQL,
    taken under a lock held to commit, so a visible number has every smaller one visible before it): a reader
    that has seen every event up to ``seq`` N needs only the events after N. ``detail["action"]`` is what the
    audit log calls the change (import, submit, review, approve, return).
    """

    __tablename__ = "change_event"
    # Who submitted a revision and a report's returns are looked up by form, period and entity.
    __table_args__ = (Index("ix_change_event_report", "form_code", "period", "entity_key"),
                      {"sqlite_autoincrement": True})
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # the user's name
    actor_role: Mapped[str | None] = mapped_column(String(16))  # the role the user acted in
    kind: Mapped[str] = mapped_column(String(32))  # submission_written / state_changed
    form_code: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str | None] = mapped_column(String(18))
    period: Mapped[str] = mapped_column(String(7))
    batch_id: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditLog(Base):
    """Account and registry changes (logins, users, registrations); submission changes are ChangeEvents."""


    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    object_kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))  # argon2
    role: Mapped[str] = mapped_column(String(16))  # admin/analyst/province/zone/enterprise
    province_code: Mapped[str | None] = mapped_column(ForeignKey("province.code"))
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zone.code"))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    email: Mapped[str | None] = mapped_column(String(254))  # where login unlock links go


class WebSession(Base):
    """A logged-in browser: the cookie carries a random token, the store its SHA-256. Logging out deletes
    the row; "log out everywhere", deactivation and a password reset delete all of a user's rows."""

    __tablename__ = "web_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnlockToken(Base):
    """A mailed link that lets its user log in past the account's failed-login backoff: once, for a while."""

    __tablename__ = "unlock_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token for a machine client; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DatasetInfo(Base):
    """Key/value facts about what the store holds (e.g. that it is synthetic, and its seed)."""

    __tablename__ = "dataset_info"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512))


class Alert(Base):
    """An early warning raised by a monitoring rule; its state (open/acknowledged/resolved) persists."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("rule_code", "level", "entity_key", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_code: Mapped[str] = mapped_column(String(64))
    indicator: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # zone / province / region / ... / nation
    entity_key: Mapped[str] = mapped_column(String(32), index=True)  # the group's key, e.g. a zone code
    period: Mapped[str] = mapped_column(String(7))
    severity: Mapped[str] = mapped_column(String(8))  # info / warning / critical
    kind: Mapped[str] = mapped_column(String(16))  # threshold / trend / peer_outlier / jump / missing
    message: Mapped[str] = mapped_column(String(512))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(512))


class EvaluationRun(Base):
    """One run of an evaluation framework for one year; runs are never replaced, a new run is a new row."""

    __tablename__ = "evaluation_run"
    __table_args__ = (Index("ix_evaluation_run_framework_year", "framework_code", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_code: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # framework items, weights, pipeline, uncertainty
    data_fingerprint: Mapped[str] = mapped_column(String(64))  # the analytics build state the run read
    zone_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class EvaluationResult(Base):
    """A zone's score and rank on one node (the composite, a dimension or an indicator) in one run."""

    __tablename__ = "evaluation_result"
    __table_args__ = (UniqueConstraint("run_id", "zone_code", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_run.id"), index=True)
    # No foreign key to zone: a result is a historical record that outlives renamed or merged zones.
    zone_code: Mapped[str] = mapped_column(String(8), index=True)
    level: Mapped[str] = mapped_column(String(16))  # index / dimension / indicator
    code: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)  # the indicator's value in its unit
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    rank_change: Mapped[int | None] = mapped_column(Integer)  # last year's rank minus this year's
    rank_p05: Mapped[float | None] = mapped_column(Float)
    rank_p95: Mapped[float | None] = mapped_column(Float)


class EnergyUnit(Base):
    """A main energy-using unit (重点用能单位): an enterprise's site in a zone whose meters send readings."""

    __tablename__ = "energy_unit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # the sender's own name for it
    name: Mapped[str] = mapped_column(String(128))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zone.code"), index=True)  # where the site is
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EnergyMeter(Base):
    """One meter of a unit, measuring one energy in one physical unit (kWh, m3, t, GJ ...)."""

    __tablename__ = "energy_meter"
    __table_args__ = (UniqueConstraint("unit_id", "code", name="uq_energy_meter_unit_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("energy_unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    energy: Mapped[str] = mapped_column(String(32))  # an energy code of catalog/data/alerts/energy_readings.yaml
    measure_unit: Mapped[str] = mapped_column(String(16))  # the physical unit the meter counts in
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EnergyReadingBatch(Base):
    """One accepted batch of meter readings, never updated: its readings packed column by column (meter ids as
    int32, times as int64 epoch seconds, quantities as float64 in the energy's own unit, little-endian) — 20
    bytes a reading, written as one row, read back by NumPy without a Python object per reading. A later
    reading of the same meter and time (a correction) supersedes an earlier one: the higher batch id wins.

    ``idempotency_key`` is the sender's: the same key again with the same content (``content_sha256``) returns
    this batch; with other content it is refused."""

    __tablename__ = "energy_reading_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    reading_count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[int] = mapped_column(BigInteger, index=True)  # epoch seconds of the earliest reading
    last_at: Mapped[int] = mapped_column(BigInteger, index=True)
    meter_ids: Mapped[bytes] = mapped_column(LargeBinary)
    times: Mapped[bytes] = mapped_column(LargeBinary)
    quantities: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CarbonAccountVersion(Base):
    """One published version of a group's carbon account in a year, never updated: a recomputation adds the next
    version. ``figures`` holds what was published (tce, CO2 by scope, intensities, pathway, ledger entries);
    the factors (version and fingerprint of their numbers) and the data (the analytics build's last change
    ``data_seq`` and ``data_key``, its registry and indicator fingerprints) say what it was computed from."""

    __tablename__ = "carbon_account"
    __table_args__ = (UniqueConstraint("year", "level", "key", "version", name="uq_carbon_account_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    warning: Mapped[str] = mapped_column(String(8))
    factor_version: Mapped[str] = mapped_column(String(256))
    factor_fingerprint: Mapped[str] = mapped_column(String(64))
    data_seq: Mapped[int] = mapped_column(BigInteger)
    data_key: Mapped[str] = mapped_column(String(128))
    published_by: Mapped[str] = mapped_column(String(64))
    published_role: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(512))  # why it was recomputed (None: the first version)
    event_seq: Mapped[int] = mapped_column(BigInteger)  # the change event that published it


class Carrier(Base):
    """A carrier of the incubation chain (众创空间, 孵化器, 加速器, 大学科技园), inside a national zone or outside any
    (``zone_code`` NULL; ``province_code`` still places it for the roll-ups). Its levels are ``carrier_level``."""

    __tablename__ = "carrier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # the operator's credit code or the Torch code
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # see catalog incubation/carriers-*.yaml
    focus: Mapped[str] = mapped_column(String(4))  # 综合 / 专业
    field: Mapped[str | None] = mapped_column(String(64))  # the 专业 carrier's field
    operator: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(256))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zone.code"), index=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"), index=True)
    founded_year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(256))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class CarrierLevel(Base):
    """One event of a carrier's level history: recognised, re-examined or revoked on a day, by a document."""

    __tablename__ = "carrier_level"
    __table_args__ = (UniqueConstraint("carrier_id", "level", "event", "day", name="uq_carrier_level_event"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))  # 国家级 / 国家备案 / 省级 / 市级
    event: Mapped[str] = mapped_column(String(16))  # recognised / reexamined / revoked
    day: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(256))


class Incubatee(Base):
    """An enterprise's stay in a carrier, from entry to graduation (NULL while in incubation). Keyed by
    (carrier, credit code, entry): re-importing a list changes nothing, a graduation updates the stay."""

    __tablename__ = "incubatee"
    __table_args__ = (UniqueConstraint("carrier_id", "credit_code", "entry", name="uq_incubatee_stay"),
                      Index("ix_incubatee_credit_code", "credit_code"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))  # when the registry has it
    name: Mapped[str | None] = mapped_column(String(128))
    entry: Mapped[dt.date] = mapped_column(Date)
    field: Mapped[str | None] = mapped_column(String(64))
    graduated: Mapped[dt.date | None] = mapped_column(Date)
    criterion: Mapped[str | None] = mapped_column(String(16))  # hightech / financing / revenue / acquired_listed
    source: Mapped[str] = mapped_column(String(256))
    source_row: Mapped[int | None] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
# ---- contests (中国创新创业大赛 ...): editions as loaded from their YAML (the contest and rubric documents kept,
# so every ranking and advancing decision is recomputed from the stored rows alone), entries and their stages,
# judges, declared ties, assignments, raw scores per dimension (changes audited in audit_log), documents.


class ContestEdition(Base):
    __tablename__ = "contest_edition"
    __table_args__ = (UniqueConstraint("contest_code", "edition", name="uq_contest_edition"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_code: Mapped[str] = mapped_column(String(32))
    edition: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(128))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)  # the contest YAML as loaded
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON)  # the rubric YAML as loaded
    source_sha256: Mapped[str] = mapped_column(String(64))  # of the two YAML texts
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_by: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContestEntry(Base):
    """An enterprise (``credit_code``, linked to the registry) or a team (``team_name``) in an edition."""

    __tablename__ = "contest_entry"
    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_contest_entry_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("contest_edition.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # the entry's number in the edition
    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    team_name: Mapped[str | None] = mapped_column(String(128))
    team_leader: Mapped[str | None] = mapped_column(String(64))
    team_members: Mapped[int | None] = mapped_column(Integer)
    institution: Mapped[str | None] = mapped_column(String(128))  # a team's university, institute or employer
    linked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # a team linked to its firm
    organisation: Mapped[str | None] = mapped_column(String(64))  # for conflicts: the firm's code or the team's unit
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zone.code"), index=True)
    field: Mapped[str | None] = mapped_column(String(32))  # 领域 / 行业
    group_code: Mapped[str | None] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32))
    revenue: Mapped[float | None] = mapped_column(Float)  # declared, of the contest's revenue year, yuan
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rank: Mapped[int | None] = mapped_column(Integer)  # at the stage it was last ranked in
    award: Mapped[str | None] = mapped_column(String(32))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContestStageChange(Base):
    """An entry's way through the stages: appended, never changed."""

    __tablename__ = "contest_stage_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entry.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)  # the corrected value it was ranked by
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContestJudge(Base):
    __tablename__ = "contest_judge"
    __table_args__ = (UniqueConstraint("edition_id", "user_id", name="uq_contest_judge"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("contest_edition.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    organisation: Mapped[str | None] = mapped_column(String(64))
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zone.code"))


class ContestTie(Base):
    """A judge's declared tie (利益关联) to an entry's code or an organisation."""

    __tablename__ = "contest_tie"
    __table_args__ = (UniqueConstraint("judge_id", "tied_to", name="uq_contest_tie"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("contest_judge.id"), index=True)
    tied_to: Mapped[str] = mapped_column(String(64))


class ContestAssignment(Base):
    __tablename__ = "contest_assignment"
    __table_args__ = (UniqueConstraint("judge_id", "entry_id", "stage", name="uq_contest_assignment"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("contest_judge.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entry.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))


class ContestScore(Base):
    """A judge's raw mark of one dimension (the corrected values are never stored: they are recomputed)."""

    __tablename__ = "contest_score"
    __table_args__ = (UniqueConstraint("assignment_id", "dimension", name="uq_contest_score"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("contest_assignment.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(32))
    mark: Mapped[float] = mapped_column(Float)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContestDocument(Base):
    __tablename__ = "contest_document"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entry.id"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    media_type: Mapped[str] = mapped_column(String(128))  # as checked from the content (contests/documents.py)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

class TalentTarget(Base):
    """A campaign's target for a zone or a province, as imported (append-only: the latest row of a key counts;
    the package's targets file holds the published ones, these the ones a user imported)."""

    __tablename__ = "talent_target"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)  # e.g. research_assistant-2022
    level: Mapped[str] = mapped_column(String(16))  # zone / province
    key: Mapped[str] = mapped_column(String(8))
    target: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(16))  # national / provincial
    source: Mapped[str] = mapped_column(String(512))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source_sha256: Mapped[str] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class JobFair(Base):
    """A job fair of a campaign (e.g. 国聘行动 火炬专场): its host, mode, platforms and results."""

    __tablename__ = "job_fair"
    __table_args__ = (UniqueConstraint("campaign", "name", "held_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    held_on: Mapped[dt.date] = mapped_column(Date)
    host_zone: Mapped[str] = mapped_column(String(8), index=True)
    mode: Mapped[str] = mapped_column(String(8))  # online / live / both
    platforms: Mapped[str] = mapped_column(String(256))  # ;-separated
    posts: Mapped[int] = mapped_column(Integer)
    posts_by_field: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resumes: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer)
    interviews: Mapped[int] = mapped_column(Integer)
    offers: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(512))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class JobFairEmployer(Base):
    """An employer taking part in a job fair, by credit code (linked to the registry where registered)."""

    __tablename__ = "job_fair_employer"
    __table_args__ = (UniqueConstraint("fair_id", "credit_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("job_fair.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(128))
    posts: Mapped[int] = mapped_column(Integer)


class OnlineDraft(Base):
    """The values typed into a report's browser form (网上填报) and not yet submitted: one row per form, period
    and entity, overwritten in place. ``version`` counts the saves: a save names the version it was made from,
    so a second tab (or a second person) saving over a newer draft is detected, not silently lost. ``form_version``
    is the fingerprint of the form and rule set the values were typed against (``online.form.fingerprint``)."""

    __tablename__ = "online_draft"
    __table_args__ = (UniqueConstraint("form_code", "period", "entity_key", name="uq_online_draft_report"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    entity_key: Mapped[str] = mapped_column(String(18))
    zone_code: Mapped[str | None] = mapped_column(String(8), index=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)  # field code -> text as typed
    version: Mapped[int] = mapped_column(Integer)
    form_version: Mapped[str] = mapped_column(String(64))
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_role: Mapped[str | None] = mapped_column(String(16))
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_version: Mapped[int | None] = mapped_column(Integer)  # the draft version last submitted


class OnlineFiling(Base):
    """How a batch typed into the browser form was filed: by whom, in which role, on behalf of the enterprise or
    not (a zone's committee filing an enterprise's report), from which draft version, and the reason given
    when warnings were confirmed. One row per batch; the batch's ``created_by`` is the filer too."""

    __tablename__ = "online_filing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(Integer, unique=True)
    form_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    entity_key: Mapped[str] = mapped_column(String(18))
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_role: Mapped[str] = mapped_column(String(16))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    draft_version: Mapped[int] = mapped_column(Integer)
    form_version: Mapped[str] = mapped_column(String(64))
    warning_reason: Mapped[str | None] = mapped_column(String(500))
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReminderLog(Base):
    """One reminder of one report sent to one user by one channel (hizone.online.dispatch): appended, never
    updated. A user's rows of a day are that day's one reminder; ``result`` says whether it went out."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("user_id", "sent_on", "form_code", "period", "entity_key", "channel",
                                       name="uq_reminder_log_user_day_item_channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    form_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    entity_key: Mapped[str] = mapped_column(String(18))
    kind: Mapped[str] = mapped_column(String(8))  # before / after (the deadline)
    days: Mapped[int] = mapped_column(Integer)  # days before or after the deadline
    channel: Mapped[str] = mapped_column(String(8))  # in_app / email
    sent_on: Mapped[dt.date] = mapped_column(Date)  # the day in China the reminder is for
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    result: Mapped[str] = mapped_column(String(256))  # sent, or why not (the SMTP server's answer)


class Notice(Base):
    """A message to one user shown in the web app (a reminder's in-app copy) until they mark it read."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subject_zh: Mapped[str] = mapped_column(String(200))
    subject_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(String(4000))
    body_en: Mapped[str] = mapped_column(String(4000))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
