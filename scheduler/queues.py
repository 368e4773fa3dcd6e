"""Officers in order of preference per (department, district, class, day), kept up to date.

Staffing a team used to sort every eligible officer for each team; at 100,000 tasks
that is tens of millions of preference evaluations.  Here every bucket
(department k, district r, demand class q, day d) keeps a heap of its officers keyed by

    (spans, breadth, waste, load, o)

  spans    would a visit in r make the officer's day d span a second district
  breadth  districts he covers (99: all) -- the flexible ones are kept for later
  waste    qualifications he holds when q is "any officer" (0 for a qualified slot)
  load     his visits in the horizon so far (the load evens out)

A heap is built the first time a team asks for it.  Entries go stale when the plan
changes; ``touch`` (called by ``Plan`` whenever an officer's team changes on day d)
pushes a fresh entry into each of his built buckets of that day, so an officer whose
day got better is found at once.  Entries whose key got worse meanwhile (his load rose
on another day) are re-pushed with their current key when popped.  The one
approximation: a load that fell on another day is seen only when that day's bucket
is next touched, so such an officer may come a little later than a full sort would
put him -- a tie-break of the fourth criterion, never a rule.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from .prepare import ANY

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Plan

__all__ = ["OfficerQueues"]

# A popped entry whose load is at most this much below the officer's load counts as
# current: the load is the last tie-break, and re-pushing on every rise of it costs
# more than the evenness it buys.
LOAD_SLACK = 2

Bucket = tuple[int, str | None, str | None, int]


class _Heap:
    __slots__ = ("entries", "members", "district", "qualification", "day")

    def __init__(self, district: str | None, qualification: str | None, day: int, members: list[int]):
        self.entries: list[tuple] = []
        self.members = members
        self.district = district
        self.qualification = qualification
        self.day = day


class OfficerQueues:
    """Preference heaps of a plan's officers (module docstring)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        P = plan.P
        self.breadth = [99 if r is None else len(r) for r in P.officer_districts]
        self.n_quals = [len(q) for q in P.officer_quals]
        self.heaps: dict[Bucket, _Heap] = {}
        self.of_officer_day: dict[tuple[int, int], list[_Heap]] = {}

    def _key(self, heap: _Heap, o: int) -> tuple:
        plan = self.plan
        used = plan.officer_day_districts.get((o, heap.day))
        spans = bool(used) and heap.district not in used
        waste = self.n_quals[o] if heap.qualification is ANY else 0
        return (spans, self.breadth[o], waste, plan.load[o], o)

    def _heap(self, k: int, district: str | None, qualification: str | None, d: int) -> _Heap:
        bucket = (k, district, qualification, d)
        heap = self.heaps.get(bucket)
        if heap is None:
            P = self.plan.P
            bit = 1 << d
            members = [o for o in P.eligible(k, district, qualification) if P.officer_days_mask[o] & bit]
            heap = _Heap(district, qualification, d, members)
            self.heaps[bucket] = heap
            for o in members:
                self.of_officer_day.setdefault((o, d), []).append(heap)
            self._rebuild(heap)
        return heap

    def _rebuild(self, heap: _Heap) -> None:
        rem = self.plan.rem
        d = heap.day
        heap.entries = [self._key(heap, o) for o in heap.members if rem[o][d] > 0]
        heapq.heapify(heap.entries)

    def touch(self, o: int, d: int) -> None:
        """Officer o's team on day d changed: give his day-d buckets a fresh entry."""
        heaps = self.of_officer_day.get((o, d))
        if not heaps:
            return
        plan = self.plan
        if plan.rem[o][d] <= 0:
            return  # stale entries are dropped when popped; he comes back with capacity
        used = plan.officer_day_districts.get((o, d))
        breadth = self.breadth[o]
        waste = self.n_quals[o]
        load = plan.load[o]
        push = heapq.heappush
        for heap in heaps:
            spans = bool(used) and heap.district not in used
            push(heap.entries, (spans, breadth, waste if heap.qualification is ANY else 0, load, o))

    def pick(
        self, k: int, district: str | None, qualification: str | None, d: int, need: int, taken: set[int]
    ) -> list[int] | None:
        """The ``need`` most preferred officers of the bucket with capacity left on day d
        and not in ``taken``, or None if there are fewer.  Leaves the plan unchanged."""
        heap = self.heaps.get((k, district, qualification, d)) or self._heap(k, district, qualification, d)
        entries = heap.entries
        if len(entries) > 4 * len(heap.members) + 32:
            self._rebuild(heap)
            entries = heap.entries
        plan = self.plan
        rem = plan.rem
        load = plan.load
        used_on = plan.officer_day_districts.get
        pop = heapq.heappop
        chosen: list[int] = []
        keep: list[tuple] = []
        seen: set[int] = set()
        while len(chosen) < need and entries:
            entry = pop(entries)
            o = entry[4]
            if o in seen or rem[o][d] <= 0:
                continue  # a duplicate, or no capacity (touch brings him back)
            used = used_on((o, d))
            spans = bool(used) and district not in used
            if spans != entry[0] or load[o] > entry[3] + LOAD_SLACK:
                current = (spans, entry[1], entry[2], load[o], o)
                if current > entry:
                    heapq.heappush(entries, current)
                    continue
                entry = current
            seen.add(o)
            keep.append(entry)
            if o not in taken:
                chosen.append(o)
        for entry in keep:
            heapq.heappush(entries, entry)
        if len(chosen) < need:
            return None
        return chosen
