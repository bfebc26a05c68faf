"""The factor library: loaded through the catalog loader, layered under HIZONE_CATALOG_PATH, refused when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from hizone.carbon.factors import CARBON_DIR, load_library
from hizone.errors import CatalogError, HizoneError


def _override(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A user catalog whose copy of ``name`` has ``old`` replaced by ``new``."""
    text = (CARBON_DIR / name).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_every_value_of_the_package_library_loads_with_its_source() -> None:
    library = load_library()
    assert {"gbt2589_2020", "guidelines_2013", "mee_nbs_2022"} <= set(library.sources)
    assert [d.year for d in library.grid] == [2021, 2022, 2023]
    assert library.region_of("44") == "south"
    assert library.region_of("99") is None


def test_a_users_corrected_grid_factor_is_a_new_revision_with_a_new_fingerprint(tmp_path: Path) -> None:
    corrected = _override(tmp_path, "grid_factors.yaml", "revision: 1", "revision: 2")
    (corrected / "grid_factors.yaml").write_text((corrected / "grid_factors.yaml").read_text(encoding="utf-8")
                                                 .replace("location: 0.5366", "location: 0.5370"), encoding="utf-8")
    before, after = load_library().resolve(2022), load_library([corrected]).resolve(2022)
    assert after.grid_location["national"] == pytest.approx(0.5370e-3)
    assert "grid 2022 national r2" in after.version
    assert before.fingerprint != after.fingerprint


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("fuel_factors.yaml", "factor: 3.096", "factor: 3.196", "is not NCV × carbon content"),
    ("grid_factors.yaml", "source: mee_nbs_2022", "source: somewhere", "unknown source 'somewhere'"),
    ("standard_coal.yaml", "diesel: {value: 1.4571, unit: kgce/kg}", "diesel: {value: 1.4571, unit: kgce/kWh}",
     "does not fit diesel"),
    ("standard_coal.yaml", "      diesel: {value: 1.4571, unit: kgce/kg}\n", "", "no 当量值 for diesel"),
    ("energies.yaml", "role: fuel", "role: fule", "'role' must be one of"),
    ("grid_factors.yaml", "location: 0.5568", "location: -0.5568", "must be positive"),
    ("grid_factors.yaml", "south: 0.3869,", "", "regional factors missing for south"),
])
def test_a_wrong_factor_file_is_refused_naming_where(tmp_path: Path, name: str, old: str, new: str,
                                                     message: str) -> None:
    with pytest.raises(CatalogError, match=message) as refused:
        load_library([_override(tmp_path, name, old, new)])
    assert str(tmp_path / name) in str(refused.value)


def test_a_year_before_every_published_grid_factor_is_an_error() -> None:
    with pytest.raises(HizoneError, match="no grid factors published for 2020 or earlier"):
        load_library().resolve(2020)
    with pytest.raises(HizoneError, match="no regional grid factors published for 2021"):
        load_library().resolve(2021, "regional")
