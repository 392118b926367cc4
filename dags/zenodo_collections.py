"""Publish a collection of digitised specimens to Zenodo, exactly once (one DAG per collection).

Each collection of `include/collections.yaml` gets an Airflow DAG with these tasks:

1. **prepare**: extract the rows changed since the last run (all rows on the first run or a
   backfill), validate and map them; invalid rows are QUARANTINED with reasons in the ledger.
2. **plan**: batches of the specimens the ledger says need work (new, changed, unfinished,
   and failed ones whose retry time has come); only keys travel through XCom.
3. **upload** (one mapped task per batch, pool = the Zenodo connection id): create the
   deposition, upload and check the files, publish. A cleared or retried task redoes only
   what the ledger says is not done.
4. **wait_for_feed**: wait (reschedule mode) until the community's OAI-PMH feed shows the
   run's records, or time out and go on.
5. **reconcile**: make the ledger equal what the feed serves (adopt, verify, re-queue to the
   next run, flag duplicates).
6. **report**: counts per state, failures and quarantined specimens with reasons, DOIs, as
   CSV and JSON under the reports folder (`ZENODO_REPORTS_DIR`), and a table in the log.
7. **check_run**: fails the run if any task failed (the report runs anyway).

Manual runs: see the trigger form (dry run, drafts for review, only some keys, backfill,
reconcile only). Drafts left with *Publish* off are published by the next run with it on.
"""

from __future__ import annotations

from zenodo.config.collection_file import load_collections
from zenodo.dag_factory import build_collection_dag
from zenodo.runtime import collections_file

for _collection_id, _config in load_collections(collections_file()).items():
    globals()[_collection_id] = build_collection_dag(_config, doc_md=__doc__ or "")
