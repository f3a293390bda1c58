"""core.collector.paused: no automatic cyclic collection inside the block, and the collector's
state as it was after it (also after an error, and when it was already off)."""

from __future__ import annotations

import gc

import pytest

from hearth.core import collector


def test_the_collector_is_off_inside_the_block_and_on_again_after_it() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error_in_the_block() -> None:
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
