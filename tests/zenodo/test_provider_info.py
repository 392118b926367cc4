"""Airflow discovers the `zenodo` connection type and its form through our provider entry point."""

from __future__ import annotations


def test_airflow_lists_the_zenodo_connection_type_with_its_form() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "specimen-to-zenodo" in manager.providers
    hook = manager.hooks["zenodo"]
    assert hook is not None and hook.hook_class_name == "zenodo.hooks.zenodo.ZenodoHook"
    behaviour = manager.field_behaviours["zenodo"]
    assert {"schema", "port", "login"} <= set(behaviour["hidden_fields"])
    assert behaviour["relabeling"]["password"] == "Access token"
    widgets = manager.connection_form_widgets
    assert {"extra__zenodo__user_agent", "extra__zenodo__rate_limit_profile"} <= set(widgets)
