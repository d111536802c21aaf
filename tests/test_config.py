"""Settings: `SMSGATE_*` environment over a TOML file over defaults, and the sentences a bad
setting gets. The loader takes the environment as a dict, so nothing here touches os.environ."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from smsgate.config import Settings, load_settings
from smsgate.errors import ConfigError


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "smsgate.toml"
    path.write_text(text)
    return path


def test_defaults_without_environment_or_file() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)
    assert settings.database.url == "sqlite:///./smsgate.db"
    assert settings.auth.pepper.get_secret_value() == ""
    assert settings.auth.cache_seconds == 1.0
    assert settings.messages.smart_encoding is True
    assert settings.messages.default_validity_period == 36_000
    assert settings.delivery.enabled is True
    assert settings.webhook.allow_private is False
    assert settings.webhook.retention_days == 30


def test_toml_file_overrides_defaults(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path, "[http]\nport = 9000\n[delivery]\npoll_interval = 0.5\nenabled = false\n"
    )
    settings = load_settings({}, config_file=path)
    assert settings.http.port == 9000
    assert settings.http.host == "127.0.0.1"  # untouched keys keep their default
    assert settings.delivery.poll_interval == 0.5
    assert settings.delivery.enabled is False


def test_environment_overrides_the_toml_file_key_by_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[http]\nhost = "0.0.0.0"\nport = 9000\n')
    settings = load_settings(
        {"SMSGATE_HTTP_PORT": "9100", "SMSGATE_DELIVERY_POLL_INTERVAL": "0.05"}, config_file=path
    )
    assert settings.http.port == 9100
    assert settings.http.host == "0.0.0.0"  # the file's other key in the same section stays
    assert settings.delivery.poll_interval == 0.05


def test_smsgate_config_names_the_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[messages]\nsmart_encoding = false\n")
    settings = load_settings({"SMSGATE_CONFIG": str(path), "SMSGATE_AUTH_CACHE_SECONDS": "0"})
    assert settings.messages.smart_encoding is False
    assert settings.auth.cache_seconds == 0


def test_config_file_argument_wins_over_smsgate_config(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[http]\nport = 9001\n")
    missing = tmp_path / "missing.toml"
    settings = load_settings({"SMSGATE_CONFIG": str(missing)}, config_file=path)
    assert settings.http.port == 9001


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SMSGATE_MESSAGES_SMART_ENCODING", "false", False),
        ("SMSGATE_MESSAGES_SMART_ENCODING", "1", True),
        ("SMSGATE_DATABASE_MAX_BATCH", "16", 16),
        ("SMSGATE_WEBHOOK_ALLOW_PRIVATE", "true", True),
    ],
)
def test_environment_strings_are_converted(name: str, value: str, expected: object) -> None:
    section, key = name.removeprefix("SMSGATE_").lower().split("_", 1)
    settings = load_settings({name: value})
    assert getattr(getattr(settings, section), key) == expected


def test_bad_int_names_setting_variable_and_value() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SMSGATE_HTTP_PORT": "eighty"})
    assert str(caught.value) == (
        "Setting 'http.port' (SMSGATE_HTTP_PORT) has value 'eighty': Input should be a valid "
        "integer, unable to parse string as an integer."
    )


def test_out_of_range_value_says_what_is_valid() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^Setting 'http\.port' \(SMSGATE_HTTP_PORT\) has value "
        r"'70000': Input should be less than or equal to 65535\.$",
    ):
        load_settings({"SMSGATE_HTTP_PORT": "70000"})


def test_webhook_retention_is_days_and_zero_keeps_for_ever() -> None:
    assert load_settings({"SMSGATE_WEBHOOK_RETENTION_DAYS": "0"}).webhook.retention_days == 0
    with pytest.raises(ConfigError, match=r"'webhook\.retention_days' .* has value '-1'"):
        load_settings({"SMSGATE_WEBHOOK_RETENTION_DAYS": "-1"})
    with pytest.raises(ConfigError, match=r"has value '1000000000'.*less than or equal to 36500"):
        load_settings({"SMSGATE_WEBHOOK_RETENTION_DAYS": "1000000000"})


def test_every_bad_setting_is_named_in_one_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SMSGATE_HTTP_PORT": "x", "SMSGATE_DELIVERY_ENABLED": "maybe"})
    assert "'http.port'" in str(caught.value)
    assert "'delivery.enabled' (SMSGATE_DELIVERY_ENABLED) has value 'maybe'" in str(caught.value)


def test_unknown_key_in_toml_is_an_error(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[http]\nprot = 9000\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({}, config_file=path)
    assert str(caught.value) == ("Setting 'http.prot' is unknown; remove it or check the spelling.")


def test_unknown_section_in_toml_is_an_error(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[smtp]\nhost = 'x'\n")
    with pytest.raises(ConfigError, match=r"^Setting 'smtp' is unknown; remove it or check"):
        load_settings({}, config_file=path)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings({"SMSGATE_CONFIG": str(missing)})
    assert str(caught.value) == (
        f"Config file '{missing}' does not exist; give the path of a TOML file "
        "(set SMSGATE_CONFIG to it)."
    )


def test_invalid_toml_is_an_error_naming_file_and_position(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[http\nport = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({}, config_file=path)
    message = str(caught.value)
    assert message.startswith(f"Config file '{path}' is not valid TOML: ")
    assert "line 1" in message
    assert message.endswith(".")


def test_bad_value_in_toml_names_the_setting(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[delivery]\nclaim_batch = "lots"\n')
    expected = r"'delivery\.claim_batch' \(SMSGATE_DELIVERY_CLAIM_BATCH\) has value 'lots'"
    with pytest.raises(ConfigError, match=expected):
        load_settings({}, config_file=path)


def test_environment_names_that_map_to_no_setting_are_ignored() -> None:
    settings = load_settings(
        {
            "SMSGATE_HTTP_PROT": "1",  # a typo of a known section
            "SMSGATE_NOSUCH_THING": "1",  # an unknown section
            "SMSGATE_HTTP": "1",  # a section alone
            "SMSGATE_": "1",
            "SMSGATE_URL": "http://127.0.0.1:1",  # the CLI's own variable
            "HTTP_PORT": "1",  # not ours
            "smsgate_http_port": "1",  # the prefix is case-sensitive
        }
    )
    assert settings == Settings()


def test_pepper_does_not_show_in_repr_or_str(tmp_path: Path) -> None:
    pepper = "correct-horse-battery-staple"
    from_env = load_settings({"SMSGATE_AUTH_PEPPER": pepper})
    from_file = load_settings(
        {}, config_file=write_toml(tmp_path, f'[auth]\npepper = "{pepper}"\n')
    )
    for settings in (from_env, from_file):
        assert settings.auth.pepper.get_secret_value() == pepper
        assert pepper not in repr(settings)
        assert pepper not in str(settings)
        assert pepper not in repr(settings.auth)


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        settings.http.port = 1  # type: ignore[misc]


def test_pacing_defaults_and_overrides() -> None:
    assert load_settings({}).pacing.long_code_mps == 1
    settings = load_settings(
        {"SMSGATE_PACING_LONG_CODE_MPS": "2.5", "SMSGATE_DELIVERY_CONNECTORS_REFRESH": "1"}
    )
    assert settings.pacing.long_code_mps == 2.5
    assert settings.delivery.connectors_refresh == 1
    with pytest.raises(ConfigError, match=r"pacing\.short_code_mps"):
        load_settings({"SMSGATE_PACING_SHORT_CODE_MPS": "0"})


def test_a_file_declaring_connectors_and_routes_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text(
        '[http]\nport = 9000\n\n[[connectors]]\nname = "a"\nhost = "h"\n\n'
        '[[routes]]\nname = "r"\nconnectors = ["a"]\n'
    )
    settings = load_settings({}, path)
    assert settings.http.port == 9000
    assert settings.connectors == ({"name": "a", "host": "h"},)
    assert settings.routes == ({"name": "r", "connectors": ["a"]},)


def test_declared_connector_passwords_stay_out_of_repr(tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text('[[connectors]]\nname = "a"\npassword = "s3cret"\n')
    assert "s3cret" not in repr(load_settings({}, path))
