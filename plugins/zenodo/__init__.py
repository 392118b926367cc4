"""specimen-to-Zenodo: publish digitised natural-history specimens to Zenodo, exactly once.

The path of one specimen, one module each: ``extract`` → ``validate`` → ``mapping`` →
``ledger`` → ``upload`` → ``harvest`` → ``reconcile`` → ``report``. Those modules are plain
Python; ``hooks/``, ``operators/`` and ``sensors/`` are the thin Airflow shell around them.
"""
