"""Clients written for zenodo.org, unchanged, against the sandbox.

* The 2019 pilots' uploader (zenodo-uploader's ``utils2.make_upload``, values of
  ``include/mappings/pilot2.yaml``): POST with metadata and no ``publication_date``, PUT the
  image to the bucket, POST publish, the token as ``?access_token=``. It leans on what
  zenodo-rdm's deserializer fills in (``legacy/deserializers/metadata.py``:
  ``publication_date`` today, the grant's EC funder) and on ``test_quickstart.py``'s flow.
* The ``zenodo-client`` package (PyPI): create, publish, new version. It reads its token
  from pystow config or the ``access_token`` argument and its base URL from attributes set
  in ``Zenodo.__init__``; the test points those at the sandbox.
"""

from __future__ import annotations

import datetime as dt

import requests
from zenodo_client import Creator, Metadata, Zenodo

PILOT2 = {
    "title": "Quercus robur L. (BR0000013)", "upload_type": "image", "image_type": "photo",
    "description": 'Belgium Herbarium image of <a href="https://www.plantentuinmeise.be">'
                   "Meise Botanic Garden</a>.",
    "creators": [{"name": "Meise Botanic Garden"}], "access_right": "open",
    "license": "CC-BY-SA-4.0", "grants": [{"id": "777483"}],
    "related_identifiers": [{"identifier": "http://www.botanicalcollections.be/specimen/"
                                           "BR0000013", "relation": "isAlternateIdentifier"}],
    "keywords": ["Biodiversity", "Taxonomy", "Terrestrial", "Herbarium", "Fagaceae"],
    "imprint_publisher": "Meise Botanic Garden Herbarium",
    "communities": [{"identifier": "belgiumherbarium"}],
}


def upload_2019(base: str, token: str, metadata: dict, name: str, content: bytes) -> dict:
    """Create, upload, publish: the pilots' request sequence, token in the query string."""
    auth = {"access_token": token}
    created = requests.post(f"{base}/api/deposit/depositions", params=auth,
                            json={"metadata": metadata}, timeout=30)
    assert created.status_code == 201, created.text
    deposition = created.json()
    put = requests.put(f"{deposition['links']['bucket']}/{name}", data=content, params=auth,
                       timeout=30)
    assert put.status_code == 201, put.text
    published = requests.post(deposition["links"]["publish"], params=auth, timeout=30)
    assert published.status_code == 202, published.text
    return published.json()


# zenodo-rdm legacy/deserializers/metadata.py (publication_date load_default, load_funding)
# and site/tests/legacy/test_quickstart.py (create, upload, publish)
def test_the_2019_uploader_publishes_its_records(sandbox):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for n in range(3):
        meta = {**PILOT2, "title": f"Quercus robur L. (BR000001{n})"}
        record = upload_2019(sandbox.url, sandbox.token, meta, f"BR000001{n}.jpg", b"\xff\xd8")
        assert record["submitted"] is True and record["state"] == "done"
        md = record["metadata"]
        assert md["publication_date"] == today
        assert md["grants"] == [{"id": "10.13039/501100000780::777483"}]
        assert md["license"] == "cc-by-sa-4.0"
        assert md["communities"] == [{"identifier": "belgiumherbarium"}]
        assert md["related_identifiers"][0]["scheme"] == "url"
    assert sandbox.admin.counts()["by_state"] == {"done": 3}
    assert sandbox.token not in sandbox.log_text()


def _client(sandbox) -> Zenodo:
    client = Zenodo(access_token=sandbox.token)
    client.base = sandbox.url
    client.api_base = f"{sandbox.url}/api"
    client.depositions_base = f"{client.api_base}/deposit/depositions"
    return client


# zenodo-rdm legacy/resources.py (create, publish, new_version with imported files) and
# test_rest_api_simpleflow.py::test_versioning_rest_flow
def test_zenodo_client_creates_publishes_and_versions(sandbox, tmp_path):
    path = tmp_path / "sheet.txt"
    path.write_text("first")
    client = _client(sandbox)
    metadata = Metadata(title="Herbarium sheet", upload_type="dataset",
                        description="A sheet.", creators=[Creator(name="Doe, Jane")])
    created = client.create(data=metadata, paths=[path], publish=False)
    deposition_id = created.json()["id"]
    first = client.publish(deposition_id, sleep=False).json()
    assert first["submitted"] is True and first["metadata"]["license"] == "cc-zero"
    assert first["metadata"]["language"] == "eng"
    path.write_text("second")
    client.update(str(deposition_id), paths=[path], publish=False)
    latest_draft = requests.get(
        f"{sandbox.url}/api/deposit/depositions", params={"access_token": sandbox.token},
        timeout=10).json()[0]
    assert latest_draft["id"] != deposition_id and latest_draft["state"] == "unsubmitted"
    second = client.publish(str(latest_draft["id"]), sleep=False).json()
    assert second["conceptrecid"] == first["conceptrecid"]
    assert second["metadata"]["version"] != first["metadata"]["version"]
    latest = requests.get(first["links"]["latest"], timeout=10)
    assert latest.json()["id"] == second["id"]
    # zenodo-client's get_latest_record reads the id out of links.latest, which on
    # InvenioRDM is /api/records/<this id>/versions/latest: it names the record it was given
    assert client.get_latest_record(deposition_id) == str(deposition_id)
