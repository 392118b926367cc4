"""The endpoints of Zenodo's legacy deposit API (and its public records API), over the hook.

Each method is one request (``new_version`` may read the new draft after it). Writes are sent
once; reads and the metadata PUT are retried by the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from zenodo.errors import ZenodoError

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook

DEPOSITIONS = "api/deposit/depositions"
RECORDS = "api/records"


class DepositApi:
    """Zenodo's deposit API: depositions, their files and actions, and published records.

    :param hook: sends every request (pacing, typed errors, masked token).
    """

    def __init__(self, hook: ZenodoHook) -> None:
        self.hook = hook

    @staticmethod
    def _deposition(deposition_id: int | str, tail: str = "") -> str:
        return f"{DEPOSITIONS}/{int(deposition_id)}{tail}"

    # -- depositions -----------------------------------------------------------------------

    def search_depositions(
        self,
        *,
        q: str | None = None,
        sort: str | None = None,
        page: int = 1,
        size: int = 100,
        all_versions: bool = False,
    ) -> list[dict[str, Any]]:
        """List or search our own depositions (drafts and published).

        There is no state filter: zenodo.org accepts ``status`` and ignores it, so a caller
        tells drafts from records by each hit's ``submitted``.
        """
        params: dict[str, Any] = {"page": page, "size": size}
        for key, value in (("q", q), ("sort", sort)):
            if value:
                params[key] = value
        if all_versions:
            params["all_versions"] = "true"
        return self.hook.read_json(DEPOSITIONS, operation="search", params=params)

    def get_deposition(self, deposition_id: int | str) -> dict[str, Any]:
        """Read one deposition (draft or published)."""
        return self.hook.read_json(self._deposition(deposition_id), operation="get")

    def create_deposition(self, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a draft, with its metadata in the same request. Never retried."""
        body = {"metadata": metadata} if metadata is not None else {}
        return self.hook.write_json("POST", DEPOSITIONS, operation="create", json=body)

    def update_deposition(
        self, deposition_id: int | str, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace a draft's whole metadata (idempotent, so retried on 5xx)."""
        return self.hook.replace_json("PUT", self._deposition(deposition_id),
                                      operation="update", json={"metadata": metadata})

    def delete_deposition(self, deposition_id: int | str) -> None:
        """Delete an unpublished draft."""
        self.hook.write_json("DELETE", self._deposition(deposition_id), operation="delete")

    # -- files (uploads go to the bucket: :meth:`ZenodoHook.upload_file`) ------------------

    def list_files(self, deposition_id: int | str) -> list[dict[str, Any]]:
        """List a deposition's files (``checksum`` is bare hex here)."""
        return self.hook.read_json(self._deposition(deposition_id, "/files"),
                                   operation="list_files")

    def delete_file(self, deposition_id: int | str, file_id: str) -> None:
        """Delete one file of a draft."""
        endpoint = self._deposition(deposition_id, f"/files/{quote(file_id, safe='')}")
        self.hook.write_json("DELETE", endpoint, operation="delete_file")

    # -- actions ---------------------------------------------------------------------------

    def _action(self, deposition_id: int | str, action: str) -> dict[str, Any]:
        endpoint = self._deposition(deposition_id, f"/actions/{action}")
        return self.hook.write_json("POST", endpoint, operation=action)

    def publish(self, deposition_id: int | str) -> dict[str, Any]:
        """Publish a draft. Never retried: on UnknownOutcome, GET the deposition."""
        return self._action(deposition_id, "publish")

    def edit(self, deposition_id: int | str) -> dict[str, Any]:
        """Open a published deposition for a metadata edit (the DOI stays)."""
        return self._action(deposition_id, "edit")

    def discard(self, deposition_id: int | str) -> dict[str, Any] | None:
        """Drop the open edit of a published deposition."""
        return self._action(deposition_id, "discard")

    def new_version(self, deposition_id: int | str) -> dict[str, Any]:
        """Start a new version of a published deposition and return the NEW draft.

        Today's Zenodo answers with the new draft; the documented form answers with the
        original and points at the draft in ``links.latest_draft``: both are handled.
        """
        answer = self._action(deposition_id, "newversion")
        if int(answer.get("id", deposition_id)) != int(deposition_id):
            return answer
        latest = answer.get("links", {}).get("latest_draft")
        if not latest:
            raise ZenodoError("newversion: no new draft in the answer", operation="newversion")
        return self.hook.read_json(latest, operation="get")

    # -- published records -----------------------------------------------------------------

    def get_record(self, record_id: int | str) -> dict[str, Any]:
        """Read one published record (public; Zenodo's legacy record JSON)."""
        return self.hook.read_json(f"{RECORDS}/{quote(str(record_id), safe='')}",
                                   operation="get_record")

    def search_records(
        self,
        *,
        q: str | None = None,
        communities: str | None = None,
        page: int = 1,
        size: int = 100,
        sort: str | None = None,
        all_versions: bool = False,
    ) -> dict[str, Any]:
        """Search published records (its own 30/min limit on Zenodo)."""
        params: dict[str, Any] = {"page": page, "size": size}
        for key, value in (("q", q), ("communities", communities), ("sort", sort)):
            if value:
                params[key] = value
        if all_versions:
            params["all_versions"] = "true"
        return self.hook.read_json(RECORDS, operation="search_records", kind="search",
                                   params=params)
