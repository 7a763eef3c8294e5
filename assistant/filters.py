"""`Filters`: which articles a question may be answered from (dates, outlets, doc ids).

One description, three forms: a Chroma `where` clause, and a boolean mask over the indexed
chunks' `Catalog` (so filtering is a few array operations, not a call per chunk).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.catalog import Catalog
from assistant.store import date_to_ts

__all__ = ["Filters"]


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval: articles published from `since` to `until` and on or before
    `as_of`, from `sources`, `doc_ids`. With any date bound, undated articles are left out
    (nobody can tell whether they fall inside) unless `include_undated`."""

    as_of: dt.date | None = None
    sources: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    include_undated: bool = False

    def _bounds(self) -> tuple[int, int] | None:
        """The accepted `published_ts` range, or None when dates are not filtered."""
        ends = [d for d in (self.as_of, self.until) if d is not None]
        if not ends and self.since is None:
            return None
        # Dated articles have ts >= 0 (-1 means undated): a `since` before 1970 must not
        # let undated ones in.
        lo = max(date_to_ts(self.since), 0) if self.since is not None else 0
        hi = date_to_ts(min(ends)) if ends else 2**31
        return lo, hi

    @property
    def dated(self) -> bool:
        """True when the date bounds leave undated articles out."""
        return self._bounds() is not None and not self.include_undated

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        bounds = self._bounds()
        if bounds is not None:
            lo, hi = bounds
            in_range = {"$and": [{"published_ts": {"$gte": lo}}, {"published_ts": {"$lte": hi}}]}
            if self.include_undated:
                clauses.append({"$or": [in_range, {"published_ts": {"$lt": 0}}]})
            else:
                clauses.extend(in_range["$and"])
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    @property
    def empty(self) -> bool:
        return self._bounds() is None and not self.sources and not self.doc_ids

    def mask(self, catalog: Catalog, *, dates: bool = True) -> np.ndarray:
        """Which rows of `catalog` pass (a boolean array); with `dates` False, the date
        bounds are not applied (to count what they left out)."""
        keep = np.ones(len(catalog.ts), dtype=bool)
        bounds = self._bounds() if dates else None
        if bounds is not None:
            in_range = (catalog.ts >= bounds[0]) & (catalog.ts <= bounds[1])
            keep &= in_range | (catalog.ts < 0) if self.include_undated else in_range
        if self.sources:
            keep &= np.isin(catalog.sources, list(self.sources))
        if self.doc_ids:
            keep &= np.isin(catalog.doc_ids, list(self.doc_ids))
        return keep

    def undated_left_out(self, catalog: Catalog) -> int:
        """How many undated articles that the other filters accept the date bounds left out."""
        if not self.dated:
            return 0
        rows = self.mask(catalog, dates=False) & (catalog.ts < 0)
        return len(set(catalog.doc_ids[rows].tolist()))
