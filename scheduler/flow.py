"""A small max-flow for bipartite transport problems (supplies -> demands).

Used to turn an aggregated capacity plan into explicit group flows, e.g. to give
CP-SAT a complete solution hint.  Sizes are tiny (tens of nodes), so plain
augmenting paths (Edmonds-Karp) are plenty.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

__all__ = ["transport"]


Node = Hashable
Network = tuple[dict[tuple[Node, Node], int], dict[Node, list[Node]]]  # (residual capacity, adjacency)

SOURCE: tuple = ("source",)
SINK: tuple = ("sink",)


def transport(
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
    capacity, adjacent = _network(supply, demand, edges, edge_cap, need)
    flow = 0
    while flow < need:
        parent = _augmenting_path(capacity, adjacent)
        if parent is None:
            return None
        flow += _augment(capacity, parent, need - flow)
    return _edge_flows(capacity, edges)


def _network(
    supply: dict[Hashable, int],
    demand: dict[Hashable, int],
    edges: list[tuple[Hashable, Hashable]],
    edge_cap: dict[tuple[Hashable, Hashable], int] | None,
    need: int,
) -> Network:
    """Residual network: source -> ("s", supply node) -> ("d", demand node) -> sink;
    an edge without ``edge_cap`` may carry everything (``need``)."""
    capacity: dict = {}
    adjacent: dict = {SOURCE: [], SINK: []}

    def arc(a, b, c):
        adjacent.setdefault(a, []).append(b)
        adjacent.setdefault(b, []).append(a)
        capacity[(a, b)] = capacity.get((a, b), 0) + c
        capacity.setdefault((b, a), 0)

    for node, amount in supply.items():
        if amount > 0:
            arc(SOURCE, ("s", node), amount)
    for node, amount in demand.items():
        if amount > 0:
            arc(("d", node), SINK, amount)
    for a, b in edges:
        if supply.get(a, 0) > 0 and demand.get(b, 0) > 0:
            arc(("s", a), ("d", b), need if edge_cap is None else edge_cap.get((a, b), need))
    return capacity, adjacent


def _augmenting_path(capacity: dict, adjacent: dict) -> dict | None:
    """Breadth-first search tree (node -> parent) from the source until it reaches the
    sink through arcs with residual capacity, or None when the sink is out of reach."""
    parent = {SOURCE: None}
    queue = deque([SOURCE])
    while queue and SINK not in parent:
        node = queue.popleft()
        for nxt in adjacent.get(node, ()):
            if nxt not in parent and capacity[(node, nxt)] > 0:
                parent[nxt] = node
                queue.append(nxt)
    if SINK not in parent:
        return None
    return parent


def _augment(capacity: dict, parent: dict, limit: int) -> int:
    """Push the path's bottleneck (at most ``limit``) from the source to the sink
    along ``parent``; returns the amount pushed."""
    push = limit
    node = SINK
    while parent[node] is not None:
        push = min(push, capacity[(parent[node], node)])
        node = parent[node]
    node = SINK
    while parent[node] is not None:
        capacity[(parent[node], node)] -= push
        capacity[(node, parent[node])] += push
        node = parent[node]
    return push


def _edge_flows(capacity: dict, edges: list[tuple[Hashable, Hashable]]) -> dict[tuple[Hashable, Hashable], int]:
    """Flow on each edge that carries some: the residual capacity of its reverse arc."""
    out = {}
    for a, b in edges:
        used = capacity.get((("d", b), ("s", a)), 0)
        if used > 0:
            out[(a, b)] = used
    return out
