"""Registry: provinces, zones, enterprises' codes and qualifications, industries."""

from hizone.registry.credit_code import ALPHABET, WEIGHTS, check_character, validate_credit_code
from hizone.registry.tables import (
    ProvinceRow,
    QualificationKind,
    ZoneRow,
    industry_section,
    load_provinces,
    load_zones,
    qualification_kinds,
    validate_industry_code,
)

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "ProvinceRow",
    "QualificationKind",
    "ZoneRow",
    "check_character",
    "industry_section",
    "load_provinces",
    "load_zones",
    "qualification_kinds",
    "validate_credit_code",
    "validate_industry_code",
]
