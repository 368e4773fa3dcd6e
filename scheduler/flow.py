"""A small max-flow for bipartite transport problems (supplies -> demands).

Used to turn an aggregated capacity plan into explicit group flows, e.g. to give
CP-SAT a complete solution hint.  Sizes are tiny (tens of nodes), so plain
augmenting paths (Edmonds-Karp) are plenty.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

__all__ = ["transport"]


def transport(  # noqa: C901 - to split
    supply: dict[Hashable, int],
    demand: dict[Hashable, int],
    edges: list[tuple[Hashable, Hashable]],
    edge_cap: dict[tuple[Hashable, Hashable], int] | None = None,
) -> dict[tuple[Hashable, Hashable], int] | None:
    """Flows on ``edges`` (supply node, demand node) meeting every demand without
    exceeding any supply (nor ``edge_cap`` of an edge), or None if there are none."""
    need = sum(v for v in demand.values() if v > 0)
    if need == 0:
        return {}
    source, sink = ("source",), ("sink",)
    capacity: dict = {}
    adjacent: dict = {source: [], sink: []}

    def arc(a, b, c):
        adjacent.setdefault(a, []).append(b)
        adjacent.setdefault(b, []).append(a)
        capacity[(a, b)] = capacity.get((a, b), 0) + c
        capacity.setdefault((b, a), 0)

    for node, amount in supply.items():
        if amount > 0:
            arc(source, ("s", node), amount)
    for node, amount in demand.items():
        if amount > 0:
            arc(("d", node), sink, amount)
    for a, b in edges:
        if supply.get(a, 0) > 0 and demand.get(b, 0) > 0:
            arc(("s", a), ("d", b), need if edge_cap is None else edge_cap.get((a, b), need))
    flow = 0
    while flow < need:
        parent = {source: None}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt in adjacent.get(node, ()):
                if nxt not in parent and capacity[(node, nxt)] > 0:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return None
        push = need - flow
        node = sink
        while parent[node] is not None:
            push = min(push, capacity[(parent[node], node)])
            node = parent[node]
        node = sink
        while parent[node] is not None:
            capacity[(parent[node], node)] -= push
            capacity[(node, parent[node])] += push
            node = parent[node]
        flow += push
    out = {}
    for a, b in edges:
        used = capacity.get((("d", b), ("s", a)), 0)
        if used > 0:
            out[(a, b)] = used
    return out
