"""The order in which a store applies its own and its callers' migrations."""

from __future__ import annotations

from collections.abc import Sequence

from vote_domain.stores.base import Migration

__all__ = ["in_order"]


def in_order(own: Sequence[Migration], given: Sequence[Migration]) -> list[Migration]:
    """The store's own migrations, then ``given``: components in order of first appearance,
    each component's versions ascending, duplicates of one (component, version) dropped."""
    components: dict[str, dict[int, Migration]] = {}
    for m in (*own, *given):
        components.setdefault(m.component, {}).setdefault(m.version, m)
    return [m for versions in components.values() for _, m in sorted(versions.items())]
