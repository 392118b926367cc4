"""Airflow sensors for the collection DAGs."""
