"""The ``marcxml`` and ``marc21`` formats (the same serializer on zenodo.org): invenio-rdm-records'
``MARCXMLSchema`` over the record's InvenioRDM view, written as dojson writes MARC21 slim
(the leader, then fields in the schema's order; repeated fields repeat the datafield).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lxml import etree

from zenodo_sandbox import licenses, record_licences
from zenodo_sandbox.oai_fields import FormatContext, communities, escape_html, text_node
from zenodo_sandbox.record_view import Person, RecordView, view_of
from zenodo_sandbox.record_vocab import LEGACY_RELATIONS, ROLES, resource_type

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_MARC = "http://www.loc.gov/MARC21/slim"
MARC_SCHEMA = "https://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
MARC_NAMESPACE = "https://www.loc.gov/standards/marcxml/"
_Q = f"{{{NS_MARC}}}"
#: leader ``type_of_record`` by resource type (``get_leader``); anything else is ``a``
_RECORD_TYPES = {"image": "k", "video": "g", "dataset": "m", "software": "m"}

Field = tuple[str, list[tuple[str, Any]]]


def _relation_title(relation_id: str) -> str:
    """``isPartOf`` -> ``Is part of`` (the relation types vocabulary titles)."""
    name = LEGACY_RELATIONS.get(relation_id, relation_id)
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).split()
    return " ".join(words).capitalize()


def _person(person: Person) -> list[tuple[str, Any]]:
    subfields: list[tuple[str, Any]] = [("a", person.name)]
    subfields += [("0", f"({scheme}){value}") for scheme, value in person.identifiers]
    if person.affiliation:
        subfields.append(("u", person.affiliation))
    marc_role = ROLES.get(person.role or "", (None, None))[1]
    if marc_role:
        subfields.append(("4", marc_role))
    return subfields


def _fields(record: OaiRecord, ctx: FormatContext, view: RecordView) -> list[Field]:
    """Return (tag+indicators, subfields) in ``MARCXMLSchema`` order."""
    status = view.access_status()
    slugs = communities(record, ctx)
    out: list[Field] = [("024  ", [("2", "doi"), ("a", record.doi)])]
    oai = [("p", f"user-{slug}") for slug in slugs] + [("o", f"oai:{ctx.id_prefix}:{record.recid}")]
    out.append(("909CO", oai))
    out += [("700  ", _person(p)) for p in view.contributors + view.creators[1:]]
    out.append(("245  ", [("a", view.title)]))
    if view.creators:
        out.append(("100  ", _person(view.creators[0])))
    out += [("856 2", [("a", f"{r['scheme']}:{r['identifier']}")]) for r in view.related]
    rdm_licence = licenses.rdm_id(view.licence)
    out.append(("540  ", [("a", f"info:eu-repo/semantics/{status}Access")]))
    if rdm_licence:
        out.append(("540  ", [("a", record_licences.title(rdm_licence)),
                              ("u", record_licences.url(rdm_licence))]))
        out.append(("65017", [("a", rdm_licence), ("2", record_licences.scheme(rdm_licence))]))
    out += [("653  ", [("a", keyword)]) for keyword in view.keywords]
    if view.description:
        out.append(("520  ", [("a", escape_html(view.description))]))
    out += [("500  ", [("a", escape_html(text))]) for text in (view.notes, view.method) if text]
    out += [("041  ", [("a", language)]) for language in view.languages]
    out += [("999C5", [("x", reference)]) for reference in view.references]
    dates = [("c", view.publication_date)]
    if status == "embargoed":
        dates.append(("c", f"info:eu-repo/date/embargoEnd/{view.embargo_until}"))
    out.append(("260  ", [("b", view.publisher), *dates]))
    university = view.custom_fields.get("thesis:university")
    if university:
        out.append(("502  ", [("c", university)]))
    types = [("980  ", [("a", f"user-{slug}")]) for slug in slugs]
    if view.resource_type:
        kind, _sep, sub = view.resource_type.partition("-")
        types.append(("980  ", [("a", resource_type(view.resource_type)[3])]))
        types.append(("980  ", [("a", kind), ("b", sub)]))
    out += types
    out.append(("005", [("", record.updated.strftime("%Y%m%d%H%M%S.0"))]))
    for key, size, md5 in record.files:
        url = f"{ctx.site_url}/records/{record.recid}/files/{quote(key)}"
        out.append(("8564 ", [("s", str(size)), ("z", f"md5:{md5}"), ("u", url)]))
    out.append(("542  ", [("l", status)]))
    related = [[("a", r["identifier"]), ("i", _relation_title(r["relation"])), ("n", r["scheme"])]
               for r in view.related]
    related.append([("a", record.conceptdoi), ("i", "isVersionOf"), ("n", "doi")])
    out += [("773  ", subfields) for subfields in related]
    return out


def _control(root: etree._Element, tag: str, value: str) -> None:
    etree.SubElement(root, f"{_Q}controlfield", tag=tag).text = value


def marcxml(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build the MARC21 slim ``<record>`` of ``record``."""
    view = view_of(record.metadata)
    root = etree.Element(f"{_Q}record", nsmap={None: NS_MARC})
    kind = (view.resource_type or "").partition("-")[0]
    text_node(root, f"{_Q}leader", f"00000n{_RECORD_TYPES.get(kind, 'a')}m##2200000uu#4500")
    _control(root, "001", str(record.recid))
    for tag, subfields in _fields(record, ctx, view):
        if len(tag) == 3:
            _control(root, tag, subfields[0][1])
            continue
        field = etree.SubElement(root, f"{_Q}datafield", tag=tag[:3], ind1=tag[3], ind2=tag[4])
        for code, value in subfields:
            if value not in (None, ""):
                text_node(field, f"{_Q}subfield", value, code=code)
    return root
