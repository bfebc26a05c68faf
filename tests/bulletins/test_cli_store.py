"""`hizone bulletins load|facts|search|review` end to end over the shared bulletins, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hizone.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "bulletins"
FILES = sorted(DATA.glob("*.txt"))
runner = CliRunner()


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    return database_url


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_load_the_shared_bulletins_once_then_review_and_search(store: str, tmp_path: Path) -> None:
    code, out, _ = _run("bulletins", "load", *map(str, FILES))
    assert code == 0, out
    assert out.count("stored with") == 3
    code, out, _ = _run("bulletins", "load", str(FILES[0]))
    assert code == 0 and "already stored as bulletin" in out and "nothing changed" in out
    code, out, _ = _run("bulletins", "facts", "--format", "json")
    rows = json.loads(out)
    text = {p.name: p.read_text(encoding="utf-8") for p in FILES}
    # Every stored fact's quote is its file's text at its offsets; as many as the extractor finds in each file.
    assert rows and all(text[r["file"]][r["start"]:r["end"]] == r["quote"] for r in rows)
    code, out, _ = _run("bulletins", "extract", str(FILES[0]), "--out", str(tmp_path / "f.csv"))
    extracted = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text(encoding="utf-8"))))
    assert len([r for r in rows if r["file"] == FILES[0].name]) == len(extracted)
    first = rows[0]
    code, out, _ = _run("bulletins", "review", str(first["id"]), "--correct", "42", "--note", "checked")
    assert code == 0 and "corrected" in out
    code, out, _ = _run("bulletins", "facts", "--status", "corrected", "--format", "csv")
    (only,) = list(csv.DictReader(io.StringIO(out)))
    assert (only["id"], only["corrected_value"], only["reviewer"], only["note"]) == (str(first["id"]), "42.0",
                                                                                       "cli", "checked")
    code, out, _ = _run("bulletins", "search", "高新区", "--format", "json")
    found = json.loads(out)
    # Hits counted independently: the term in each file's text with spaces and line breaks removed.
    expected = {p.name: "".join(text[p.name].split()).count("高新区") for p in FILES}
    assert {f["file"]: f["hits"] for f in found} == {k: v for k, v in expected.items() if v}
    hit = found[0]["first"][0]
    assert "".join(text[found[0]["file"]][hit["start"]:hit["end"]].split()) == "高新区"


def test_bad_input_is_one_line_and_stores_nothing(store: str, tmp_path: Path) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_text("关于召开会议的通知\n请各单位准时参加。\n", encoding="utf-8")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00")
    code, _, err = _run("bulletins", "load", str(notice), str(binary), str(tmp_path / "missing.txt"))
    assert code == 2
    assert "notice.txt: not a bulletin" in err and "binary content" in err and "missing.txt" in err
    assert "Traceback" not in err
    code, out, _ = _run("bulletins", "facts", "--format", "json")
    assert json.loads(out) == []
    code, _, err = _run("bulletins", "review", "1", "--confirm", "--reject")
    assert code == 2 and "exactly one of" in err
    code, _, err = _run("bulletins", "review", "1", "--confirm", "--role", "enterprise")
    assert code == 2 and "national analysts" in err
    code, _, err = _run("bulletins", "facts", "--status", "approved")
    assert code == 2 and "unknown status" in err
    code, _, err = _run("bulletins", "load", str(FILES[0]), "--role", "enterprise")
    assert code == 2 and "national analysts" in err
