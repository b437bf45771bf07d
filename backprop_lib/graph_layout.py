"""Layered layout of a computation graph, in pure Python (no matplotlib, no Graphviz).

The graph of a scalar ``Value`` expression flows left to right: inputs (leaves) on the
left, the output (root) on the right. The layout has three steps, the classic
"Sugiyama" recipe in miniature:

1. **Layers.** An interior node goes one layer to the right of its deepest input
   (longest path from the leaves). A leaf goes just left of its first user, so a bias
   added at the very end sits next to the ``+`` that uses it rather than far left.
   An edge spanning several layers gets a *dummy* point in each layer it crosses, a
   slot of its own in that layer, so it is routed between the boxes, never under one.
2. **Order within a layer.** A few sweeps of the *barycenter heuristic*: each node moves
   toward the average position of its neighbours, which removes most edge crossings;
   then neighbours in a layer swap places while that removes more.
3. **Coordinates.** ``x`` is the layer number; ``y`` spreads a layer's nodes one unit
   apart (dummy slots included), centred on zero.

:func:`edge_route` turns an edge into a polyline that stays in the gaps between box
columns and in its own dummy slots; :func:`place_labels` puts a label on each edge so
that no two labels overlap and none covers a box.

Only the documented attributes of a node are used: ``_prev`` (its inputs, in order) and,
if present, ``_local_grads``. Nodes are identified by ``id()``, so any micrograd-style
value works.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .scalar.engine import postorder

__all__ = ["Edge", "GraphLayout", "edge_route", "layered_layout", "place_labels"]

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Edge:
    """An edge ``child -> parent`` (forward direction), as indices into ``GraphLayout.nodes``.

    ``slot`` is the position of the child in ``parent._prev``; a node used twice by the
    same parent (``a * a``) gives two edges with slots 0 and 1.
    """

    child: int
    parent: int
    slot: int


@dataclass
class GraphLayout:
    """Positions of every node of a graph, plus its edges.

    Attributes:
        nodes: the nodes, children before parents (a topological order).
        layer: layer number of each node (0 = leftmost).
        x, y: coordinates of each node (``x == layer``; ``y`` centred on 0, spacing 1).
        edges: every edge child -> parent.
        layers: node indices in each layer, top to bottom.
        bends: for each edge, its dummy points ``(x, y)`` from child to parent, one in
            every layer strictly between its ends (empty for an edge to the next layer).
        n_rows: the most slots (boxes and dummy points) in one layer.
    """

    nodes: list[Any]
    layer: list[int]
    x: list[float]
    y: list[float]
    edges: list[Edge]
    layers: list[list[int]] = field(default_factory=list)
    bends: list[list[Point]] = field(default_factory=list)
    n_rows: int = 0

    def index(self, node: Any) -> int:
        """Index of ``node`` in :attr:`nodes`."""
        return self._index[id(node)]

    def __post_init__(self) -> None:
        self._index = {id(node): i for i, node in enumerate(self.nodes)}

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def max_layer_size(self) -> int:
        return max(self.n_rows, max((len(layer) for layer in self.layers), default=0))


def _children(node: Any) -> Sequence[Any]:
    prev = getattr(node, "_prev", ())
    if isinstance(prev, (set, frozenset)):  # micrograd uses a set: fix an order
        prev = sorted(prev, key=id)
    return tuple(prev)


def _assign_layers(nodes: list[Any], index: dict[int, int]) -> list[int]:
    layer = [0] * len(nodes)
    for i, node in enumerate(nodes):  # children come first, so their layers are final
        kids = _children(node)
        if kids:
            layer[i] = 1 + max(layer[index[id(c)]] for c in kids)
    # leaves: just left of their earliest user
    first_use: dict[int, int] = {}
    for i, node in enumerate(nodes):
        for child in _children(node):
            j = index[id(child)]
            first_use[j] = min(first_use.get(j, layer[i]), layer[i])
    for j, node in enumerate(nodes):
        if not _children(node) and j in first_use:
            layer[j] = first_use[j] - 1
    return layer


def _neighbours(nodes: list[Any], index: dict[int, int]) -> tuple[list[list[int]], list[list[int]]]:
    inputs: list[list[int]] = [[] for _ in nodes]
    users: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for child in _children(node):
            j = index[id(child)]
            inputs[i].append(j)
            users[j].append(i)
    return inputs, users


def layered_layout(root: Any, *, sweeps: int = 8) -> GraphLayout:
    """Compute a left-to-right layered layout of the graph ending at ``root``.

    Args:
        root: the output node (a ``Value``).
        sweeps: rounds of barycenter reordering (each is one pass right, one pass left).
    """
    nodes = postorder(root, _children)                # children before parents
    index = {id(node): i for i, node in enumerate(nodes)}
    layer = _assign_layers(nodes, index)
    inputs, users = _neighbours(nodes, index)
    edges = [
        Edge(index[id(child)], i, slot)
        for i, node in enumerate(nodes)
        for slot, child in enumerate(_children(node))
    ]
    # dummy points: an edge spanning layers l0 < l1 gets one in each layer l0+1 .. l1-1;
    # they are items n, n+1, ... ordered together with the real nodes
    n = len(nodes)
    item_layer = list(layer)
    chains: list[list[int]] = []
    for e in edges:
        chain = []
        for lay in range(layer[e.child] + 1, layer[e.parent]):
            chain.append(len(item_layer))
            item_layer.append(lay)
        chains.append(chain)
    item_inputs: list[list[int]] = [[] for _ in item_layer]
    item_users: list[list[int]] = [[] for _ in item_layer]
    for e, chain in zip(edges, chains):
        path = [e.child, *chain, e.parent]
        for lo, hi in zip(path, path[1:]):
            item_inputs[hi].append(lo)
            item_users[lo].append(hi)
    del inputs, users
    n_layers = max(layer) + 1
    slots: list[list[int]] = [[] for _ in range(n_layers)]
    for i in range(len(item_layer)):  # topological order (dummies after) is a first guess
        slots[item_layer[i]].append(i)

    pos = [0.0] * len(item_layer)  # position of each item within its layer
    sizes = [len(members) for members in slots]

    def centred(i: int) -> float:
        return pos[i] - (sizes[item_layer[i]] - 1) / 2

    def set_positions() -> None:
        for members in slots:
            for k, i in enumerate(members):
                pos[i] = float(k)

    def reorder(members: list[int], neighbours: list[list[int]]) -> None:
        def key(i: int) -> tuple[float, float]:
            around = neighbours[i]
            if not around:
                return (centred(i), pos[i])
            # mean of layer-size-normalised positions, so layers of different sizes line up
            return (sum(centred(j) for j in around) / len(around), pos[i])

        members.sort(key=key)
        for k, i in enumerate(members):
            pos[i] = float(k)

    def improve(start: list[list[int]]) -> tuple[tuple[int, float], list[list[int]]]:
        """Barycenter sweeps from ``start``, then swaps of neighbours within a layer while
        that removes crossings ("transpose"); the best order seen and its score."""
        nonlocal slots
        slots = [list(members) for members in start]
        set_positions()
        best = [list(members) for members in slots]
        best_score = _score(item_inputs, item_layer, pos, centred)
        for _ in range(sweeps):
            for members in slots[1:]:
                reorder(members, item_inputs)
            for members in reversed(slots[:-1]):
                reorder(members, item_users)
            score = _score(item_inputs, item_layer, pos, centred)
            if score < best_score:
                best, best_score = [list(members) for members in slots], score
        slots = best
        set_positions()
        improved = True
        while improved:
            improved = False
            for members in slots:
                for k in range(len(members) - 1):
                    members[k], members[k + 1] = members[k + 1], members[k]
                    set_positions()
                    score = _score(item_inputs, item_layer, pos, centred)
                    if score < best_score:
                        best_score, improved = score, True
                    else:
                        members[k], members[k + 1] = members[k + 1], members[k]
                        set_positions()
        return best_score, slots

    slots = improve(slots)[1]
    set_positions()

    item_y = [0.0] * len(item_layer)
    for members in slots:
        for k, i in enumerate(members):
            item_y[i] = (len(members) - 1) / 2 - k  # first member on top
    x = [float(layer[i]) for i in range(n)]
    y = item_y[:n]
    bends = [[(float(item_layer[d]), item_y[d]) for d in chain] for chain in chains]
    layers = [[i for i in members if i < n] for members in slots]
    return GraphLayout(nodes=nodes, layer=layer, x=x, y=y, edges=edges, layers=layers,
                       bends=bends, n_rows=max(sizes, default=0))


def _score(inputs: list[list[int]], item_layer: list[int], pos: list[float],
           centred) -> tuple[int, float]:
    """Number of edge crossings, then the total vertical stretch of the edges (which
    breaks ties toward straighter edges). Every edge joins neighbouring layers (the
    dummies see to that), so two edges cross when their ends come in opposite orders."""
    by_layer: dict[int, list[tuple[float, float]]] = {}
    for i, around in enumerate(inputs):
        for j in around:
            by_layer.setdefault(item_layer[i], []).append((pos[j], pos[i]))
    crossings = sum(
        1
        for edges in by_layer.values()
        for a in range(len(edges))
        for b in range(a + 1, len(edges))
        if (edges[a][0] - edges[b][0]) * (edges[a][1] - edges[b][1]) < 0
    )
    stretch = sum(abs(centred(i) - centred(j)) for i, around in enumerate(inputs) for j in around)
    return crossings, stretch


def edge_route(layout: GraphLayout, k: int, box_w: float, box_h: float) -> list[Point]:
    """The polyline of edge ``k``, from the right side of the child's box to the left side
    of the parent's box (boxes are ``box_w`` by ``box_h`` around each node's ``(x, y)``).

    Inside a column of boxes the line only runs horizontally through one of its own dummy
    slots; it changes height only in the gaps between columns. Two edges joining the same
    pair of nodes (``a * a``) leave and arrive at different heights.
    """
    e = layout.edges[k]
    twins = [j for j, f in enumerate(layout.edges) if (f.child, f.parent) == (e.child, e.parent)]
    off = (twins.index(k) - (len(twins) - 1) / 2) * 0.3 * box_h
    points = [(layout.x[e.child] + box_w / 2, layout.y[e.child] + off)]
    for bx, by in layout.bends[k]:
        points += [(bx - box_w / 2, by), (bx + box_w / 2, by)]
    points.append((layout.x[e.parent] - box_w / 2, layout.y[e.parent] + off))
    return points


def node_rect(layout: GraphLayout, i: int, box_w: float, box_h: float) -> Rect:
    """The box of node ``i``."""
    x, y = layout.x[i], layout.y[i]
    return (x - box_w / 2, y - box_h / 2, x + box_w / 2, y + box_h / 2)


def _overlap(a: Rect, b: Rect) -> float:
    """Area shared by two rectangles (0 when they only touch)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(layout: GraphLayout, box_w: float, box_h: float,
                 sizes: Sequence[Point]) -> list[Point]:
    """Centres for the edge labels, of ``sizes[k] = (width, height)``, one per edge.

    Each label sits on a gap segment of its edge (the one nearest the child, where the
    gradient arrives, first), at the first of a few positions along it, or just above or
    below it, where it overlaps neither a box nor a label placed before. Labels are placed
    top to bottom within each gap. If nothing is free, the least-covered spot is used.
    """
    boxes = [node_rect(layout, i, box_w, box_h) for i in range(len(layout.nodes))]
    routes = [edge_route(layout, k, box_w, box_h) for k in range(len(layout.edges))]
    # the gap segments of each edge: its first and every other segment after it
    segments = [list(zip(r[0::2], r[1::2])) for r in routes]
    order = sorted(range(len(layout.edges)),
                   key=lambda k: (segments[k][0][0][0], -segments[k][0][0][1], -segments[k][0][1][1]))
    placed: list[Rect] = []
    centres: list[Point] = [(0.0, 0.0)] * len(layout.edges)
    for k in order:
        w, h = sizes[k]
        best: tuple[float, Point, Rect] | None = None
        for (x0, y0), (x1, y1) in segments[k]:
            span = max(x1 - x0 - w, 0.0)
            for t in (0.5, 0.3, 0.7, 0.1, 0.9):
                cx = x0 + w / 2 + t * span if x1 - x0 >= w else (x0 + x1) / 2
                cy = y0 + (y1 - y0) * (cx - x0) / (x1 - x0) if x1 != x0 else y0
                for dy in (0.0, 0.6, -0.6, 1.2, -1.2):
                    c = (cx, cy + dy * h)
                    rect = (c[0] - w / 2, c[1] - h / 2, c[0] + w / 2, c[1] + h / 2)
                    cost = sum(_overlap(rect, b) for b in boxes) + sum(_overlap(rect, p) for p in placed)
                    if best is None or cost < best[0]:
                        best = (cost, c, rect)
                    if cost == 0:
                        break
                if best is not None and best[0] == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        centres[k] = best[1]
        placed.append(best[2])
    return centres
