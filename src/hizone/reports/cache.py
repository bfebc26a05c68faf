"""Printed reports kept by what they were printed from: the data version, the report's parameters, the language
and the caller's scope. A new approval, run or alert moves the data version, so a stale PDF is never served."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class PdfCache:
    """A bounded LRU of PDFs by key (least recently used first out when the bytes run out)."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
        made = make()
        if len(made) > self.max_bytes:
            return made
        with self._lock:
            if key not in self._items:
                self._items[key] = made
                self._bytes += len(made)
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)
        return made

    def __len__(self) -> int:
        return len(self._items)
