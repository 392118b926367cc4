"""The :class:`~zenodo.repository.remote.Remote` of the InvenioRDM records API.

A one-file record takes 5 requests (create, declare, content, commit, publish); with a
community, the first publication goes through a review request (7). Endpoints are in
:mod:`zenodo.repository.rdm_api`; this module holds the flow and its recovery rules.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, BinaryIO

from zenodo.errors import (
    AuthFailed,
    ChecksumMismatch,
    NotFound,
    ServerError,
    UnknownOutcome,
    ValidationFailed,
    ZenodoError,
    check_md5,
)
from zenodo.metadata.identity import rdm_matches_key
from zenodo.repository.rdm_api import RdmApi
from zenodo.repository.remote import RemoteDraft, RemoteFile, text_id
from zenodo.source.hashing_reader import open_checked

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.ledger.payloads import SpecimenPayload
    from zenodo.source.specimen import FileSpec

log = logging.getLogger(__name__)

BODY_KEYS = ("metadata", "custom_fields", "access", "files")


def _doi(pids: Any) -> str | None:
    doi = (pids or {}).get("doi") if isinstance(pids, dict) else None
    return doi.get("identifier") if isinstance(doi, dict) else None


def _files(data: dict[str, Any]) -> dict[str, RemoteFile]:
    entries = (data.get("files") or {}).get("entries") or {}
    items = entries.values() if isinstance(entries, dict) else entries
    return {
        e["key"]: RemoteFile(
            e["key"],
            str(e.get("checksum") or "").removeprefix("md5:") or None
            if e.get("status", "completed") == "completed" else None,
        )
        for e in items
    }


def draft_of(data: dict[str, Any]) -> RemoteDraft:
    """An InvenioRDM draft or record (RDM JSON) as a :class:`RemoteDraft`."""
    submitted = bool(data.get("is_published"))
    parent = data.get("parent") or {}
    return RemoteDraft(
        id=str(data["id"]),
        submitted=submitted,
        editing=submitted and bool(data.get("is_draft")),
        metadata={k: data[k] for k in BODY_KEYS if k in data},
        files=_files(data),
        record_id=str(data["id"]) if submitted else None,
        doi=_doi(data.get("pids")),
        concept_doi=_doi(parent.get("pids")),
        concept_recid=text_id(parent.get("id")),
    )


class RdmRemote:
    """The InvenioRDM records API behind the engine's :class:`~zenodo.repository.remote.Remote`.

    :param hook: sends every request (pacing, typed errors, masked token).
    :param community: the community (slug or id) to ask inclusion in at first publication.
    """

    protocol = "rdm"

    def __init__(self, hook: ZenodoHook, *, community: str | None = None) -> None:
        self.hook = hook
        self.api = RdmApi(hook)
        self.community = community
        self._community_ident: str | None = None
        self._community_lock = threading.Lock()  # the batch's threads share this remote

    # -- drafts ------------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> RemoteDraft:
        """POST the whole record body (metadata, custom fields, access, files)."""
        if not isinstance(body.get("metadata"), dict):
            raise ValidationFailed(
                "create: the RDM protocol needs an RDM record body (a mapping with "
                "'schema: rdm', such as dwc-rich-rdm), not deposit metadata",
                operation="create",
            )
        return draft_of(self.api.create_draft(body))

    def get(self, draft_id: str) -> RemoteDraft:
        """The open draft, else the published record (404 when neither exists)."""
        try:
            data = self.api.get_draft(draft_id)
        except NotFound:
            return self._record(draft_id)
        if "entries" not in (data.get("files") or {}) and data.get("is_draft"):
            listing = self.api.list_draft_files(draft_id)
            data = {**data, "files": {**(data.get("files") or {}), "entries": listing["entries"]}}
        return draft_of(data)

    def _record(self, record_id: str) -> RemoteDraft:
        return draft_of(self.api.get_record(record_id))

    def update(self, draft: RemoteDraft, body: dict[str, Any]) -> None:
        """PUT the body; an edit keeps the record's publication date."""
        new = {**body, "metadata": dict(body.get("metadata") or {})}
        kept = (draft.metadata.get("metadata") or {}).get("publication_date")
        if draft.editing and kept:
            new["metadata"]["publication_date"] = kept
        self.api.update_draft(draft.id, new)

    def discard(self, draft_id: str) -> None:
        """DELETE the draft."""
        self.api.delete_draft(draft_id)

    # -- files -------------------------------------------------------------------------------

    def delete_file(self, draft: RemoteDraft, name: str) -> None:
        """DELETE one file of the draft by its key."""
        self.api.delete_file(draft.id, name)

    def upload(self, draft_id: str, spec: FileSpec, *, target: str | None) -> tuple[int, str]:
        """Declare, stream and commit one file; a wrong md5 sends the file again.

        The file is opened once and checked to be the validated one
        (:func:`~zenodo.source.hashing_reader.open_checked`); every try sends that handle.
        """
        with open_checked(spec) as body:
            for attempt in self.hook.retrying(ChecksumMismatch):
                with attempt:
                    return self._upload_once(draft_id, spec, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def _upload_once(self, draft_id: str, spec: FileSpec, body: BinaryIO) -> tuple[int, str]:
        self._declare(draft_id, spec.name)
        local_md5 = ""
        for attempt in self.hook.retrying(ServerError, UnknownOutcome):
            with attempt:  # a content PUT replaces: safe to send again
                local_md5 = self.api.put_file_content(draft_id, spec.name, body, md5=spec.md5)
        entry = self._commit(draft_id, spec.name)
        try:
            check_md5(entry, local_md5, name=spec.name, operation="file_commit")
        except ChecksumMismatch:
            self.api.delete_file(draft_id, spec.name)
            raise
        return int(entry.get("size") or spec.size or 0), local_md5

    def _declare(self, draft_id: str, name: str) -> None:
        """Declare the file key; declaring it again is refused as "already exists": fine."""
        for attempt in self.hook.retrying(ServerError, UnknownOutcome):
            with attempt:
                try:
                    self.api.declare_file(draft_id, name)
                except ValidationFailed as exc:
                    if "already" not in str(exc):
                        raise
                    log.info("draft %s: %s already declared", draft_id, name)

    def _commit(self, draft_id: str, name: str) -> dict[str, Any]:
        """Commit the file; after a lost answer or a refusal, what the server holds decides."""
        for attempt in self.hook.retrying(ServerError, UnknownOutcome):
            with attempt:
                try:
                    return self.api.commit_file(draft_id, name)
                except (UnknownOutcome, ValidationFailed) as exc:
                    entry = self.api.get_file(draft_id, name)
                    if entry.get("status", "completed") == "completed":
                        return entry
                    raise exc from None  # not committed: a lost answer is committed again
        raise AssertionError("unreachable")  # pragma: no cover

    # -- publish, edit, new version ----------------------------------------------------------

    def publish(self, draft_id: str, *, first: bool) -> RemoteDraft:
        """Publish; at first publication with a community, through its review request."""
        if first and self.community:
            return self._submit_to_community(draft_id)
        return draft_of(self.api.publish_draft(draft_id))

    def _submit_to_community(self, draft_id: str) -> RemoteDraft:
        """Ask the community to include the draft; a curator's acceptance publishes it.

        The review is set and submitted; if the request stays open and the token may accept
        it (a curator of the community), it is accepted. A draft already in review (an
        earlier try whose answer was lost) skips straight to accepting its open request.
        """
        community_id = self._community_id()
        try:
            self.api.set_review(draft_id, community_id)
            request = self.api.submit_review(draft_id, "Digitised specimen")
        except ValidationFailed:
            request = self.api.get_review(draft_id)
            if (request or {}).get("status") != "submitted":
                raise
        if (request or {}).get("status") == "submitted":
            request = self._accept(request)
        return self._record(draft_id)

    def _accept(self, request: dict[str, Any]) -> dict[str, Any]:
        accept = ((request.get("links") or {}).get("actions") or {}).get("accept")
        waiting = ZenodoError(
            f"publish: review request {request.get('id')} to community {self.community} is "
            "open: a curator must accept it; the record is published when they do",
            operation="publish")
        if not accept:
            raise waiting
        try:
            answer = self.api.accept_request(accept)
        except (AuthFailed, NotFound) as exc:  # this token may not curate the community
            raise waiting from exc
        if (answer or {}).get("status") != "accepted":
            raise waiting
        return answer

    def _community_id(self) -> str:
        """The community's id (a review's receiver names it by id), looked up once."""
        with self._community_lock:
            if self._community_ident is None:
                data = self.api.get_community(str(self.community))
                self._community_ident = str(data["id"])
            return self._community_ident

    def edit(self, record_id: str) -> RemoteDraft:
        """POST …/draft: the published record opens an edit draft (same id, same DOI)."""
        return draft_of(self.api.edit_record(record_id))

    def new_version(self, record_id: str) -> RemoteDraft:
        """POST …/versions: a new draft of the same parent, without files."""
        return draft_of(self.api.new_version(record_id))

    # -- lookup ------------------------------------------------------------------------------

    def find(self, payload: SpecimenPayload) -> list[RemoteDraft]:
        """Search our records and drafts (all versions); keep exact-key matches."""
        data = self.api.search_user_records(payload.search_query, size=100)
        hits = (data.get("hits") or {}).get("hits") or []
        return [draft_of(h) for h in hits if rdm_matches_key(h, payload.key)]
