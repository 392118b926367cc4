"""The :class:`~zenodo.repository.remote.Remote` of Zenodo's legacy deposit API.

A one-file record takes 3 requests: create (with metadata), PUT into the bucket, publish. The
community is part of the metadata. Endpoints are in :mod:`zenodo.repository.deposit_api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zenodo.errors import ZenodoError
from zenodo.metadata.identity import deposit_matches_key
from zenodo.repository.deposit_api import DepositApi
from zenodo.repository.remote import RemoteDraft, RemoteFile, text_id
from zenodo.source.hashing_reader import open_checked

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.ledger.payloads import SpecimenPayload
    from zenodo.source.specimen import FileSpec


def draft_of(deposition: dict[str, Any]) -> RemoteDraft:
    """A deposit API deposition as a :class:`RemoteDraft`."""
    files = {
        f["filename"]: RemoteFile(str(f.get("id", "")), str(f.get("checksum", "")).removeprefix(
            "md5:") or None)
        for f in deposition.get("files") or []
    }
    submitted = bool(deposition.get("submitted"))
    editing = submitted and deposition.get("state", "done") != "done"
    return RemoteDraft(
        id=str(deposition["id"]),
        submitted=submitted,
        editing=editing,
        metadata=deposition.get("metadata") or {},
        files=files,
        upload_target=(deposition.get("links") or {}).get("bucket"),
        record_id=text_id(deposition.get("record_id") or (deposition["id"] if submitted else None)),
        doi=deposition.get("doi") or None,
        concept_doi=deposition.get("conceptdoi") or None,
        concept_recid=text_id(deposition.get("conceptrecid")),
    )


class DepositRemote:
    """Zenodo's deposit API behind the engine's :class:`~zenodo.repository.remote.Remote` interface.

    :param hook: sends every request (pacing, typed errors, masked token).
    """

    protocol = "deposit"

    def __init__(self, hook: ZenodoHook) -> None:
        self.hook = hook
        self.api = DepositApi(hook)

    def create(self, body: dict[str, Any]) -> RemoteDraft:
        """Create a draft with its metadata in the same request."""
        return draft_of(self.api.create_deposition(body))

    def get(self, draft_id: str) -> RemoteDraft:
        """Read the deposition (a published one shows its open edit, if any)."""
        return draft_of(self.api.get_deposition(draft_id))

    def update(self, draft: RemoteDraft, body: dict[str, Any]) -> None:
        """PUT the metadata; an edit keeps the record's publication date."""
        metadata = dict(body)
        kept = draft.metadata.get("publication_date") if draft.editing else None
        if kept:
            metadata["publication_date"] = kept
        self.api.update_deposition(draft.id, metadata)

    def delete_file(self, draft: RemoteDraft, name: str) -> None:
        """Delete a file by its file id."""
        self.api.delete_file(draft.id, draft.files[name].file_id)

    def upload(self, draft_id: str, spec: FileSpec, *, target: str | None) -> tuple[int, str]:
        """PUT the file into the bucket (read again from the deposition if not known).

        The file is opened once and checked to be the validated one
        (:func:`~zenodo.source.hashing_reader.open_checked`); every try sends that handle.
        """
        bucket = target or self.get(draft_id).upload_target
        if not bucket:
            raise ZenodoError(f"deposition {draft_id} has no bucket link", operation="file_put")
        with open_checked(spec) as body:
            answer = self.hook.upload_file(bucket, body, filename=spec.name, md5=spec.md5)
        return int(answer.get("size") or spec.size or 0), str(answer["checksum"]).removeprefix(
            "md5:")

    def publish(self, draft_id: str, *, first: bool) -> RemoteDraft:
        """Publish (the community comes with the metadata)."""
        return draft_of(self.api.publish(draft_id))

    def discard(self, draft_id: str) -> None:
        """Delete an unpublished draft."""
        self.api.delete_deposition(draft_id)

    def edit(self, record_id: str) -> RemoteDraft:
        """The ``edit`` action: the published deposition opens for changes."""
        return draft_of(self.api.edit(record_id))

    def new_version(self, record_id: str) -> RemoteDraft:
        """The ``newversion`` action; the new draft starts with the old files."""
        return draft_of(self.api.new_version(record_id))

    def find(self, payload: SpecimenPayload) -> list[RemoteDraft]:
        """Search our depositions (all versions) and keep exact-key matches."""
        hits = self.api.search_depositions(q=payload.search_query, size=100, all_versions=True)
        return [draft_of(d) for d in hits
                if deposit_matches_key(d.get("metadata") or {}, payload.key)]
