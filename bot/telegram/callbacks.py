"""aiogram filters over the shared payload definitions (dialogs.callbacks).

Why a Filter and not aiogram's CallbackData: the definitions must live outside bot/ (dialogs/ builds
applicant buttons, dialogs/notices staff buttons, and neither may import aiogram), and the wire format
is that of buttons already sent — an optional trailing field (`k|claim|7` and `k|tf|7|phone`) and a
step name as prefix (`id_type|id_card`), neither of which CallbackData.unpack accepts. The filter
hands the parsed value to the handler as `callback_data`, as aiogram's CallbackData filter does.
"""

from __future__ import annotations

from typing import Any, Literal

from aiogram.filters import Filter
from aiogram.types import CallbackQuery
from magic_filter import MagicFilter

from dialogs.callbacks import SEP, Payload, Unknown, parse


class Cb(Filter):
    """`@router.callback_query(Cb(CaseCb, F.action == "claim"))`: the payload parses as one of `kinds`
    and passes `rule` (a magic filter on the parsed value, as with aiogram's `CallbackData.filter`)."""

    def __init__(self, *kinds: type[Payload], rule: MagicFilter | None = None, stale: bool = False) -> None:
        self.kinds = kinds
        self.rule = rule
        self.prefixes = {k.prefix for k in kinds}
        self.stale = stale  # also match a malformed payload of these kinds (as Unknown)

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        value = parse(query.data)
        if isinstance(value, self.kinds) and (self.rule is None or self.rule.resolve(value)):
            return {"callback_data": value}
        if self.stale and isinstance(value, Unknown) and value.kind in self.prefixes:
            return {"callback_data": value}
        return False


class Stale(Cb):
    """A malformed payload of these kinds (a button from an older version): answer, never ignore."""

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery):
            return False
        value = parse(query.data)
        return {"callback_data": value} if isinstance(value, Unknown) and value.kind in self.prefixes else False


class Prefixed(Filter):
    """A router's root filter: the payload's prefix names one of `kinds`, well formed or not. Every
    `Cb(...)`/`Stale(...)` of these kinds needs that, so a press of any other button (the applicant's)
    skips the router's handlers without parsing its payload once per handler."""

    def __init__(self, *kinds: type[Payload]) -> None:
        self.prefixes = frozenset(k.prefix for k in kinds)

    async def __call__(self, query: CallbackQuery) -> bool:
        return isinstance(query, CallbackQuery) and bool(query.data) and query.data.partition(SEP)[0] in self.prefixes
