from hub.worker.stall import StallWatch

TP = ("hub.intake", 1)


def test_a_partition_owing_records_is_stalled_once_it_has_not_moved_for_the_window():
    w = StallWatch(after_s=10)
    assert not w.stalled(TP, owed=3, end=9, now=100.0)  # first sight starts the clock
    assert not w.stalled(TP, 3, 9, now=109.9)
    assert w.stalled(TP, 3, 9, now=110.0)
    assert w.stalled(TP, 3, 12, now=111.0)  # more arriving does not reset it


def test_progress_restarts_the_clock():
    w = StallWatch(after_s=10)
    w.stalled(TP, 3, 9, now=100.0)
    assert not w.stalled(TP, 4, 9, now=115.0)  # moved: slow, not stalled
    assert not w.stalled(TP, 4, 9, now=124.0)
    assert w.stalled(TP, 4, 9, now=125.0)


def test_a_partition_owing_nothing_is_never_stalled_and_forgets_its_clock():
    w = StallWatch(after_s=10)
    w.stalled(TP, 3, 9, now=100.0)
    assert not w.stalled(TP, 9, 9, now=200.0)
    assert not w.stalled(TP, 9, 12, now=201.0)  # owing again: a fresh clock
    assert not w.stalled(TP, 9, 12, now=210.0)
    assert w.stalled(TP, 9, 12, now=211.0)


def test_partitions_are_watched_apart():
    w = StallWatch(after_s=10)
    other = ("hub.intake", 2)
    w.stalled(TP, 0, 5, now=0.0)
    w.stalled(other, 0, 5, now=8.0)
    assert w.stalled(TP, 0, 5, now=10.0)
    assert not w.stalled(other, 0, 5, now=10.0)


def test_a_partition_given_back_later_starts_a_fresh_clock():
    w = StallWatch(after_s=10)
    w.stalled(TP, 0, 5, now=0.0)
    w.retain(set())  # reassigned elsewhere
    assert not w.stalled(TP, 0, 5, now=60.0)  # back: not stalled for the time it was away
    w.retain({TP})
    assert w.stalled(TP, 0, 5, now=70.0)
