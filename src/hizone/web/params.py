"""Parameter types shared by pages and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

# A stored row's id: bounded so a huge number is a 422, not an overflow in the database driver
# (SQLite's INTEGER is 64-bit signed).
ROW_ID_MAX = 2**62
RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)]
