"""The web's cache of validation reports is bounded by count and by bytes."""

from __future__ import annotations

from hizone.web.services.reporting import KeptReport, ReportCache


def kept(owner: str, size: int) -> KeptReport:
    return KeptReport(owner, "bad.csv", b"x" * size, [])


def test_the_oldest_reports_go_when_the_bytes_run_out() -> None:
    cache = ReportCache(size=100, max_bytes=2_500)
    keys = [cache.put(kept("ana", 1_000)) for _ in range(3)]
    assert [k is not None for k in keys] == [True, True, True]
    assert cache.get("ana", keys[0] or "") is None
    assert all(cache.get("ana", k or "") is not None for k in keys[1:])
    assert (len(cache), cache.nbytes) == (2, 2_000)


def test_a_report_larger_than_the_whole_cache_is_not_kept_and_evicts_nothing() -> None:
    cache = ReportCache(size=100, max_bytes=2_500)
    first = cache.put(kept("ana", 1_000))
    assert cache.put(kept("ana", 3_000)) is None
    assert first is not None and cache.get("ana", first) is not None


def test_the_count_still_bounds_the_cache_and_reports_stay_their_owners() -> None:
    cache = ReportCache(size=2, max_bytes=1 << 20)
    keys = [cache.put(kept("ana", 10)) for _ in range(3)]
    assert cache.get("ana", keys[0] or "") is None and len(cache) == 2
    assert cache.get("bob", keys[2] or "") is None
