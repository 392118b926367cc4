"""The benchmark suite of specimen-to-Zenodo: ``python -m bench`` prints one table."""
