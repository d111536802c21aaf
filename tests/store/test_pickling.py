"""The writer's jobs and results pickle as a class and its fields, and come back equal."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.store.messages import CreateMessage, MessageEvent, MessageRecord
from smsgate.store.pickling import pickled_by_fields
from smsgate.store.queue import ClaimDue, ClaimedMessage, RecordOutcome
from smsgate.store.receipts import ApplyReceipt
from smsgate.store.webhooks import ClaimWebhooks, DueWebhook, RecordWebhookAttempt

CROSSING = [
    MessageEvent,
    MessageRecord,
    CreateMessage,
    ClaimedMessage,
    ClaimDue,
    RecordOutcome,
    ApplyReceipt,
    DueWebhook,
    ClaimWebhooks,
    RecordWebhookAttempt,
]

# A claim's sender_room is a picklable callable in use (the dispatcher's _SenderRoom); any
# callable hypothesis would make up is not.
STRATEGIES = {ClaimDue: st.builds(ClaimDue, sender_room=st.none())}


@pytest.mark.parametrize("cls", CROSSING, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_each_job_and_result_comes_back_equal(cls: type, data: st.DataObject) -> None:
    value = data.draw(STRATEGIES.get(cls, st.from_type(cls)))
    assert value.__reduce__() == (cls, tuple(getattr(value, f.name) for f in fields(cls)))
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(value, protocol=protocol))
        assert copy == value
        assert type(copy) is cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class One:
    only: tuple[int, ...]


def test_a_dataclass_of_one_field_comes_back_equal() -> None:
    assert pickle.loads(pickle.dumps(One((1, 2)))) == One((1, 2))


def test_a_field_init_cannot_take_by_position_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Keyed\.key is not a positional argument"):

        @pickled_by_fields
        @dataclass(frozen=True)
        class Keyed:
            key: int = field(kw_only=True)

    with pytest.raises(TypeError, match=r"Derived\.total is not a positional argument"):

        @pickled_by_fields
        @dataclass(frozen=True)
        class Derived:
            total: int = field(init=False, default=0)
