"""aiogram's Telegram types, built when first used rather than all at import.

`aiogram.types` ends by calling `model_rebuild()` on each of its ~450 pydantic models, which builds
every validator at import: ~3.5 s and ~100 MB on this project's machine (aiogram issues #1513,
#1876), though a bot validates a few dozen of them. The models already declare `defer_build=True`;
only that loop defeats it. `defer()` (run before aiogram is first imported) keeps the loop from
building: the namespace it passes is kept, and a model's first validation (pydantic's deferred
build) rebuilds it with that namespace. Validation and serialisation are pydantic's, unchanged.
"""

from __future__ import annotations

import sys
import typing
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

_namespace: dict[str, Any] = {}  # aiogram.types' names, as its loop passes them
_declared = BaseModel.__dict__["model_rebuild"]  # the classmethod itself, put back after the import
_original = _declared.__func__


def _aiogram_model(cls: type) -> bool:
    return cls.__module__.startswith("aiogram.")


def _deferring(cls, *, force=False, raise_errors=True, _parent_namespace_depth=2, _types_namespace=None):
    """BaseModel.model_rebuild while aiogram is imported: its eager loop only records the namespace."""
    if _types_namespace is not None and not force and _aiogram_model(cls) and not cls.__pydantic_complete__:
        _namespace.update(_types_namespace)
        return None
    return _original(
        cls,
        force=force,
        raise_errors=raise_errors,
        _parent_namespace_depth=_parent_namespace_depth + 1,  # this frame is one more
        _types_namespace=_types_namespace,
    )


def _with_namespace(cls, *, force=False, raise_errors=True, _parent_namespace_depth=2, _types_namespace=None):
    """The rebuild of an aiogram model (first use): resolved against aiogram.types' names."""
    return _original(
        cls,
        force=force,
        raise_errors=raise_errors,
        _parent_namespace_depth=0,
        _types_namespace={**_namespace, **(_types_namespace or {})},
    )


def defer() -> bool:
    """Import aiogram with its models' builds deferred; False (nothing changed) if it already was.

    Also, during the import, typing compiles each distinct annotation once: aiogram's modules use
    `from __future__ import annotations`, so pydantic evaluates every field's annotation string
    through a `typing.ForwardRef`, which compiles it: ~4,100 compiles of ~700 distinct strings
    ('Bot | None' 632 times), ~0.1 s of CPU. A code object is immutable, so one serves them all."""
    if "aiogram" in sys.modules:
        return False
    BaseModel.model_rebuild = classmethod(_deferring)  # type: ignore[method-assign,assignment]
    typing.compile = lru_cache(maxsize=None)(compile)  # type: ignore[attr-defined] - typing's global
    try:
        import aiogram  # noqa: F401 - the import whose loop is deferred
    finally:
        BaseModel.model_rebuild = _declared  # type: ignore[method-assign]
        del typing.compile  # type: ignore[attr-defined] - the builtin again
    if not _namespace:  # aiogram changed its loop: nothing was deferred, nothing to resolve
        return False
    # aiogram's model roots (the context controller under every type and method, Request, Response
    # whose Response[list[Update]] parses getUpdates): each subclass's rebuild gets the namespace.
    for root in BaseModel.__subclasses__():
        if _aiogram_model(root):
            root.model_rebuild = classmethod(_with_namespace)  # type: ignore[method-assign,assignment]
    _pin_responses()
    return True


_pinned: dict[Any, type] = {}  # (Response, result type) -> Response[result type], kept for good
_class_getitem = BaseModel.__dict__["__class_getitem__"].__func__  # pydantic's (an implicit classmethod)


def _pinning(cls, params):
    key = (cls, params)
    try:
        return _pinned[key]
    except KeyError:
        got = _pinned[key] = _class_getitem(cls, params)
        return got
    except TypeError:  # unhashable parameters: as pydantic does
        return _class_getitem(cls, params)


def _pin_responses() -> None:
    """aiogram parses every Bot API answer as `Response[<the method's result type>]`, a pydantic generic
    parametrised at each call. pydantic keeps parametrisations in a weak cache, so once the cyclic GC
    has freed one (it is only held by cycles), the next answer creates the class again, and its first
    validation builds its validator again: with the types built when first used, that is the result
    type's whole schema (a sendMessage answer: ~2-5 ms of CPU, bench/bench_e2e.py). The few result
    types a bot meets are kept here instead."""
    from aiogram.methods.base import Response

    Response.__class_getitem__ = classmethod(_pinning)  # type: ignore[method-assign,assignment]


# Built first by `run` (`build_first`): the types under everything it parses and sends. pydantic
# reuses a complete model's schema where another refers to it, but generates an incomplete one's
# again inside each model that refers to it: left to first use, Message's tree (~150 types) is
# generated three times for a first reply (getUpdates' Response[list[Update]], Update's own
# serialiser, sendMessage's Response[Message]), ~0.3 s of CPU; built first, once (~0.15 s).
FIRST = ("Message", "Update")


def build_first(names: tuple[str, ...] = FIRST) -> None:
    """Build these aiogram.types now, in this order (each reuses the schemas of those before it)."""
    import aiogram.types

    for name in names:
        model = getattr(aiogram.types, name)
        if not model.__pydantic_complete__:
            model.model_rebuild()


def pending() -> list[str]:
    """The aiogram.types models not built yet (for tests and benches)."""
    import aiogram.types

    return [
        name
        for name in aiogram.types.__all__
        if isinstance(m := getattr(aiogram.types, name), type)
        and issubclass(m, BaseModel)
        and not m.__pydantic_complete__
    ]
