"""The MONGODB setting: Django-style errors that name the key, defaults, env override."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services.integrations.mongodb.settings import parse_settings, redact_url


def test_a_complete_setting_is_parsed_with_client_defaults() -> None:
    config = parse_settings({"URL": "mongodb://db:27017/", "DATABASE": "devices"})

    assert config.database == "devices"
    assert config.client_options["serverSelectionTimeoutMS"] == 2000
    assert config.client_options["tz_aware"] is True
    assert config.status_online_window == 300


def test_client_options_override_defaults_and_library_options_are_kept_apart() -> None:
    config = parse_settings(
        {
            "URL": "mongodb://db/",
            "DATABASE": "d",
            "OPTIONS": {"serverSelectionTimeoutMS": 50, "appname": "x", "STATUS_ONLINE_WINDOW": 60},
        }
    )

    assert config.client_options["serverSelectionTimeoutMS"] == 50
    assert config.client_options["appname"] == "x"
    assert "STATUS_ONLINE_WINDOW" not in config.client_options
    assert config.status_online_window == 60


@pytest.mark.parametrize("url", [None, ""])
def test_a_missing_url_names_the_key_and_the_environment_variable(url: str | None) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MONGODB has no 'URL'.*MONGODB_URL"):
        parse_settings({"URL": url, "DATABASE": "d"})


def test_a_url_of_another_scheme_is_refused_without_showing_the_password() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MONGODB\['URL'\]") as info:
        parse_settings({"URL": "http://u:hunter2@db/", "DATABASE": "d"})
    assert "hunter2" not in str(info.value)


def test_a_missing_database_names_the_key() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MONGODB has no 'DATABASE'; set it"):
        parse_settings({"URL": "mongodb://db/"})


def test_a_misspelt_key_is_refused_rather_than_ignored() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MONGODB has unknown keys \['DATABSE'\]"):
        parse_settings({"URL": "mongodb://db/fleet", "DATABSE": "devices"})


def test_the_database_may_come_from_the_url_path() -> None:
    assert parse_settings({"URL": "mongodb://db:1/fleet?authSource=admin"}).database == "fleet"


@pytest.mark.parametrize("name", ["a.b", "a b", "a$", "a/b", 5])
def test_an_invalid_database_name_is_refused(name: object) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MONGODB\['DATABASE'\]"):
        parse_settings({"URL": "mongodb://db/", "DATABASE": name})


def test_options_must_be_a_dictionary() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MONGODB\['OPTIONS'\] must be a dictionary"):
        parse_settings({"URL": "mongodb://db/", "DATABASE": "d", "OPTIONS": ["x"]})


def test_an_unknown_library_option_is_a_typo_not_ignored() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown option 'STATUS_ONLINE_WINDOWS'"):
        parse_settings(
            {"URL": "mongodb://db/", "DATABASE": "d", "OPTIONS": {"STATUS_ONLINE_WINDOWS": 1}}
        )


@pytest.mark.parametrize(
    ("key", "value"),
    [("STATUS_ONLINE_WINDOW", "300"), ("MAX_DOCUMENT_DEPTH", 0), ("MAX_DOCUMENT_KEYS", True)],
)
def test_a_library_option_of_the_wrong_type_or_range_names_the_option(
    key: str, value: object
) -> None:
    with pytest.raises(ImproperlyConfigured, match=rf"MONGODB\['OPTIONS'\]\['{key}'\]"):
        parse_settings({"URL": "mongodb://db/", "DATABASE": "d", "OPTIONS": {key: value}})


def test_the_environment_url_overrides_the_setting(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MONGODB = {"URL": "mongodb://from-settings/", "DATABASE": "d"}
    monkeypatch.setenv("MONGODB_URL", "mongodb://from-env:27018/")

    assert parse_settings().hosts == "from-env:27018"


def test_the_url_is_redacted_in_repr_and_messages() -> None:
    config = parse_settings({"URL": "mongodb://app:s3cret@db1,db2:27018/d", "DATABASE": "d"})

    assert "s3cret" not in repr(config)
    assert config.redacted_url == "mongodb://app:***@db1,db2:27018/d"
    assert config.hosts == "db1,db2:27018"
    assert redact_url("mongodb://db/") == "mongodb://db/"
