"""The [limits] and [redis] settings: one name end to end, checked once."""

from __future__ import annotations

import pytest

from smsgate.config import load_settings
from smsgate.errors import ConfigError


def test_defaults_are_100_a_second_with_a_burst_and_no_redis() -> None:
    settings = load_settings({})
    assert settings.limits.api_rate == 100
    assert settings.limits.api_burst == 200
    assert settings.limits.strategy == "moving-window"
    assert settings.limits.queue_cap == 100_000
    assert settings.redis.url.get_secret_value() == ""
    assert settings.messages.schedule_min_lead == 300
    assert settings.messages.schedule_max_lead == 35 * 86_400


def test_redis_url_comes_from_smsgate_redis_url_and_stays_out_of_repr() -> None:
    settings = load_settings(
        {"SMSGATE_REDIS_URL": "redis://:hunter2@cache:6379/1", "SMSGATE_LIMITS_API_RATE": "7"}
    )
    assert settings.redis.url.get_secret_value() == "redis://:hunter2@cache:6379/1"
    assert "hunter2" not in repr(settings)
    assert settings.limits.api_rate == 7


@pytest.mark.parametrize(
    ("environ", "mentions"),
    [
        (
            {"SMSGATE_LIMITS_API_RATE": "300"},
            "api_burst (200) must be at least api_rate (300)",
        ),
        ({"SMSGATE_LIMITS_STRATEGY": "token-bucket"}, "SMSGATE_LIMITS_STRATEGY"),
        ({"SMSGATE_LIMITS_QUEUE_CAP": "-1"}, "SMSGATE_LIMITS_QUEUE_CAP"),
        (
            {
                "SMSGATE_MESSAGES_SCHEDULE_MIN_LEAD": "100",
                "SMSGATE_MESSAGES_SCHEDULE_MAX_LEAD": "50",
            },
            "schedule_min_lead (100.0) must be shorter than schedule_max_lead (50.0)",
        ),
    ],
)
def test_settings_that_cannot_work_are_named(environ: dict[str, str], mentions: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    assert mentions in str(caught.value)
