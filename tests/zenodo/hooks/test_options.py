"""Connection extras become ZenodoOptions; our keys never leak out as HTTP headers."""

from __future__ import annotations

import pytest

from zenodo.hooks.options import RATE_LIMIT_PROFILES, ZenodoOptions, parse_limits


def test_defaults_use_zenodos_authenticated_limits() -> None:
    options = ZenodoOptions.from_extra({})
    assert options.limits == RATE_LIMIT_PROFILES["zenodo"]
    assert options.protocol == "deposit"
    assert options.user_agent.startswith("specimen-to-zenodo/")


def test_ui_prefixed_keys_are_read_like_plain_ones() -> None:
    options = ZenodoOptions.from_extra(
        {"extra__zenodo__user_agent": "herbarium/1.0", "read_timeout": "7"}
    )
    assert options.user_agent == "herbarium/1.0"
    assert options.read_timeout == 7.0


def test_a_custom_rate_profile_is_parsed() -> None:
    options = ZenodoOptions.from_extra({"rate_limit_profile": "600/min, 30000/h"})
    assert options.limits is not None
    assert options.limits["api"] == [(600, 60.0), (30000, 3600.0)]


def test_bad_rate_text_names_the_part() -> None:
    with pytest.raises(ValueError, match="'ten per minute'"):
        parse_limits("ten per minute")


def test_tls_verification_cannot_be_switched_off() -> None:
    with pytest.raises(ValueError, match="TLS verification"):
        ZenodoOptions.from_extra({"verify": False})


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="protocol"):
        ZenodoOptions.from_extra({"protocol": "ftp"})
