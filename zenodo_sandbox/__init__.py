"""A local Zenodo-compatible server for offline runs, tests and rehearsals."""
