import gc

from apps.common.gc_pause import gc_paused


def test_the_collector_is_off_inside_and_on_again_after_even_when_pauses_nest_or_fail():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause did not turn it on under the outer one
    assert gc.isenabled()

    try:
        with gc_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_pause_leaves_the_collector_off_when_it_was_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
