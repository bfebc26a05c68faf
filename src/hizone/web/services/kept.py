"""What an upload leaves for its uploader to fetch later: the validation report's marked workbook, a registry
list's outcome tables. Kept in files under the var directory, not in a process's memory, because the server
may run several worker processes (``hizone serve --workers``) and the download can reach another one than the
upload did."""

from __future__ import annotations

import os
import pickle
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Generic, Protocol, TypeVar

# What put() makes: the time it was written (so names sort oldest first, whichever process wrote them), then
# 32 random hex digits (so nobody guesses another's). Anything else names no file: no path is taken from a URL.
KEY = re.compile(r"[0-9a-f]{16}[0-9a-f]{32}")


class Kept(Protocol):
    """What a KeptStore keeps: it knows whose it is."""

    @property
    def owner(self) -> str: ...


KeptT = TypeVar("KeptT", bound=Kept)


class KeptStore(Generic[KeptT]):
    """The last ``size`` items, at most ``max_bytes`` of files in all, the oldest going first; each is read back
    only by its owner. The files are pickles this server wrote itself, in a directory only it writes to (mode
    0700), under keys it chose; a file that cannot be read back is as good as absent."""

    def __init__(self, directory: Path, size: int = 200, max_bytes: int = 256 << 20) -> None:
        self.directory = directory
        self._size = size
        self._max_bytes = max_bytes

    def put(self, item: KeptT) -> str | None:
        """The key to fetch the item by; None when the item alone is larger than the whole store."""
        data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > self._max_bytes:
            return None
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = f"{time.time_ns():016x}{secrets.token_hex(16)}"
        # Written aside and renamed: another process never reads half a file.
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, self.directory / key)
        self._evict(keep=key)
        return key

    def get(self, owner: str, key: str) -> KeptT | None:
        """The item under ``key`` if ``owner`` put it; another user's item is as good as absent."""
        if not KEY.fullmatch(key):
            return None
        try:
            item: KeptT = pickle.loads((self.directory / key).read_bytes())  # our own file (see the class)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        return item if getattr(item, "owner", None) == owner else None

    def _files(self) -> list[os.DirEntry[str]]:
        """The items' files, oldest first (by name: see KEY)."""
        try:
            return sorted((entry for entry in os.scandir(self.directory) if KEY.fullmatch(entry.name)),
                          key=lambda entry: entry.name)
        except FileNotFoundError:
            return []

    def _size_of(self, entry: os.DirEntry[str]) -> int:
        try:
            return entry.stat().st_size
        except FileNotFoundError:  # another process evicted it meanwhile
            return 0

    def _evict(self, keep: str) -> None:
        files = self._files()
        sizes = {entry.name: self._size_of(entry) for entry in files}
        total = sum(sizes.values())
        for entry in files:
            if len(sizes) <= self._size and total <= self._max_bytes:
                break
            if entry.name == keep:
                continue
            Path(entry.path).unlink(missing_ok=True)
            total -= sizes.pop(entry.name)

    def __len__(self) -> int:
        return len(self._files())

    @property
    def nbytes(self) -> int:
        return sum(self._size_of(entry) for entry in self._files())
