"""The ``dcat`` format, reduced: zenodo.org runs its DataCite XML (plus files) through the
DataCite-to-DCAT-AP stylesheet of invenio-rdm-records; the sandbox writes the same kind of
``rdf:RDF`` description directly with the main properties (identifier, title, description,
issued date, creators, keywords, licence, landing page, one distribution per file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from lxml import etree

from zenodo_sandbox import licenses, record_licences
from zenodo_sandbox.oai_fields import FormatContext, node, strip_html, text_node
from zenodo_sandbox.record_view import view_of

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dcat": "http://www.w3.org/ns/dcat#",
      "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/"}
DCAT_SCHEMA = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
DCAT_NAMESPACE = "https://www.w3.org/ns/dcat"


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def dcat(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build the ``rdf:RDF`` DCAT-AP description of ``record``."""
    view = view_of(record.metadata)
    doi_url = f"https://doi.org/{record.doi}"
    root = etree.Element(_q("rdf", "RDF"), nsmap=NS)
    dataset = node(root, _q("rdf", "Description"))
    dataset.set(_q("rdf", "about"), doi_url)
    node(dataset, _q("rdf", "type")).set(_q("rdf", "resource"), f"{NS['dcat']}Dataset")
    text_node(dataset, _q("dct", "identifier"), doi_url)
    text_node(dataset, _q("dct", "title"), view.title)
    text_node(dataset, _q("dct", "description"), strip_html(view.description or ""))
    text_node(dataset, _q("dct", "issued"), view.publication_date)
    for person in view.creators:
        agent = node(node(dataset, _q("dct", "creator")), _q("foaf", "Agent"))
        text_node(agent, _q("foaf", "name"), person.name)
    for keyword in view.keywords:
        text_node(dataset, _q("dcat", "keyword"), keyword)
    rdm_licence = licenses.rdm_id(view.licence)
    licence_url = record_licences.url(rdm_licence) if rdm_licence else None
    if licence_url:
        node(dataset, _q("dct", "license")).set(_q("rdf", "resource"), licence_url)
    landing = f"{ctx.site_url}/records/{record.recid}"
    node(dataset, _q("dcat", "landingPage")).set(_q("rdf", "resource"), landing)
    for key, size, _md5 in record.files:
        dist = node(node(dataset, _q("dcat", "distribution")), _q("dcat", "Distribution"))
        node(dist, _q("dcat", "accessURL")).set(_q("rdf", "resource"), doi_url)
        node(dist, _q("dcat", "downloadURL")).set(
            _q("rdf", "resource"), f"{landing}/files/{quote(key)}")
        text_node(dist, _q("dcat", "byteSize"), str(size))
        text_node(dist, _q("dct", "title"), key)
    return root
