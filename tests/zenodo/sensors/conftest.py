"""Fixtures of the sensor tests (shared with the operator tests)."""

from tests.zenodo.airflow_helpers import prepared

__all__ = ["prepared"]
