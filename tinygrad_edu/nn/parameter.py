"""``Parameter``: a Value that a Module owns and an optimizer updates.

As in PyTorch, assigning a Parameter to a Module attribute registers it
(``self.weight = Parameter(...)``); assigning a plain Value does not, so a
constant such as a mask never ends up in ``parameters()`` by accident.
"""

from __future__ import annotations

from typing import Any

from ..value import Value


class Parameter(Value):
    """A leaf Value that requires grad by default, registered by Modules.

    Operations on a Parameter give ordinary Values, as in PyTorch.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
