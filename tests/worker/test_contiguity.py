from hub.worker.contiguity import Contiguity, Verdict

TP = ("hub.intake", 0)


def test_in_order_records_pass_and_advance():
    g = Contiguity()
    assert g.check(TP, 5, generation=1, committed=5) is Verdict.NEXT
    g.done(TP, 5)
    assert g.check(TP, 6, 1, 5) is Verdict.NEXT


def test_a_hole_is_reported_with_where_it_starts():
    g = Contiguity()
    assert g.check(TP, 13, 1, committed=0) is Verdict.GAP
    assert g.expected[TP] == 0
    for offset in range(13):  # the agent routes the hole...
        g.done(TP, offset)
    g.done(TP, 13)  # ...then the record that revealed it
    assert g.check(TP, 14, 1, 0) is Verdict.NEXT


def test_refetched_records_are_seen_and_reassignment_restarts_from_the_commit():
    g = Contiguity()
    g.check(TP, 0, 1, 0)
    g.done(TP, 0)
    g.check(TP, 1, 1, 0)
    g.done(TP, 1)
    assert g.check(TP, 0, 1, 0) is Verdict.SEEN
    assert g.check(TP, 1, 2, committed=1) is Verdict.NEXT  # new generation


def test_unknown_commit_accepts_the_first_record():
    assert Contiguity().check(TP, 42, 1, committed=None) is Verdict.NEXT
