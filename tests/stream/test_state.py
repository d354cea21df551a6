"""The partition table: buffered writes, the file as a cache of the changelog."""

from types import SimpleNamespace

import orjson

from hub.stream.state import PartitionState, StateFile, changelog_key, digest, split_key


def rec(offset: int, ns: str, key: str, value) -> SimpleNamespace:
    return SimpleNamespace(offset=offset, key=changelog_key(ns, key),
                           value=None if value is None else orjson.dumps(value))


def test_writes_are_pending_until_the_broker_acknowledged_them(tmp_path):
    file = StateFile(tmp_path, "g")
    state = PartitionState(file, 2)
    state.put("n", "a", {"v": 1})
    assert state.get("n", "a") == {"v": 1}           # the batch sees its own writes
    assert file.get(2, "n", "a") is None             # the file does not, yet
    records = state.changelog_records()
    assert records == [(b"n\x1fa", b'{"v":1}')]
    state.applied(7)
    assert file.get(2, "n", "a") == {"v": 1}
    assert file.position(2) == (7, digest(*records[0]))
    state.delete("n", "a")
    assert state.changelog_records() == [(b"n\x1fa", None)]  # a tombstone
    state.applied(8)
    assert file.get(2, "n", "a") is None and file.count() == 0


def test_discard_forgets_a_batch_that_was_not_stored(tmp_path):
    state = PartitionState(StateFile(tmp_path, "g"), 0)
    state.put("n", "a", 1)
    state.discard()
    assert state.get("n", "a") is None and state.changes() == []


def test_replay_rebuilds_the_table_from_changelog_records(tmp_path):
    file = StateFile(tmp_path, "g")
    state = PartitionState(file, 1)
    nxt = state.replay([rec(0, "n", "a", 1), rec(1, "n", "b", 2), rec(2, "n", "a", None)])
    assert nxt == 3
    assert (file.get(1, "n", "a"), file.get(1, "n", "b")) == (None, 2)
    assert file.position(1)[0] == 3
    file.reset(1)
    assert file.position(1) == (0, None) and file.count(1) == 0


def test_entries_age_by_their_own_time(tmp_path):
    file = StateFile(tmp_path, "g")
    state = PartitionState(file, 0)
    state.put("seen", "old", {"t": 100.0})
    state.put("seen", "new", {"t": 10_000.0})
    state.changelog_records()
    state.applied(2)
    assert file.older_than(0, "seen", 5_000.0, 10) == ["old"]


def test_two_processes_on_one_machine_take_two_slots_and_a_restart_its_own(tmp_path):
    first, second = StateFile(tmp_path, "g"), StateFile(tmp_path, "g")
    assert (first.path.name, second.path.name) == ("slot-0.sqlite", "slot-1.sqlite")
    PartitionState(first, 0).replay([rec(0, "n", "k", "kept")])
    first.close()
    again = StateFile(tmp_path, "g")
    assert again.path.name == "slot-0.sqlite" and again.get(0, "n", "k") == "kept"


def test_keys_keep_their_namespace():
    assert split_key(changelog_key("seen", "a\x1fb")) == ("seen", "a\x1fb")
