"""P7: pilot 2 of 2019 (Meise's 281,372 herbarium sheets) at full size through the real DAG.

``python -m bench --only pilot2 [--specimens N]``; how to run it and what it prints is in
``docs/bench-pilot2.md``. :mod:`bench.pilot2.runner` runs it: :mod:`~bench.pilot2.collection`
makes the collection, :mod:`~bench.pilot2.faults` the 2019 error mix,
:mod:`~bench.pilot2.services` the databases and the Celery deployment,
:mod:`~bench.pilot2.measure` reads what the run did, :mod:`~bench.pilot2.rows` and
:mod:`~bench.pilot2.table4` lay it out.
"""
