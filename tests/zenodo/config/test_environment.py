"""Numeric settings from the environment or a run's params."""

from __future__ import annotations

import pytest

from zenodo.config.environment import env_number


def test_a_set_variable_is_read_as_a_number() -> None:
    assert env_number("N", 5.0, {"N": "2.5"}) == 2.5
    assert env_number("N", None, {"N": 3}) == 3.0


@pytest.mark.parametrize("env", [{}, {"N": ""}, {"N": None}])
def test_an_unset_or_empty_variable_gives_the_default(env: dict[str, object]) -> None:
    assert env_number("N", 7.0, env) == 7.0
    assert env_number("N", None, env) is None


def test_an_invalid_value_names_the_variable_and_the_value() -> None:
    with pytest.raises(ValueError, match=r"^environment variable ZENODO_X: not a number: 'ten'$"):
        env_number("ZENODO_X", 1.0, {"ZENODO_X": "ten"})
    with pytest.raises(ValueError, match=r"^param limit: not a number: 'all'$"):
        env_number("limit", None, {"limit": "all"}, kind="param")


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENODO_TEST_NUMBER", "42")
    assert env_number("ZENODO_TEST_NUMBER", 0.0) == 42.0


def test_every_caller_names_the_bad_setting() -> None:
    from zenodo.dag_factory import DagSettings
    from zenodo.operators.params import RunParams
    from zenodo.traffic.breaker import breaker_from_env

    with pytest.raises(ValueError, match="ZENODO_TASK_RETRIES: not a number: 'two'"):
        DagSettings.from_env({"ZENODO_TASK_RETRIES": "two"})
    assert DagSettings.from_env({"ZENODO_FEED_GRACE": "0"}).feed_grace == 0.0
    with pytest.raises(ValueError, match="ZENODO_OUTAGE_LIMIT: not a number: '1h'"):
        breaker_from_env("sqlite://", "zenodo_default", {"ZENODO_OUTAGE_LIMIT": "1h"})
    with pytest.raises(ValueError, match="param batch_size: not a number: 'many'"):
        RunParams.from_params({"batch_size": "many"})
    assert RunParams.from_params({"limit": "5", "concurrency": ""}).limit == 5
