"""Fixtures of the operator tests (shared with the sensor tests)."""

from tests.zenodo.airflow_helpers import prepared

__all__ = ["prepared"]
