"""A collections file whose image root or template carries a credential fails to load, naming
the key and the credential's kind, never its value; ``images.conn_id`` is the way instead."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from zenodo.config.collection_file import CollectionConfigError, load_collections

ENTRY = textwrap.dedent("""\
    collections:
      - id: herbarium
        dwca: {{path: "https://ipt.example.org/archive.do?r=herbarium"}}
        images:
          root: "{root}"
          files: ["{template}"]
          {conn}
        mapping: pilot1
    """)


def _load(tmp_path: pathlib.Path, root: str, template: str = "{catalogNumber}.jpg",
          conn: str = "") -> dict:
    path = tmp_path / "collections.yaml"
    path.write_text(ENTRY.format(root=root, template=template, conn=conn), "utf-8")
    return load_collections(path)


def test_an_object_store_root_with_its_connection_loads(tmp_path: pathlib.Path) -> None:
    config = _load(tmp_path, "s3://herbarium-images/sheets/", conn="conn_id: images_s3")
    assert config["herbarium"].image_conn_id == "images_s3"


@pytest.mark.parametrize(("root", "template", "told"), [
    ("https://user:hunter2@images.example.org/", "{catalogNumber}.jpg",
     "key 'images.root': the URL carries a user name or password"),
    ("s3://aws_default@herbarium-images/", "{catalogNumber}.jpg",
     "key 'images.root': the URL carries a user name or password"),
    ("/data/images", "https://cdn.example.org/{catalogNumber}.jpg?token=hunter2",
     "key 'images.files': 'https://cdn.example.org/{catalogNumber}.jpg': the URL carries the "
     "query parameter 'token'"),
])
def test_a_credential_in_an_image_url_is_refused_unshown(
        tmp_path: pathlib.Path, root: str, template: str, told: str) -> None:
    with pytest.raises(CollectionConfigError) as raised:
        _load(tmp_path, root, template)
    assert told in str(raised.value) and "images.conn_id" in str(raised.value)
    assert "hunter2" not in str(raised.value)
