"""Argon2id password hashing with one of argon2-cffi's named parameter profiles.

The default is RFC 9106's low-memory profile (argon2-cffi's own default: 64 MiB, 3 passes, about 0.17 s a
hash here). HIZONE_PASSWORD_PROFILE names another; the test suite names CHEAPEST, which argon2-cffi provides
for tests, because its thousands of logins would otherwise spend most of CI hashing.
"""

from __future__ import annotations

import os

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from hizone.errors import HizoneError

DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"
PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


def profile_parameters(name: str) -> Parameters:
    if name not in PROFILES:
        raise HizoneError(f"unknown password hashing profile '{name}' (one of {', '.join(PROFILES)})",
                          where="HIZONE_PASSWORD_PROFILE")
    parameters: Parameters = getattr(profiles, name)
    return parameters


_HASHER = PasswordHasher.from_parameters(
    profile_parameters(os.environ.get("HIZONE_PASSWORD_PROFILE") or DEFAULT_PROFILE))
# A valid hash of a random secret: verifying against it for unknown users costs the same time as for
# known ones, so response time does not reveal which usernames exist.
DUMMY_HASH = _HASHER.hash("hizone-unknown-user-placeholder")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
