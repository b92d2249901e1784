"""``Sequential``: modules applied one after another."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .module import Module


class Sequential(Module):
    """``Sequential(m0, m1, m2)(x) = m2(m1(m0(x)))``; the modules are named "0", "1", "2",
    so their parameters are ``0.weight``, ``0.bias``, … as in PyTorch."""

    def __init__(self, *modules: Module):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {index} is a {type(module).__name__}, not a Module")
            setattr(self, str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        """``model[0]`` is the first module; ``model[1:]`` a new Sequential of the rest that keeps
        their names ("1", "2", …), as in PyTorch."""
        items = list(self._modules.items())
        if isinstance(index, slice):
            part = Sequential()
            for name, module in items[index]:
                setattr(part, name, module)
            return part
        try:
            return items[index][1]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for {len(items)} modules") from None
