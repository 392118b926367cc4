"""Validation rules, one module per kind of problem; :mod:`zenodo.validate` runs them."""
