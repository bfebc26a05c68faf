"""Bad input gets a 4xx with a clear message: an HTML page for people, JSON under /api; never a 500."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAGE_CASES = [
    ("/zones/NOPE", 404, "no zone 'NOPE'"),
    ("/zones/Z1101?year=19x9", 422, "year"),
    ("/zones/Z1101?year=1999", 404, "no approved annual data for year '1999'"),
    ("/zones/Z1101?benchmark=Z9999", 404, "no benchmark zone 'Z9999'"),
    ("/zones/Z1101/enterprises?kind=pirates", 404, "unknown qualification 'pirates'"),
    ("/zones/Z1101/enterprises?page=-1", 422, "page"),
    ("/?indicator=" + "x" * 100, 422, "indicator"),
    ("/export/provinces.pdf", 422, "fmt"),
    ("/rankings?year=abc", 422, "year"),
    ("/monitoring?month=2023-13x", 422, "month"),
    ("/monitoring?month=2030-01", 404, "no approved monthly reports"),
    ("/reporting/history/enterprise_annual/NOTACODE/2023", 404, "no enterprise 'NOTACODE'"),
    ("/reporting/errors/forged.xlsx", 404, "no such validation report"),
    ("/monitoring/alerts/%C2%B2", 405, "Method Not Allowed"),
    ("/reporting/template/unknown_form.xlsx?year=2023", 404, "no form 'unknown_form'"),
    ("/no/such/page", 404, "Not Found"),
]


@pytest.mark.parametrize(("url", "status", "text"), PAGE_CASES)
def test_pages_answer_bad_input_with_an_html_error_page(clients: dict[str, TestClient], url: str, status: int,
                                                        text: str) -> None:
    response = clients["admin"].get(url)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert text in html.unescape(response.text) and 'id="error-message"' in response.text
    assert "Traceback" not in response.text


def test_wrong_method_is_405_not_500(clients: dict[str, TestClient]) -> None:
    response = clients["admin"].delete("/zones/Z1101")
    assert response.status_code == 405 and "Traceback" not in response.text
    api = clients["admin"].put("/api/v1/zones")
    assert api.status_code == 405 and api.json()["error"]["code"] == "method_not_allowed"


def test_oversized_requests_are_refused_before_reading(clients: dict[str, TestClient]) -> None:
    response = clients["zone"].post("/api/v1/submissions", content=b"x", headers={"content-length": str(1 << 30)})
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


SEGMENT = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30)
QUERY_VALUE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&#%"), max_size=30)
ROUTES = ["/zones/{}", "/zones/{}/enterprises", "/api/v1/zones/{}", "/api/v1/zones/{}/indicators",
          "/api/v1/enterprises/{}", "/api/v1/submissions/{}", "/reporting/history/enterprise_annual/{}/2023",
          "/lang/{}"]
PARAMS = ["year", "page", "page_size", "province", "region", "kind", "benchmark", "indicator", "next", "month"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), segment=SEGMENT, key=st.sampled_from(PARAMS), value=QUERY_VALUE)
def test_fuzzed_paths_and_parameters_never_cause_a_server_error(clients: dict[str, TestClient], route: str,
                                                                 segment: str, key: str, value: str) -> None:
    # Percent-encoded, as any client sends them: the app sees the decoded characters.
    response = clients["analyst"].get(route.format(quote(segment, safe="")), params={key: value},
                                      follow_redirects=False)
    assert response.status_code < 500, (route, segment, key, value, response.text[:300])
    assert "Traceback" not in response.text


def test_a_nul_character_in_a_form_is_a_clear_4xx(clients: dict[str, TestClient]) -> None:
    from tests.web.conftest import csrf_of

    client = clients["public"]
    response = client.post("/login", data={"username": "ad\x00min", "password": "x" * 12,
                                           "csrf_token": csrf_of(client)})
    assert 400 <= response.status_code < 500 and "Traceback" not in response.text
