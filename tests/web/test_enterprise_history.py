"""An enterprise's page and API list its dated history within the viewer's scope; an enterprise registered
without an industry code or a registration date shows "—" / null."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.registry.enterprises import import_enterprises
from tests.web.seed import Seeded, credit_code
from tests.web.tables import as_shown, exports, page_rows

MOVER = credit_code(42)  # registered in Z1102 with credit code, name and zone only; moves to Z1101 in 2023


def _list(path: Path, zone: str) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["统一社会信用代码", "企业名称", "高新区代码"],
                                                   [MOVER, "北京迁移科技有限公司", zone]])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _register_and_move(engine: Engine, tmp_path: Path) -> None:
    admin = Principal("admin1", "admin")
    import_enterprises(engine, _list(tmp_path / "名单.csv", "Z1102"), admin)
    import_enterprises(engine, _list(tmp_path / "迁移.csv", "Z1101"), admin, valid_from=dt.date(2023, 1, 1))


def test_the_api_lists_the_versions_and_nulls_for_what_no_file_gave(engine: Engine, seeded: Seeded,
                                                                    clients: dict[str, TestClient],
                                                                    tmp_path: Path) -> None:
    _register_and_move(engine, tmp_path)
    body = clients["zone"].get(f"/api/v1/enterprises/{MOVER}").json()  # Z1101's committee: its enterprise now
    assert (body["zone_code"], body["industry_code"], body["founded"]) == ("Z1101", None, None)
    assert [(v["valid_from"], v["valid_to"], v["zone_code"], v["source"], v["industry_code"])
            for v in body["history"]] == [("2023-01-01", None, "Z1101", "迁移.csv", None),
                                          ("1900-01-01", "2023-01-01", "Z1102", "名单.csv", None)]
    listed = clients["zone"].get("/api/v1/enterprises", params={"zone": "Z1101"}).json()["items"]
    assert [(i["industry_code"], i["founded"]) for i in listed if i["credit_code"] == MOVER] == [(None, None)]
    # outside the scope: another zone's enterprise is refused, and the enterprise's own account sees only itself
    assert clients["zone"].get(f"/api/v1/enterprises/{seeded.other_enterprise}").status_code == 403
    assert clients["enterprise"].get(f"/api/v1/enterprises/{MOVER}").status_code == 403


def test_the_enterprise_page_shows_its_history_and_dashes(engine: Engine, seeded: Seeded,
                                                          clients: dict[str, TestClient], tmp_path: Path) -> None:
    _register_and_move(engine, tmp_path)
    page = clients["zone"].get(f"/enterprises/{MOVER}")
    assert page.status_code == 200
    assert "北京迁移科技有限公司" in page.text
    shown = page_rows(page.text, "table-enterprise_history")
    assert [row[:5] for row in shown[1:]] == [
        ["2023-01-01", "—", "北京迁移科技有限公司", "Z1101 中关村科技园区", "—"],
        ["1900-01-01", "2023-01-01", "北京迁移科技有限公司", "Z1102 北京测试高新区", "—"]]
    assert [row[6] for row in shown[1:]] == ["迁移.csv · 2", "名单.csv · 2"]
    csv_export, xlsx_export = exports(clients["zone"], f"/enterprises/{MOVER}/history/export")
    assert as_shown(csv_export) == as_shown(xlsx_export) == shown
    listing = clients["zone"].get(f"/zones/{seeded.own_zone}/enterprises")
    assert f'href="/enterprises/{MOVER}"' in listing.text
    assert clients["zone"].get(f"/enterprises/{seeded.other_enterprise}").status_code == 403
    assert clients["public"].get(f"/enterprises/{MOVER}", follow_redirects=False).status_code in (303, 401)
