"""What the engine needs from a repository, whichever API reaches it.

:class:`Remote` is implemented by :class:`~zenodo.repository.deposit.DepositRemote` (Zenodo's
deposit API) and :class:`~zenodo.repository.rdm.RdmRemote` (the InvenioRDM records API); both
answer with :class:`RemoteDraft`. :func:`zenodo.repository.choose.remote_for` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from zenodo.ledger.payloads import SpecimenPayload
    from zenodo.source.specimen import FileSpec


@dataclass(frozen=True)
class RemoteFile:
    """A file a draft holds: the id to delete it by, and its md5 (``None`` until committed)."""

    file_id: str
    md5: str | None


@dataclass(frozen=True)
class RemoteDraft:
    """One deposition (draft or record) as the engine sees it.

    :param id: the deposition's id as text (``"123"`` on Zenodo, ``"abcde-12345"`` on RDM).
    :param submitted: it has been published once (it has a DOI).
    :param editing: an edit of the published record is open (publish it to close it).
    :param metadata: what the server holds: deposit metadata, or the RDM record body.
    :param files: file name → :class:`RemoteFile`.
    :param upload_target: where files are PUT (the deposit API's bucket URL), if any.
    :param record_id: the published record's id.
    :param doi: the version DOI, once published.
    :param concept_doi: the DOI of all versions.
    :param concept_recid: the id of all versions (the RDM parent).
    """

    id: str
    submitted: bool = False
    editing: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    files: dict[str, RemoteFile] = field(default_factory=dict)
    upload_target: str | None = None
    record_id: str | None = None
    doi: str | None = None
    concept_doi: str | None = None
    concept_recid: str | None = None

    @property
    def published(self) -> bool:
        """Published, with no edit open."""
        return self.submitted and not self.editing


class Remote(Protocol):
    """The repository operations of one specimen's way; writes are sent once, never retried.

    Writes that may have happened although their answer was lost raise
    :class:`~zenodo.errors.UnknownOutcome`; the engine then calls :meth:`get` or
    :meth:`find` instead of writing again.
    """

    #: ``deposit`` or ``rdm``, for logs and reports.
    protocol: str

    def create(self, body: dict[str, Any]) -> RemoteDraft:
        """Create a draft holding ``body`` (the mapped metadata)."""

    def get(self, draft_id: str) -> RemoteDraft:
        """Read a deposition: its open draft if it has one, else the published record."""

    def update(self, draft: RemoteDraft, body: dict[str, Any]) -> None:
        """Replace a draft's metadata (an edit keeps the record's publication date)."""

    def delete_file(self, draft: RemoteDraft, name: str) -> None:
        """Remove one file from a draft."""

    def upload(self, draft_id: str, spec: FileSpec, *, target: str | None) -> tuple[int, str]:
        """Send one file (streamed, md5 checked); return its size and md5 on the server."""

    def publish(self, draft_id: str, *, first: bool) -> RemoteDraft:
        """Publish a draft; ``first`` when the specimen has never been published."""

    def discard(self, draft_id: str) -> None:
        """Delete a never-published draft (a duplicate of a lost create)."""

    def edit(self, record_id: str) -> RemoteDraft:
        """Open a published record for a metadata edit (same DOI)."""

    def new_version(self, record_id: str) -> RemoteDraft:
        """Open a new-version draft of a published record (new DOI, same concept)."""

    def find(self, payload: SpecimenPayload) -> list[RemoteDraft]:
        """The specimen's depositions (drafts and records), checked for the exact key."""


def text_id(value: Any) -> str | None:
    """An id as text (``None`` stays ``None``)."""
    return None if value is None or value == "" else str(value)
