"""Nothing in a graph figure hides anything else.

For the graphs the notebooks step through, and for random expression graphs, the
rendered GraphStepper figure (every edge labelled, at the last step) must have:

(a) no edge passing through a box other than its own two endpoints' boxes,
(b) no two edge labels overlapping,
(c) no edge label overlapping a box.

Everything is measured in pixels from the artists matplotlib draws (text extents from
the renderer), so the test sees what the reader sees.
"""
from __future__ import annotations

import pytest
from graph_figures import NOTEBOOK_GRAPHS, RANDOM_GRAPHS

from backprop_lib.graph_layout import edge_route, layered_layout, node_rect, place_labels
from backprop_lib.widgets import GraphStepper

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1
#: Least space between two labels, in pixels.
LABEL_GAP = 3.0


def _shrink(r: Rect, d: float) -> Rect:
    return (r[0] + d, r[1] + d, r[2] - d, r[3] - d)


def rects_overlap(a: Rect, b: Rect, gap: float = 0.0) -> bool:
    """Whether ``a`` and ``b`` come closer than ``gap`` to each other (overlap if 0)."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def segment_hits_rect(p: tuple[float, float], q: tuple[float, float], r: Rect) -> bool:
    """Whether the segment p-q meets the open rectangle ``r`` (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, x0 - r[0]), (dx, r[2] - x0), (-dy, y0 - r[1]), (dy, r[3] - y0)):
        if pk == 0:
            if qk <= 0:
                return False
        else:
            t = qk / pk
            if pk < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    return t0 < t1


def figure_geometry(view: GraphStepper):
    """Boxes, edge polylines and visible label rectangles of a drawn view, in pixels."""
    view.png()  # draw, so that every artist has its final extent
    painter, fig = view._painter, view._fig
    renderer = fig.canvas.get_renderer()
    boxes = [tuple(b.get_window_extent(renderer).extents) for b in painter.boxes]
    paths = []
    for arrow in painter.arrows:
        # the arrow's outline, head included, in data coordinates: to pixels
        path = arrow.get_transform().transform_path(arrow.get_path())
        polys = path.to_polygons(closed_only=False)
        paths.append([[tuple(pt) for pt in poly] for poly in polys])
    labels = [(k, tuple(t.get_window_extent(renderer).extents))
              for k, t in enumerate(painter.edge_labels) if t.get_visible() and t.get_text()]
    return boxes, paths, labels


def overlaps(view: GraphStepper) -> list[str]:
    """Every overlap in the figure, in words."""
    boxes, paths, labels = figure_geometry(view)
    edges, names = view.model.layout.edges, view.model.names
    found = []
    for k, e in enumerate(edges):
        for i, box in enumerate(boxes):
            if i in (e.child, e.parent):
                continue
            inner = _shrink(box, 1.0)  # a 1-pixel graze of a box border is not "under the box"
            if any(segment_hits_rect(p, q, inner)
                   for poly in paths[k] for p, q in zip(poly, poly[1:])):
                found.append(f"edge {names[e.child]}->{names[e.parent]} passes under box {names[i]}")
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            (ka, ra), (kb, rb) = labels[a], labels[b]
            if rects_overlap(ra, rb, gap=LABEL_GAP):  # "-2×1" touching "1×2" reads "-2×11×2"
                found.append(f"labels {view._painter.edge_labels[ka].get_text()!r} and "
                             f"{view._painter.edge_labels[kb].get_text()!r} overlap")
    for k, r in labels:
        for i, box in enumerate(boxes):
            if rects_overlap(r, box):
                found.append(f"label {view._painter.edge_labels[k].get_text()!r} overlaps box {names[i]}")
    return found


def finished_view(build) -> GraphStepper:
    view = GraphStepper(build(), interval=0.0)
    view.set_state({"position": view.model.n_steps})
    return view


@pytest.mark.parametrize("name", list(NOTEBOOK_GRAPHS))
def test_notebook_graphs_have_no_overlaps(name):
    view = finished_view(NOTEBOOK_GRAPHS[name])
    problems = overlaps(view)
    if not view._painter.all_edge_labels:
        problems.append("not every edge label is shown")
    assert problems == []


@pytest.mark.parametrize("name", list(RANDOM_GRAPHS))
def test_random_graphs_have_no_overlaps(name):
    assert overlaps(finished_view(RANDOM_GRAPHS[name])) == []


def test_the_checks_catch_overlaps():
    """The geometric predicates themselves: a hit, a miss, a graze."""
    box = (0.0, 0.0, 10.0, 10.0)
    assert segment_hits_rect((-5, 5), (15, 5), box)
    assert segment_hits_rect((-5, -5), (15, 15), box)
    assert not segment_hits_rect((-5, 11), (15, 11), box)
    assert not segment_hits_rect((-5, 0), (15, 0), box)  # along the border: open rectangle
    assert not segment_hits_rect((11, -5), (20, 20), box)
    assert rects_overlap(box, (9, 9, 12, 12))
    assert not rects_overlap(box, (10, 0, 12, 10))
    assert rects_overlap(box, (11, 0, 12, 10), gap=3)


@pytest.mark.parametrize("name", [*NOTEBOOK_GRAPHS, *RANDOM_GRAPHS])
def test_layout_routes_and_labels_avoid_boxes(name):
    """The same three rules in layout coordinates, from the pure-Python layout alone."""
    build = {**NOTEBOOK_GRAPHS, **RANDOM_GRAPHS}[name]
    layout = layered_layout(build())
    box_w, box_h, size = 0.6, 0.84, (0.3, 0.12)
    boxes = [node_rect(layout, i, box_w, box_h) for i in range(len(layout.nodes))]
    centres = place_labels(layout, box_w, box_h, [size] * len(layout.edges))
    labels = [(cx - size[0] / 2, cy - size[1] / 2, cx + size[0] / 2, cy + size[1] / 2) for cx, cy in centres]
    eps = 1e-9
    for k, e in enumerate(layout.edges):
        route = edge_route(layout, k, box_w, box_h)
        for i, box in enumerate(boxes):
            if i not in (e.child, e.parent):
                assert not any(segment_hits_rect(p, q, _shrink(box, eps)) for p, q in zip(route, route[1:])), (k, i)
        for j in range(k):
            assert not rects_overlap(labels[k], labels[j], gap=0.01), (k, j)
        assert not any(rects_overlap(labels[k], box) for box in boxes), k
