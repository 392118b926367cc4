"""Validation rules, one module per kind of problem; :mod:`zenodo.validate.validator` runs them."""
