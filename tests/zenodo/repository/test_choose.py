"""The connection's ``extra.protocol`` chooses the repository adapter."""

from __future__ import annotations

import pytest

from zenodo.errors import ValidationFailed
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.repository.choose import remote_for
from zenodo.repository.deposit import DepositRemote
from zenodo.repository.rdm import RdmRemote
from zenodo_sandbox.testing import SandboxProcess


def test_the_connection_chooses_the_protocol(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_Z_DEP", sandbox.connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_Z_RDM", sandbox.connection_json(protocol="rdm"))
    assert isinstance(remote_for(ZenodoHook("z_dep")), DepositRemote)
    rdm = remote_for(ZenodoHook("z_rdm"), community="herbarium")
    assert isinstance(rdm, RdmRemote) and rdm.community == "herbarium"
    with pytest.raises(ValidationFailed, match="schema: rdm"):
        rdm.create({"title": "deposit metadata", "upload_type": "image"})
    assert sandbox.admin.requests()["total"] == 0, "refused before sending"
