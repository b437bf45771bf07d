"""Layered layout of a computation graph, in pure Python (no matplotlib, no Graphviz).

The graph of a scalar ``Value`` expression flows left to right: inputs (leaves) on the
left, the output (root) on the right. The layout has three steps, the classic
"Sugiyama" recipe in miniature:

1. **Layers.** An interior node goes one layer to the right of its deepest input
   (longest path from the leaves). A leaf goes just left of its first user, so a bias
   added at the very end sits next to the ``+`` that uses it rather than far left.
2. **Order within a layer.** A few sweeps of the *barycenter heuristic*: each node moves
   toward the average position of its neighbours, which removes most edge crossings.
3. **Coordinates.** ``x`` is the layer number; ``y`` spreads a layer's nodes one unit
   apart, centred on zero.

Only the documented attributes of a node are used: ``_prev`` (its inputs, in order) and,
if present, ``_local_grads``. Nodes are identified by ``id()``, so any micrograd-style
value works.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .scalar.engine import postorder

__all__ = ["Edge", "GraphLayout", "layered_layout"]


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
    """

    nodes: list[Any]
    layer: list[int]
    x: list[float]
    y: list[float]
    edges: list[Edge]
    layers: list[list[int]] = field(default_factory=list)

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
        return max((len(layer) for layer in self.layers), default=0)


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
    n_layers = max(layer) + 1
    layers: list[list[int]] = [[] for _ in range(n_layers)]
    for i in range(len(nodes)):  # topological order is a sensible first guess
        layers[layer[i]].append(i)

    pos = [0.0] * len(nodes)  # position of each node within its layer

    def set_positions() -> None:
        for members in layers:
            for k, i in enumerate(members):
                pos[i] = float(k)

    def reorder(members: list[int], neighbours: list[list[int]]) -> None:
        def key(i: int) -> tuple[float, float]:
            around = neighbours[i]
            if not around:
                return (pos[i], pos[i])
            # centre of a layer-size-normalised position, so layers of different sizes line up
            return (sum(_centred(j) for j in around) / len(around), pos[i])

        members.sort(key=key)
        for k, i in enumerate(members):
            pos[i] = float(k)

    sizes = [len(members) for members in layers]

    def _centred(i: int) -> float:
        return pos[i] - (sizes[layer[i]] - 1) / 2

    set_positions()
    best = [list(members) for members in layers]
    best_score = _score(layers, layer, inputs, pos, sizes)
    for _ in range(sweeps):
        for members in layers[1:]:
            reorder(members, inputs)
        for members in reversed(layers[:-1]):
            reorder(members, users)
        score = _score(layers, layer, inputs, pos, sizes)
        if score < best_score:
            best, best_score = [list(members) for members in layers], score
    layers = best
    set_positions()

    x = [float(layer[i]) for i in range(len(nodes))]
    y = [0.0] * len(nodes)
    for members in layers:
        for k, i in enumerate(members):
            y[i] = (len(members) - 1) / 2 - k  # first member on top
    edges = [
        Edge(index[id(child)], i, slot)
        for i, node in enumerate(nodes)
        for slot, child in enumerate(_children(node))
    ]
    return GraphLayout(nodes=nodes, layer=layer, x=x, y=y, edges=edges, layers=layers)


def _score(layers, layer, inputs, pos, sizes) -> float:
    """Total vertical stretch of the edges: a cheap stand-in for the crossing count."""
    total = 0.0
    for i, around in enumerate(inputs):
        yi = pos[i] - (sizes[layer[i]] - 1) / 2
        for j in around:
            total += abs(yi - (pos[j] - (sizes[layer[j]] - 1) / 2))
    return total
