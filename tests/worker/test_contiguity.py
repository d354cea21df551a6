from hub.worker.contiguity import Contiguity, Verdict

TP = ("hub.intake", 0)


def _started(owed: int, generation: int = 1) -> Contiguity:
    g = Contiguity()
    g.start(TP, generation, owed)
    return g


def test_in_order_records_pass_and_advance():
    g = _started(5)
    assert g.check(TP, 5) is Verdict.NEXT
    g.done(TP, 5)
    assert g.check(TP, 6) is Verdict.NEXT


def test_a_hole_is_reported_with_where_it_starts():
    g = _started(0)
    assert g.check(TP, 13) is Verdict.GAP
    assert g.expected[TP] == 0
    for offset in range(13):  # the agent routes the hole...
        g.done(TP, offset)
    g.done(TP, 13)  # ...then the record that revealed it
    assert g.check(TP, 14) is Verdict.NEXT


def test_refetched_records_are_seen():
    g = _started(0)
    for offset in (0, 1):
        assert g.check(TP, offset) is Verdict.NEXT
        g.done(TP, offset)
    assert g.check(TP, 0) is Verdict.SEEN


def test_a_new_generation_must_be_started_again():
    g = _started(0, generation=1)
    g.done(TP, 0)
    assert g.knows(TP, 1)
    assert not g.knows(TP, 2)  # reassigned: the commit, not memory, says where to resume
    g.start(TP, 2, 7)
    assert g.check(TP, 7) is Verdict.NEXT


def test_a_hole_at_the_head_of_a_partition_is_a_gap():
    """Resuming at the log start (no commit, or faust's None for a commit of
    0), the first record handed over past the start reveals a hole."""
    assert _started(0).check(TP, 42) is Verdict.GAP
