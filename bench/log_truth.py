"""Hold a client's log against the sandbox: what is online, lost, doubled, orphaned, mis-logged.

The sandbox is the truth (its admin API, as :mod:`bench.census` counts it). A client's log is
what its operator reads: our ledger, or the 2019 uploader's log. It is wrong one way when it
says published and nothing is online for the key, the other way when it says not published
(failed, or still pending) and a record is online. An orphan is a draft on the sandbox whose
deposition id the client never learnt (its create's answer was lost): nobody will finish or
discard it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bench.census import Census, take_census
from tests.zenodo.payload_factory import published_by_key
from zenodo.ledger.ledger import Ledger
from zenodo_sandbox.testing import SandboxAdmin


@dataclass(frozen=True)
class Reckoning:
    """A batch on the sandbox, and how far a client's log is from it.

    :param census: published once, duplicates, lost, drafts left (and ledger mismatches).
    :param orphans: drafts left whose deposition id the client never learnt.
    :param published_not_online: keys the log says published with no published record.
    :param failed_but_online: keys the log says not published with a published record.
    """

    census: Census
    orphans: int
    published_not_online: int
    failed_but_online: int


def reckon(admin: SandboxAdmin, keys: Sequence[str], says_published: Mapping[str, bool],
           drafts_known: Collection[str], ledger: Ledger | None = None) -> Reckoning:
    """Count ``keys`` on the sandbox and hold the log (``says_published``) against them.

    :param says_published: key -> whether the log says it is published (a key missing from
        the log counts as not published).
    :param drafts_known: the deposition ids the client learnt (its creates that answered).
    :param ledger: our ledger, for the census's mismatch count (``None`` for the 2019 log).
    """
    census = take_census(admin, keys, ledger)
    online = {key for key, records in published_by_key(admin.records()).items() if records}
    drafts = admin.depositions(state="unsubmitted")
    logged = {key for key in keys if says_published.get(key, False)}
    return Reckoning(
        census=census,
        orphans=sum(str(draft["id"]) not in drafts_known for draft in drafts),
        published_not_online=len(logged - online),
        failed_but_online=sum(key in online and key not in logged for key in keys),
    )
