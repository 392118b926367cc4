"""The endpoints of the InvenioRDM records API (Zenodo's native API), over the hook.

Each method is one request. Writes are sent once; reads and the PUTs that replace (draft
body, review, file content) are retried by the hook. Ids are text (``"abcde-12345"``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook

RECORDS = "api/records"
#: Asks a records endpoint for the InvenioRDM JSON (Zenodo answers its legacy JSON otherwise).
RDM_JSON = {"Accept": "application/vnd.inveniordm.v1+json"}


def _part(value: str) -> str:
    return quote(str(value), safe="")


class RdmApi:
    """The InvenioRDM records API: drafts, their files, reviews, records and communities.

    :param hook: sends every request (pacing, typed errors, masked token).
    """

    def __init__(self, hook: ZenodoHook) -> None:
        self.hook = hook

    @staticmethod
    def _draft(draft_id: str, tail: str = "") -> str:
        return f"{RECORDS}/{_part(draft_id)}/draft{tail}"

    def _file(self, draft_id: str, name: str, tail: str = "") -> str:
        return self._draft(draft_id, f"/files/{_part(name)}{tail}")

    # -- drafts ----------------------------------------------------------------------------

    def create_draft(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a new draft holding the record body. Never retried."""
        return self.hook.write_json("POST", RECORDS, operation="create", json=body)

    def get_draft(self, draft_id: str) -> dict[str, Any]:
        """Read a record's open draft (404 when it has none)."""
        return self.hook.read_json(self._draft(draft_id), operation="get")

    def update_draft(self, draft_id: str, body: dict[str, Any]) -> None:
        """Replace the draft's body (idempotent, so retried)."""
        self.hook.replace_json("PUT", self._draft(draft_id), operation="update", json=body)

    def delete_draft(self, draft_id: str) -> None:
        """Delete the draft (a never-published record disappears)."""
        self.hook.write_json("DELETE", self._draft(draft_id), operation="delete")

    def edit_record(self, record_id: str) -> dict[str, Any]:
        """Open an edit draft of a published record (same id, same DOI)."""
        return self.hook.write_json("POST", self._draft(record_id), operation="edit")

    def new_version(self, record_id: str) -> dict[str, Any]:
        """Start a new-version draft of a published record (same parent, no files)."""
        return self.hook.write_json("POST", f"{RECORDS}/{_part(record_id)}/versions",
                                    operation="newversion")

    def publish_draft(self, draft_id: str) -> dict[str, Any]:
        """Publish the draft. Never retried."""
        return self.hook.write_json("POST", self._draft(draft_id, "/actions/publish"),
                                    operation="publish")

    # -- draft files -----------------------------------------------------------------------

    def list_draft_files(self, draft_id: str) -> dict[str, Any]:
        """The draft's file listing (``entries``)."""
        return self.hook.read_json(self._draft(draft_id, "/files"), operation="list_files")

    def declare_file(self, draft_id: str, name: str) -> None:
        """Declare a file key on the draft (refused when it exists already)."""
        self.hook.write_json("POST", self._draft(draft_id, "/files"),
                             operation="file_declare", json=[{"key": name}])

    def put_file_content(
        self, draft_id: str, name: str, path: str | os.PathLike[str] | BinaryIO, *,
        md5: str | None,
    ) -> str:
        """Stream a declared file's bytes once (a PUT that replaces); return our md5.

        :param path: a path, or a file already open (sent from its start, left open).
        """
        _answer, local_md5 = self.hook.stream_file(
            self._file(draft_id, name, "/content"), path, operation="file_content", md5=md5)
        return local_md5

    def commit_file(self, draft_id: str, name: str) -> dict[str, Any]:
        """Commit the uploaded content; the answer is the file entry. Never retried."""
        return self.hook.write_json("POST", self._file(draft_id, name, "/commit"),
                                    operation="file_commit")

    def get_file(self, draft_id: str, name: str) -> dict[str, Any]:
        """Read one file entry of the draft (its ``status`` and ``checksum``)."""
        return self.hook.read_json(self._file(draft_id, name), operation="get_file")

    def delete_file(self, draft_id: str, name: str) -> None:
        """Delete one file of the draft by its key."""
        self.hook.write_json("DELETE", self._file(draft_id, name), operation="delete_file")

    # -- community review ------------------------------------------------------------------

    def set_review(self, draft_id: str, community_id: str) -> None:
        """Make the draft's review a submission to the community (by id; retried)."""
        review = {"receiver": {"community": community_id}, "type": "community-submission"}
        self.hook.replace_json("PUT", self._draft(draft_id, "/review"), operation="review",
                               json=review)

    def get_review(self, draft_id: str) -> dict[str, Any] | None:
        """The draft's review request."""
        return self.hook.read_json(self._draft(draft_id, "/review"), operation="review")

    def submit_review(self, draft_id: str, message: str) -> dict[str, Any] | None:
        """Submit the review request (the answer is the request). Never retried."""
        return self.hook.write_json(
            "POST", self._draft(draft_id, "/actions/submit-review"), operation="publish",
            json={"payload": {"content": message, "format": "html"}})

    def accept_request(self, accept_link: str) -> dict[str, Any] | None:
        """Accept a request by its ``links.actions.accept`` URL (a curator's action)."""
        return self.hook.write_json("POST", accept_link, operation="publish", json={})

    def get_community(self, community: str) -> dict[str, Any]:
        """Read a community by slug or id."""
        return self.hook.read_json(f"api/communities/{_part(community)}",
                                   operation="community")

    # -- records ---------------------------------------------------------------------------

    def get_record(self, record_id: str) -> dict[str, Any]:
        """Read a published record, as InvenioRDM JSON."""
        return self.hook.read_json(f"{RECORDS}/{_part(record_id)}", operation="get_record",
                                   headers=RDM_JSON)

    def search_user_records(self, q: str, *, size: int = 100,
                            all_versions: bool = True) -> dict[str, Any]:
        """Search our records and drafts (the same search finds both)."""
        params: dict[str, Any] = {"q": q, "size": size}
        if all_versions:
            params["allversions"] = "true"
        return self.hook.read_json("api/user/records", operation="search", params=params)
