"""Where a report's figures come from, and the data state its cover states.

A report is built for one caller (its principal decides what it may show, as on the pages) from one analytics
snapshot (a :class:`Reader`, whose version is the cache key) and the stored evaluation runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from hizone.analytics.read import ReadCache, Reader
from hizone.auth import Principal
from hizone.web.i18n import translate
from hizone.web.services.rankings import RunCache

CHINA = dt.timezone(dt.timedelta(hours=8))  # reports are dated in Beijing time, as the bulletins are


@dataclass(frozen=True)
class Sources:
    engine: Engine
    fig: Reader
    runs: RunCache
    principal: Principal
    lang: str = "zh"
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(CHINA)  # the cover's print time (fixed in tests)

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)


@dataclass(frozen=True)
class DataState:
    """The cover's statement of what the figures are: synthetic or real, complete (published) or provisional
    (approved reports of only some zones so far), which data version, when printed."""

    synthetic: bool
    reporting: int  # zones with approved figures for the period
    registered: int
    data_version: str  # the store's last change number (see store.changes), the cache key
    printed_at: str

    @property
    def provisional(self) -> bool:
        return self.reporting < self.registered


def data_state(src: Sources, indicator: str, period: str, synthetic: bool = False) -> DataState:
    version = src.fig.version[0] if isinstance(src.fig.version, tuple) and src.fig.version else src.fig.version
    return DataState(synthetic=src.fig.synthetic or synthetic,
                     reporting=len(src.fig.reporting_zones(indicator, period)), registered=len(src.fig.zones),
                     data_version=str(version), printed_at=src.clock().strftime("%Y-%m-%d %H:%M"))


def open_sources(engine: Engine, analytics: Path, principal: Principal, lang: str = "zh") -> Sources:
    """Sources outside the web: the analytics file brought up to date with the store (an incremental build)
    and read at the store's current data version, as the web's figures cache does."""
    return Sources(engine, ReadCache(engine, analytics).get(), RunCache(), principal, lang)
