"""Airflow operators for the collection DAGs: thin shells around the domain functions."""
