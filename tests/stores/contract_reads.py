"""Contract tests for the reads projections make in the database: grouped counts over a
range of the log, state fields at positions, streams' versions as of a position."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from vote_domain.codec import mapper, state_field, topic
from vote_domain.stores import EventGroup, EventStore, Grouping


class Thing(Aggregate):
    """An aggregate of the tests' own, so the store is seen to know nothing of votes."""

    class Noted(Aggregate.Event):
        group_id: UUID
        label: str
        size: int
        note: str | None

    def noted(self, group_id: UUID, label: str, size: int = 0, note: str | None = None) -> None:
        self.trigger_event(self.Noted, group_id=group_id, label=label, size=size, note=note)


GROUP, LABEL, SIZE, NOTE = (
    state_field(Thing.Noted, n) for n in ("group_id", "label", "size", "note")
)
WHEN = state_field(Thing.Noted, "timestamp")
NOTED, CREATED = topic(Thing.Noted), topic(Thing.Created)


async def save(store: EventStore, *things: Thing) -> list[int]:
    stored = [mapper().to_stored_event(e) for t in things for e in t.collect_events()]
    return list(await store.insert_events(stored) or [])


def as_set(groups: list[EventGroup]) -> set[tuple[str, tuple[Any, ...], int, int]]:
    return {(g.topic, g.key, g.count, g.last_position) for g in groups}


class ReadsContract:
    async def test_count_events_groups_a_range_by_topic_and_fields(self, store: EventStore) -> None:
        g1, g2 = uuid4(), uuid4()
        a, b = Thing(), Thing()
        a.noted(g1, "e")
        a.noted(g1, "é")
        b.noted(g1, "e")
        b.noted(g2, "E")
        c_a, a_e, a_accent = await save(store, a)
        c_b, b_e, b_upper = await save(store, b)
        by_group_and_label = Grouping(NOTED, (GROUP, LABEL))
        creations = Grouping(CREATED, ())
        groups = await store.count_events(0, b_upper, [by_group_and_label, creations])
        assert as_set(groups) == {
            (NOTED, (g1, "e"), 2, b_e),
            (NOTED, (g1, "é"), 1, a_accent),
            (NOTED, (g2, "E"), 1, b_upper),
            (CREATED, (), 2, c_b),
        }
        # A range is (after, upto]; fields a grouping leaves out are merged.
        groups = await store.count_events(a_accent, b_upper, [Grouping(NOTED, (GROUP,))])
        assert as_set(groups) == {(NOTED, (g1,), 1, b_e), (NOTED, (g2,), 1, b_upper)}
        assert await store.count_events(c_a, a_e, [creations]) == []
        assert await store.count_events(b_upper, b_upper, [by_group_and_label]) == []
        assert await store.count_events(0, b_upper, []) == []
        unknown = Grouping("no.such:Topic", (LABEL,))
        assert await store.count_events(0, b_upper, [unknown]) == []

    async def test_count_events_per_window_of_positions(self, store: EventStore) -> None:
        g = uuid4()
        a = Thing()
        for _ in range(5):
            a.noted(g, "x")
        created, *noted = await save(store, a)  # positions p .. p+5
        by_group = [Grouping(NOTED, (GROUP,))]
        groups = await store.count_events(created - 1, noted[-1], by_group, window=2)
        expected: dict[int, tuple[int, int]] = {}
        for position in noted:
            end = -(-position // 2) * 2
            count, _ = expected.get(end, (0, 0))
            expected[end] = (count + 1, position)
        assert {(x.window, x.key, x.count, x.last_position) for x in groups} == {
            (end, (g,), count, last) for end, (count, last) in expected.items()
        }
        # Without windows, one group (window 0), as before.
        (whole,) = await store.count_events(created - 1, noted[-1], by_group)
        assert (whole.window, whole.count, whole.last_position) == (0, 5, noted[-1])
        with pytest.raises(ValueError, match="window"):
            await store.count_events(0, 10, by_group, window=-1)

    async def test_count_events_reads_integers_and_tells_null_from_text(
        self, store: EventStore
    ) -> None:
        thing = Thing()
        thing.noted(uuid4(), "x", 7, None)
        thing.noted(uuid4(), "x", 7, "null")
        thing.noted(uuid4(), "x", 8)
        positions = await save(store, thing)
        groups = await store.count_events(0, positions[-1], [Grouping(NOTED, (SIZE, NOTE))])
        assert as_set(groups) == {
            (NOTED, (7, None), 1, positions[1]),
            (NOTED, (7, "null"), 1, positions[2]),
            (NOTED, (8, None), 1, positions[3]),
        }

    async def test_only_scalar_fields_are_read_in_the_database(self, store: EventStore) -> None:
        listed = Grouping(NOTED, (state_field(_Listed, "items"),))
        with pytest.raises(ValueError, match="scalar"):
            await store.count_events(0, 10, [listed])

    async def test_field_values_at_positions(self, store: EventStore) -> None:
        g = uuid4()
        thing = Thing()
        thing.noted(g, "one", 1)
        thing.noted(g, "two", 2)
        created, one, two = await save(store, thing)
        values = await store.field_values([two, one, two + 100], [LABEL, GROUP, WHEN])
        assert set(values) == {one, two}
        assert values[one][:2] == ("one", g) and values[two][:2] == ("two", g)
        assert values[one][2] <= values[two][2] and values[one][2].tzinfo is not None
        assert await store.field_values([], [LABEL]) == {}
        assert created not in values

    async def test_max_versions_as_of_a_position(self, store: EventStore) -> None:
        a, b, never = Thing(), Thing(), uuid4()
        a.noted(uuid4(), "x")
        (a1, a2) = await save(store, a)
        (b1,) = await save(store, b)
        a.noted(uuid4(), "y")
        (a3,) = await save(store, a)
        ids = [a.id, b.id, never]
        assert await store.max_versions(ids, upto=a3) == {a.id: 3, b.id: 1}
        assert await store.max_versions(ids, upto=b1) == {a.id: 2, b.id: 1}
        assert await store.max_versions(ids, upto=a1) == {a.id: 1}
        assert await store.max_versions([], upto=a3) == {}
        assert await store.max_versions([str(a.id)], upto=a2) == {str(a.id): 2}
        async with store.transaction() as tx:
            assert await tx.max_versions(ids, upto=b1) == {a.id: 2, b.id: 1}

    async def test_a_transaction_reads_the_log_with_its_own_events(self, store: EventStore) -> None:
        thing = Thing()
        (committed,) = await save(store, thing)
        other = Thing()
        stored = [mapper().to_stored_event(e) for e in other.collect_events()]
        async with store.transaction() as tx:
            (own,) = await tx.insert_events(stored)
            page = await tx.select_notifications(None, 10)
            assert [(n.id, n.originator_id) for n in page] == [
                (committed, thing.id),
                (own, other.id),
            ]
            after = await tx.select_notifications(
                committed, 10, topics=[CREATED], inclusive_of_start=False
            )
            assert [n.id for n in after] == [own]
            assert await tx.select_notifications(own, 10, inclusive_of_start=False) == []


class _Listed(Aggregate.Event):
    items: list[str]


class Member(Aggregate):
    """An aggregate whose events name a group in the field ballot events name their poll in
    (``poll_id``): the store files them under that group."""

    class Joined(Aggregate.Event):
        poll_id: UUID

    def join(self, group: UUID) -> None:
        self.trigger_event(self.Joined, poll_id=group)


class GroupReadsContract:
    async def test_select_group_reads_a_group_s_own_and_member_events_in_order(
        self, store: EventStore
    ) -> None:
        owner, other = Thing(), Thing()
        (owner_created,) = await save(store, owner)
        (other_created,) = await save(store, other)
        first, second, stranger = Member(), Member(), Member()
        first.join(owner.id)
        second.join(owner.id)
        stranger.join(other.id)
        p_first = await save(store, first)
        p_stranger = await save(store, stranger)
        p_second = await save(store, second)
        page = await store.select_group(owner.id, None, 100)
        assert [n.id for n in page] == [owner_created, p_first[1], p_second[1]]
        assert [n.originator_id for n in page] == [owner.id, first.id, second.id]
        assert [n.topic for n in page] == [CREATED, *[topic(Member.Joined)] * 2]
        # By string id too, with the position window and limit of select_notifications.
        assert [n.id for n in await store.select_group(str(owner.id), p_first[1], 1)] == [
            p_first[1]
        ]
        assert [
            n.id
            for n in await store.select_group(
                owner.id, p_first[1], 10, p_second[1], inclusive_of_start=False
            )
        ] == [p_second[1]]
        assert [n.id for n in await store.select_group(other.id, 0, 10)] == [
            other_created,
            p_stranger[1],
        ]
        # A member's creation names no group: it is in its own stream's.
        assert [n.id for n in await store.select_group(stranger.id, 0, 10)] == [p_stranger[0]]
        assert await store.select_group(uuid4(), None, 10) == []

    async def test_select_group_of_an_event_without_json_state_is_its_stream(
        self, store: EventStore
    ) -> None:
        (position,) = await store.insert_events([StoredEvent("plain-id", 1, "t", b"not json")])
        assert [n.id for n in await store.select_group("plain-id", None, 10)] == [position]

    async def test_topic_filtered_reads_merge_topics_in_position_order(
        self, store: EventStore
    ) -> None:
        a, b = Thing(), Member()
        b.join(uuid4())
        positions = [*await save(store, a), *await save(store, b)]
        a.noted(uuid4(), "x")
        positions += await save(store, a)
        joined = topic(Member.Joined)
        page = await store.select_notifications(0, 10, topics=[NOTED, joined])
        assert [n.id for n in page] == [positions[2], positions[3]]
        page = await store.select_notifications(0, 1, topics=[NOTED, joined, joined])
        assert [n.id for n in page] == [positions[2]]
        page = await store.select_notifications(
            positions[2], 5, positions[3], topics=[NOTED, joined], inclusive_of_start=False
        )
        assert [n.id for n in page] == [positions[3]]
