"""Which records are ours: made with this connection's token, not another account's.

Anyone can publish a record carrying our specimen's key into the community; only our own
records may be adopted. The deposit API lists only the token's own depositions (and answers
403 or 404 for another's), and ``GET /api/user/records`` searches only the user's records, so
our records of a specimen are what those return.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from zenodo.errors import AuthFailed, NotFound
from zenodo.metadata.identity import DEPOSIT, RDM, search_query_for
from zenodo.repository.deposit_api import DepositApi
from zenodo.repository.rdm_api import RdmApi
from zenodo.repository.remote import text_id

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook


class OwnRecords:
    """Tell which of a specimen's records are ours.

    :param hook: the connection whose token's records count as ours.
    """

    def __init__(self, hook: ZenodoHook) -> None:
        self.hook = hook
        self.protocol = hook.options.protocol

    def among(self, key: str, record_ids: Collection[str]) -> set[str]:
        """Return those of ``record_ids`` that are our records (looked up by ``key``).

        One search of our records for the key; on the deposit API, an id the search does not
        list (its index lags) is read by id: only our own depositions answer.

        :raises zenodo.errors.ZenodoError: a lookup failed (ownership is then unknown).
        """
        wanted = {str(r) for r in record_ids}
        if not wanted:
            return set()
        if self.protocol == RDM:
            return wanted & self._rdm_ids(key)
        ours = wanted & self._deposit_ids(key)
        return ours | {r for r in wanted - ours if self._deposition_is_ours(r)}

    def _rdm_ids(self, key: str) -> set[str]:
        data = RdmApi(self.hook).search_user_records(search_query_for(RDM, key), size=100)
        hits = (data.get("hits") or {}).get("hits") or []
        return {str(hit["id"]) for hit in hits if hit.get("id") is not None}

    def _deposit_ids(self, key: str) -> set[str]:
        hits = DepositApi(self.hook).search_depositions(
            q=search_query_for(DEPOSIT, key), size=100, all_versions=True)
        return {i for hit in hits for i in (text_id(hit.get("record_id")), text_id(hit.get("id")))
                if i}

    def _deposition_is_ours(self, record_id: str) -> bool:
        if not record_id.isdigit():
            return False
        try:
            DepositApi(self.hook).get_deposition(record_id)
        except NotFound:
            return False
        except AuthFailed as exc:
            if exc.status == 403:  # another account's deposition
                return False
            raise
        return True
