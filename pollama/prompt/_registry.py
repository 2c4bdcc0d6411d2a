"""A name -> factory table filled by the modules of one package as they are imported (renderers, parsers)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Factories by name. The package's public modules are imported on first lookup, so each registers
    its names at import without the package listing them."""

    def __init__(self, package: str, path: list[str]) -> None:
        self._package = package
        self._path = path
        self._factories: dict[str, Callable[[], T]] = {}
        self._loaded = False

    def register(self, name: str, factory: Callable[[], T]) -> None:
        self._factories[name] = factory

    def _load_all(self) -> None:
        if not self._loaded:
            self._loaded = True
            for mod in pkgutil.iter_modules(self._path):
                if not mod.name.startswith("_"):
                    importlib.import_module(f"{self._package}.{mod.name}")

    def build(self, name: str) -> T | None:
        """A new instance for `name`; None when no module registered it."""
        self._load_all()
        factory = self._factories.get(name)
        return factory() if factory else None

    def names(self) -> list[str]:
        self._load_all()
        return sorted(self._factories)
