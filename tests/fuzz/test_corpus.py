"""Every malformed input of the corpus is refused cleanly — by ``import_file`` (all of them on SQLite, a sample
on PostgreSQL) and by the web upload (a sample): one clear error naming the file, or a rejection report;
never a crash, a 500 or a traceback; and the store exactly as it was after each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from hizone.errors import HizoneError
from hizone.intake.service import import_file
from tests.fuzz.corpus import Case, cases
from tests.intake.factory import TODAY, csv_bytes, good_rows, seed_registry
from tests.web.conftest import app, clients, csrf_of, seeded, seeded_analytics  # noqa: F401  (the web fixtures)
from tests.web.seed import Seeded

SUBMISSION_TABLES = ("submission", "import_batch", "change_event")
POSTGRES_SHARE = 10  # every 10th input on PostgreSQL
WEB_SHARE = 20  # every 20th input through the web


@pytest.fixture(autouse=True)
def tight_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits low enough that an input the readers cannot refuse early is stopped within seconds."""
    monkeypatch.setenv("HIZONE_INTAKE_TIMEOUT_S", "20")
    monkeypatch.setenv("HIZONE_INTAKE_MAX_CPU_S", "20")
    monkeypatch.setenv("HIZONE_INTAKE_MAX_MEMORY_MB", "1536")


def store_state(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per submission table, its row count and a checksum of every row."""
    state = {}
    with engine.connect() as conn:
        for table in SUBMISSION_TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()  # the key comes first
            state[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def clean_import_outcome(engine: Engine, case: Case) -> str | None:
    """None when ``import_file`` refused the input as it should; otherwise what went wrong."""
    try:
        result = import_file(engine, case.data, "enterprise_annual", "2021", "fuzzer", name=case.name, today=TODAY)
    except HizoneError as exc:
        message = str(exc)
        if case.name not in message or "Traceback" in message or "\n" in message:
            return f"unclear error: {message[:300]!r}"
        return None
    except Exception as exc:  # the very thing looked for: anything but a clean refusal
        return f"crashed: {type(exc).__name__}: {str(exc)[:300]}"
    if result.status not in ("rejected", "needs_confirmation") or result.report is None:
        return f"not refused: {result.status} ({result.summary()})"
    if not result.report.issues or any(issue.file != case.name for issue in result.report.issues):
        return "refused without issues naming the file"
    return None


def refusals(engine: Engine, corpus: Sequence[Case]) -> Iterator[str]:
    for case in corpus:
        before = store_state(engine)
        problem = clean_import_outcome(engine, case)
        if problem is not None:
            yield f"{case.family}/{case.name}: {problem}"
        if store_state(engine) != before:
            yield f"{case.family}/{case.name}: the store changed"


def test_every_malformed_input_is_refused_and_the_store_is_unchanged(engine: Engine) -> None:
    codes = seed_registry(engine)
    stored = import_file(engine, csv_bytes(good_rows(codes)), "enterprise_annual", "2021", "seed", name="good.csv",
                         today=TODAY)
    assert stored.stored  # the store holds something to lose
    corpus = cases(codes)
    assert len(corpus) >= 1000
    sample = corpus if engine.dialect.name == "sqlite" else corpus[::POSTGRES_SHARE]
    problems = list(refusals(engine, sample))
    assert not problems, f"{len(problems)} of {len(sample)} inputs not refused cleanly:\n" + "\n".join(problems[:40])


def test_a_sample_uploaded_on_the_web_is_refused_without_a_500_and_the_store_is_unchanged(
        clients: dict[str, TestClient], engine: Engine, seeded: Seeded) -> None:  # noqa: F811
    client = clients["zone"]
    token = csrf_of(client, "/reporting")
    problems = []
    for case in cases([seeded.own_enterprise])[::WEB_SHARE]:
        before = store_state(engine)
        response = client.post("/reporting/upload", files={"file": (case.name, case.data, "application/octet-stream")},
                               data={"form": "enterprise_annual", "period": "2024", "csrf_token": token,
                                     "submit": "true"})
        body = response.text
        if response.status_code >= 500 or "Traceback" in body:
            problems.append(f"{case.name}: {response.status_code} {body[:200]!r}")
        elif 400 <= response.status_code < 500:
            if case.name not in body and response.status_code != 413:  # too large: refused before it is named
                problems.append(f"{case.name}: {response.status_code} without the file's name: {body[:200]!r}")
        elif 'id="upload-status"' not in body or "未通过校验" not in body:
            problems.append(f"{case.name}: {response.status_code} but not a rejection: {body[:200]!r}")
        if store_state(engine) != before:
            problems.append(f"{case.name}: the store changed")
    assert not problems, "\n".join(problems[:40])
