"""Zenodo's field errors are read in both the current and the older form."""

from __future__ import annotations

from zenodo.errors import ValidationFailed, field_errors_from_body


def test_current_form_with_messages_lists() -> None:
    body = {"errors": [{"field": "metadata.license", "messages": ["Invalid license", "again"]}]}
    assert field_errors_from_body(body) == [
        ("metadata.license", "Invalid license"),
        ("metadata.license", "again"),
    ]


def test_older_form_with_one_message() -> None:
    body = {"errors": [{"field": "metadata.creators.0.name", "message": "Name is required."}]}
    assert field_errors_from_body(body) == [("metadata.creators.0.name", "Name is required.")]


def test_html_gateway_bodies_give_no_field_errors() -> None:
    assert field_errors_from_body("<html>504</html>") == []


def test_validation_error_text_names_the_fields() -> None:
    error = ValidationFailed("publish: HTTP 400", field_errors=[("metadata.title", "required")])
    assert "metadata.title: required" in str(error)
