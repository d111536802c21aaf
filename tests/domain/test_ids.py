"""Ids: prefix and 32 hex digits, unique, later ones sorting later, fresh after a fork."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.ids import made_before, new_message_id, new_webhook_delivery_id


def test_an_id_is_its_prefix_and_32_hex_digits() -> None:
    assert re.fullmatch(r"SM[0-9a-f]{32}", new_message_id())
    assert re.fullmatch(r"WH[0-9a-f]{32}", new_webhook_delivery_id())


def test_ids_are_unique_within_a_millisecond() -> None:
    ids = [new_message_id() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)


def test_an_id_made_in_a_later_millisecond_sorts_after() -> None:
    first = new_message_id()
    deadline = time.monotonic() + 1
    while (later := new_message_id())[2:14] == first[2:14] and time.monotonic() < deadline:
        pass
    assert later > first
    made_at = int(first[2:14], 16) / 1000
    assert abs(made_at - time.time()) < 5


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its next id and leave at once
        os.write(writer, new_message_id()[14:].encode())
        os._exit(0)
    os.close(writer)
    ours = new_message_id()[14:]
    os.waitpid(pid, 0)
    with os.fdopen(reader) as pipe:
        theirs = pipe.read()
    assert theirs != ours


@given(
    made=st.integers(min_value=0, max_value=2**47),
    bound=st.integers(min_value=0, max_value=2**47),
    rest=st.integers(min_value=0, max_value=2**80 - 1),
)
def test_made_before_is_a_bound_exactly_for_the_ids_of_earlier_milliseconds(
    made: int, bound: int, rest: int
) -> None:
    an_id = f"WH{made:012x}{rest:020x}"
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=bound)
    assert (an_id < made_before("WH", moment)) == (made < bound)


def test_made_before_bounds_the_ids_made_now() -> None:
    before = made_before("WH", datetime.now(UTC))
    made = new_webhook_delivery_id()
    after = made_before("WH", datetime.now(UTC) + timedelta(milliseconds=1))
    assert before <= made
    assert made < after
