"""Response models of the API (they make the published OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    status: int
    code: str = Field(description="machine-readable kind, e.g. not_found, forbidden, invalid_input")
    message: str
    where: str | None = Field(None, description="the field, file, row or column concerned")


class ErrorBody(BaseModel):
    error: ErrorDetail


class PageInfo(BaseModel):
    page: int
    page_size: int
    total: int


class ZoneOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    province_code: str
    region: str
    city: str
    approved_year: int


class ZonePage(PageInfo):
    items: list[ZoneOut]


class EnterpriseOut(BaseModel):
    credit_code: str
    name: str
    zone_code: str
    industry_code: str | None  # GB/T 4754 class; null when no file gave it
    founded: str | None  # registration date (ISO); null when no file gave it
    synthetic: bool
    qualifications: list[str] = []


class EnterpriseVersionOut(BaseModel):
    """One dated version of an enterprise's registration: valid from ``valid_from`` until the day before
    ``valid_to`` (the next version's first day; null while current)."""

    valid_from: str
    valid_to: str | None
    name: str
    zone_code: str
    zone_name: str
    industry_code: str | None
    founded: str | None
    source: str
    source_row: int | None
    recorded_by: str
    recorded_at: str


class EnterpriseDetail(EnterpriseOut):
    history: list[EnterpriseVersionOut]  # newest first


class EnterprisePage(PageInfo):
    items: list[EnterpriseOut]


class SubmissionOut(BaseModel):
    id: int
    form_code: str
    form_version: int
    entity_key: str
    zone_code: str
    period: str
    revision: int
    state: str
    values: dict[str, Any]
    created_by: str
    created_at: str
    synthetic: bool


class SubmissionPage(PageInfo):
    items: list[SubmissionOut]


class IndicatorValue(BaseModel):
    code: str
    name_zh: str
    name_en: str
    unit: str
    value: float | None = Field(description="null when there is none, or when withheld (then `suppressed`)")
    suppressed: bool = Field(False, description="withheld by statistical disclosure control")
    reason: str | None = Field(None, description="why it is withheld: min_zones, min_enterprises, "
                                                 "dominance_enterprise, dominance_zone or complementary")
    yoy_pct: float | None = None


class IndicatorSet(BaseModel):
    entity: str = Field(description="'national', a province code or a zone code")
    period: str
    synthetic: bool
    indicators: list[IndicatorValue]


class Me(BaseModel):
    username: str
    role: str
    province_code: str | None
    zone_code: str | None
    credit_code: str | None


class AlertOut(BaseModel):
    id: int
    rule: str
    kind: str
    severity: str
    indicator: str
    level: str
    key: str
    period: str
    message: str
    evidence: dict[str, Any]
    state: str
    changed_by: str | None
    note: str | None


class AlertPage(PageInfo):
    items: list[AlertOut]


class AlertChange(BaseModel):
    state: str = Field(pattern=r"^(open|acknowledged|resolved)$")
    note: str | None = Field(None, max_length=500)


class StepIn(BaseModel):
    """A workflow step on a report's latest revision: review, approve, or return for correction (with a comment)."""

    action: str = Field(pattern=r"^(review|approve|return)$")
    comment: str | None = Field(None, max_length=500)


class StepOut(BaseModel):
    submission_id: int
    action: str
    state: str  # the revision's state after the step


class RunOut(BaseModel):
    id: int
    framework: str
    year: int
    zone_count: int
    created_at: str
    synthetic: bool


class RankingRow(BaseModel):
    zone_code: str
    name: str
    rank: int | None
    score: float | None
    rank_change: int | None
    rank_p05: float | None
    rank_p95: float | None
    dimensions: dict[str, dict[str, float | int | None]]


class RunResults(BaseModel):
    run: RunOut
    items: list[RankingRow]


class IssueOut(BaseModel):
    severity: str
    rule: str
    cell: str
    field: str | None
    value: str | None
    message_zh: str
    message_en: str


class RegisteredOut(BaseModel):
    credit_code: str
    name: str
    zone_code: str


class UploadOut(BaseModel):
    status: str = Field(description="stored, unchanged, rejected or needs_confirmation")
    summary: str
    batch_id: int | None
    created: int
    unchanged: int
    registered: list[RegisteredOut] = Field(description="enterprises unknown to the registry that the upload "
                                                        "registered")
    updated: list[str] = Field(description="credit codes of registered enterprises whose name, industry or "
                                           "registration date the upload changed (audited)")
    issues: list[IssueOut]


class ChangeOut(BaseModel):
    element: str
    old: float | None
    new: float | None


class RevisionOut(BaseModel):
    revision: int
    previous: int | None
    changes: list[ChangeOut]


class EnterpriseChangeOut(BaseModel):
    field: str = Field(description="name, zone_code, industry_code or founded")
    old: str
    new: str


class ListedEnterpriseOut(BaseModel):
    credit_code: str
    name: str | None
    changes: list[EnterpriseChangeOut] = []


class EnterpriseListOut(BaseModel):
    source: str
    summary: str
    registered: list[ListedEnterpriseOut] = Field(description="enterprises the list registered")
    updated: list[ListedEnterpriseOut] = Field(description="registered enterprises whose name, zone, industry or "
                                                           "registration date the list changed (audited)")
    unchanged: int


class ReviewOut(BaseModel):
    file: str
    row: int
    where: str = Field(description="file, row and column")
    credit_code: str | None
    list_name: str | None = Field(description="the name as the list writes it")
    registered_name: str | None = Field(description="the name the registry holds, when one is concerned")
    reason: str
    proposed_credit_code: str | None = Field(description="for a name without a credit code: the one registered "
                                                         "enterprise of that name, a proposal only (not stored)")


class QualificationListOut(BaseModel):
    source: str
    kind: str
    summary: str
    stored: list[str] = Field(description="credit codes whose qualification the list added")
    updated: list[str] = Field(description="credit codes whose stored qualification the list changed")
    unchanged: int
    review_count: int = Field(description="rows not stored, for review")
    review: list[ReviewOut]
