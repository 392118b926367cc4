"""Pick the :class:`~zenodo.repository.remote.Remote` a connection asks for (``extra.protocol``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zenodo.repository.deposit import DepositRemote
from zenodo.repository.rdm import RdmRemote

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.repository.remote import Remote


def remote_for(hook: ZenodoHook, *, community: str | None = None) -> Remote:
    """Return the :class:`Remote` of the hook's connection: ``deposit`` (default) or ``rdm``.

    :param community: the collection's community; the RDM flow asks for inclusion by a
        review request at first publication (the deposit API takes it in the metadata).
    """
    if hook.options.protocol == "rdm":
        return RdmRemote(hook, community=community)
    return DepositRemote(hook)
