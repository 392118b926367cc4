"""The OAI-PMH metadata formats zenodo.org serves (invenio-app-rdm's
``OAISERVER_METADATA_FORMATS``, as its ListMetadataFormats answers in oaipmh-scythe's cassette
``list_metadata_formats.yaml``): ``marcxml`` and ``marc21`` (:mod:`zenodo_sandbox.oai_marc`),
``oai_dc`` (:mod:`zenodo_sandbox.oai_dc`), ``dcat`` (:mod:`zenodo_sandbox.oai_dcat`),
``datacite``/``datacite4`` and ``oai_datacite``/``oai_datacite4``
(:mod:`zenodo_sandbox.oai_datacite`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml import etree

from zenodo_sandbox.oai_datacite import (
    DATACITE_SCHEMA,
    NS_DATACITE,
    NS_OAI_DATACITE,
    OAI_DATACITE_SCHEMA,
    datacite_resource,
    oai_datacite,
)
from zenodo_sandbox.oai_dc import NS_OAI_DC, OAI_DC_SCHEMA, oai_dc
from zenodo_sandbox.oai_dcat import DCAT_NAMESPACE, DCAT_SCHEMA, dcat
from zenodo_sandbox.oai_fields import FormatContext
from zenodo_sandbox.oai_marc import MARC_NAMESPACE, MARC_SCHEMA, marcxml

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

Builder = Callable[["OaiRecord", FormatContext], etree._Element]

#: ``metadataPrefix`` -> (schema, metadataNamespace, builder), in zenodo.org's order
FORMATS: dict[str, tuple[str, str, Builder]] = {
    "marcxml": (MARC_SCHEMA, MARC_NAMESPACE, marcxml),
    "oai_dc": (OAI_DC_SCHEMA, NS_OAI_DC, oai_dc),
    "dcat": (DCAT_SCHEMA, DCAT_NAMESPACE, dcat),
    "marc21": (MARC_SCHEMA, MARC_NAMESPACE, marcxml),
    "datacite": (DATACITE_SCHEMA, NS_DATACITE, datacite_resource),
    "oai_datacite": (OAI_DATACITE_SCHEMA, NS_OAI_DATACITE, oai_datacite),
    "datacite4": (DATACITE_SCHEMA, NS_DATACITE, datacite_resource),
    "oai_datacite4": (OAI_DATACITE_SCHEMA, NS_OAI_DATACITE, oai_datacite),
}
#: ``metadataPrefix`` -> (schema, metadataNamespace)
METADATA_FORMATS = {prefix: (schema, ns) for prefix, (schema, ns, _b) in FORMATS.items()}


def datestamp(moment: datetime) -> str:
    """Format ``moment`` as an OAI-PMH UTC datestamp truncated to seconds (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def serialise(prefix: str, record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build the ``<metadata>`` child for ``record`` in the format ``prefix``."""
    return FORMATS[prefix][2](record, ctx)
