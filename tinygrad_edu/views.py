"""Values that share numbers: views, ``detach()``, and the version count they share.

``w[0:2]``, ``w[0]``, ``w[...]``, ``w.reshape(3)`` (where no copy is needed), ``w.T``,
``w.transpose(...)`` and ``w.permute(...)`` return *views*, as in PyTorch: Values whose ``data``
is a numpy view of ``w.data``, the same numbers, not a copy. ``w.detach()`` shares them too. So a
change in place through any of them changes them all, and a graph that saved ``w`` must notice a
change made through ``w[0:2]`` or ``w.detach()``: they share one version count (PyTorch's
``_version``), which every change in place raises and ``autograd.check_versions`` compares.

How: such a Value is a ``value.View``, a Value with two more slots. ``_owner`` is the Value whose
array its data views or is (a view of a view, or of a detached Value, has their owner: the first
Value); ``_base`` is, for a view, the Value it is a view of (not itself a view), as PyTorch's
``tensor._base``, and None for a detached Value, which is no view. A View's ``_version`` is its
owner's, read and written through. A plain Value has ``_owner`` and ``_base`` None (class
attributes), so sharing costs the millions of Values of a big graph nothing.

Views and detached Values differ in what PyTorch lets them do (in_place.py): a view of a leaf
that requires grad may not be changed in place outside ``no_grad``, a detached one may. And a
view's numbers are its base's: ``x[...] = v`` in a graph, written into a view or into a Value that
has views, gives the base and every view of it alive new history (value._record_assignment). For
that, a view remembers how it was taken, ``_view_ops`` (the view operations from its base, None
for one taken inside ``no_grad``), so that ``positions`` can say where each of its numbers sits in
its base's; and each owner's views are registered here (``register``), by weak reference, so that
the ``W.T`` of every forward does not live as long as ``W``.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np

from . import ops

SWEEP_EVERY = 1024  # the fewest registrations between two sweeps of the references to dead views

_views: dict = {}  # id(owner) -> weak references to its views (an owner outlives its views: they hold it)
_registered = 0  # registrations since the last sweep
_unregistered: set = set()  # ids of leaves whose views may not all be registered (``unregistered``)
_next_sweep = SWEEP_EVERY  # a sweep walks every reference: after as many new ones as it kept, so each costs O(1)


def is_view_of(array: np.ndarray, other: np.ndarray) -> bool:
    """Whether numpy array ``array`` is a view of ``other``'s memory: both come from one array (an
    empty view too, which numpy's may_share_memory would not count)."""
    return _root(array) is _root(other)


def _root(array: np.ndarray):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def register(view, owner) -> None:
    """Remember ``view`` among ``owner``'s views, for ``live_views``."""
    global _registered, _next_sweep
    _views.setdefault(id(owner), []).append(weakref.ref(view))
    _registered += 1
    if _registered >= _next_sweep:
        for key, refs in list(_views.items()):
            alive = [ref for ref in refs if ref() is not None]
            if alive:
                _views[key] = alive
            else:
                del _views[key]
        _registered, _next_sweep = 0, max(SWEEP_EVERY, sum(map(len, _views.values())))


def unregistered(leaf) -> None:
    """``leaf`` stops requiring grad: it may have views that were not registered.

    speed: ``value._view`` does not register a transpose (every Linear's ``W.T``) of a leaf
    that requires grad, since no ``x[index] = v`` recorded in a graph can reach such a leaf
    (in_place.py) and ``live_views`` is never asked for them. Once the leaf stops requiring
    grad, the first ``live_views`` of it finds them among the objects that refer to it, which
    the garbage collector knows: one walk of them all, only if it comes to that. See
    benchmarks/README.md."""
    _unregistered.add(id(leaf))


def live_views(value) -> list:
    """The views of ``value`` still alive, each once. (An id can be reused only after its owner is
    gone, and with it every view of it, whose references are then dead.)"""
    if id(value) in _unregistered:
        _unregistered.discard(id(value))
        for referrer in gc.get_referrers(value):
            if getattr(referrer, "_base", None) is value and hasattr(referrer, "_view_ops"):  # a View of it
                register(referrer, referrer._owner)
    owner = value if value._owner is None else value._owner
    views = {id(view): view for view in (ref() for ref in _views.get(id(owner), ()))
             if view is not None and view._base is value}
    return list(views.values())


def positions(view, index=...) -> tuple:
    """Where ``view[index]``'s numbers sit in the view's base, as an index into the base:
    ``view[index]`` reads ``base[positions(view, index)]``. The view's operations, applied to the
    base's flat positions 0, 1, 2, … instead of its numbers, say where each number came from."""
    base = view._base
    flat = np.arange(base.data.size).reshape(base.shape)
    for op in view._view_ops:
        flat = op.forward(flat)
    flat = ops.Index(index).forward(flat)
    return np.unravel_index(flat, base.shape) if base.ndim else (...,)
