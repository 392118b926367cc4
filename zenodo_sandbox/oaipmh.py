"""Answer OAI-PMH 2.0 requests the way Zenodo's ``/oai2d`` (invenio-oaiserver) does, quirks
included; zenodo_sandbox/README.md, section "OAI-PMH", lists the behaviour. Arguments are read
by :mod:`zenodo_sandbox.oai_args`, tokens and scrolls live in :mod:`zenodo_sandbox.oai_paging`,
the formats in :mod:`zenodo_sandbox.oai_formats`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from zenodo_sandbox.oai_args import (
    PAGED,
    OaiArgs,
    OaiError,
    OaiServerError,
    load,
    parse_date,
)
from zenodo_sandbox.oai_fields import FormatContext, clean_text
from zenodo_sandbox.oai_formats import METADATA_FORMATS, datestamp, serialise
from zenodo_sandbox.oai_paging import BadToken, Scrolls, Tokens
from zenodo_sandbox.oai_record import OaiRecord, OaiRecordSource

NS_OAI = "http://www.openarchives.org/OAI/2.0/"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSL_URL = "/static/oai2.xsl"
_Q = f"{{{NS_OAI}}}"
_EARLIEST_FALLBACK = datetime(1, 1, 1, tzinfo=UTC)
_EXPIRED = ("badResumptionToken", "The value of the resumptionToken argument is invalid or "
            "expired.")

__all__ = ["OaiError", "OaiPmhEndpoint", "OaiServerError"]


def echo_datestamp(moment: datetime) -> str:
    """``datetime_to_datestamp``: drop microseconds and the zone (not converted) and add Z."""
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def as_utc(moment: datetime | None) -> datetime | None:
    """Return a search bound in UTC (a naive bound is taken as UTC, as Elasticsearch does)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class OaiPmhEndpoint:
    """Answer OAI-PMH requests for the records of an :class:`OaiRecordSource`.

    :param source: where records and sets come from.
    :param base_url: the public URL of the endpoint (``.../oai2d``); the site root for record and
        community links is this URL without its ``/oai2d`` suffix.
    :param page_size: items per list page.
    :param token_ttl: lifetime of a resumption token (and of an idle scroll) in seconds.
    :param secret: key that signs resumption tokens.
    :param set_prefix: prefix of community sets.
    :param id_prefix: the repository part of OAI identifiers.
    :param repository_name: ``repositoryName`` in Identify.
    :param admin_email: ``adminEmail`` in Identify.
    :param clock: returns the current time as a Unix timestamp (tokens, responseDate).
    :param exact_multiple_quirk: reproduce Zenodo's extra empty page after an exact multiple.
    """

    def __init__(
        self,
        source: OaiRecordSource,
        *,
        base_url: str,
        page_size: int = 50,
        token_ttl: int = 120,
        secret: str,
        set_prefix: str = "user-",
        id_prefix: str = "zenodo.org",
        repository_name: str = "Zenodo",
        admin_email: str = "info@zenodo.org",
        clock: Callable[[], float] = time.time,
        exact_multiple_quirk: bool = True,
    ) -> None:
        if page_size < 1 or token_ttl < 1:
            raise ValueError("page_size and token_ttl must be positive")
        self._source = source
        self._base_url = base_url
        self._page_size = page_size
        self._token_ttl = token_ttl
        self._id_prefix = id_prefix
        self._repository_name = repository_name
        self._admin_email = admin_email
        self._clock = clock
        self._quirk = exact_multiple_quirk
        self._tokens = Tokens(secret, token_ttl, clock)
        self._scrolls = Scrolls(token_ttl, clock)
        site_url = base_url.rstrip("/").removesuffix("/oai2d")
        self._format_ctx = FormatContext(id_prefix=id_prefix, site_url=site_url,
                                         set_prefix=set_prefix)

    def handle(self, params: Mapping[str, Sequence[str]],
               form: Mapping[str, Sequence[str]] | None = None) -> tuple[int, bytes]:
        """Answer one OAI-PMH request.

        :param params: the query string's arguments with every value each was given.
        :param form: a POST form body's arguments (see :mod:`zenodo_sandbox.oai_args`).
        :returns: (HTTP status, XML bytes): 200 with the answer, or 422 with OAI errors.
        :raises OaiServerError: where Zenodo answers 500.
        """
        try:
            tree = self._dispatch(load(params, form, formats=METADATA_FORMATS))
        except OaiError as error:
            return 422, self._error_body(error.errors)
        return 200, etree.tostring(tree, pretty_print=True, xml_declaration=True,
                                   encoding="UTF-8")

    def _dispatch(self, parsed: OaiArgs) -> etree._ElementTree:
        verb, kwargs, payload = parsed.verb, dict(parsed.args), None
        if parsed.token is not None and verb in PAGED:
            try:
                payload = self._tokens.load(verb, parsed.token)
            except BadToken as exc:
                raise OaiError(_EXPIRED) from exc
            kwargs.update(_load_kwargs(payload["kwargs"]))
        attrs = {k: echo_datestamp(v) if k in ("from", "until") else v
                 for k, v in parsed.args.items()}
        if verb == "Identify":
            return self._identify(attrs)
        if verb == "ListMetadataFormats":
            return self._list_metadata_formats(attrs, kwargs.get("identifier"))
        if verb == "ListSets":
            return self._list_sets(attrs, payload)
        if verb == "GetRecord":
            return self._get_record(attrs, kwargs)
        if verb in ("ListIdentifiers", "ListRecords"):
            return self._list_records(verb, attrs, kwargs, payload)
        raise OaiServerError(f"no response for verb {verb}")  # GetMetadata passes validation

    # --- verbs ---------------------------------------------------------------------------

    def _identify(self, attrs: dict[str, Any]) -> etree._ElementTree:
        tree, body = self._verb_tree(attrs)
        earliest = self._source.earliest_datestamp() or _EARLIEST_FALLBACK
        for name, value in (
            ("repositoryName", self._repository_name),
            ("baseURL", self._base_url),
            ("protocolVersion", "2.0"),
            ("adminEmail", self._admin_email),
            ("earliestDatestamp", datestamp(earliest)),
            ("deletedRecord", "no"),
            ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
        ):
            etree.SubElement(body, f"{_Q}{name}").text = value
        return tree

    def _list_metadata_formats(self, attrs: dict[str, Any],
                               identifier: str | None) -> etree._ElementTree:
        if identifier is not None:
            self._find_record(identifier)
        tree, body = self._verb_tree(attrs)
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            element = etree.SubElement(body, f"{_Q}metadataFormat")
            etree.SubElement(element, f"{_Q}metadataPrefix").text = prefix
            etree.SubElement(element, f"{_Q}schema").text = schema
            etree.SubElement(element, f"{_Q}metadataNamespace").text = namespace
        return tree

    def _list_sets(self, attrs: dict[str, Any],
                   payload: dict[str, Any] | None) -> etree._ElementTree:
        """Sets come from the database (SQLAlchemy ``paginate``): no exact-multiple quirk."""
        page = payload["page"] if payload else 1
        sets = self._source.oai_sets()
        size = self._page_size
        tree, body = self._verb_tree(attrs)
        for spec, name in sets[(page - 1) * size: page * size]:
            element = etree.SubElement(body, f"{_Q}set")
            etree.SubElement(element, f"{_Q}setSpec").text = clean_text(spec)
            etree.SubElement(element, f"{_Q}setName").text = clean_text(name)
        pages = -(-len(sets) // size)
        has_next = page < pages
        token = self._tokens.dump("ListSets", page + 1, {}) if has_next else None
        self._resumption_token(body, page, len(sets), has_next, token)
        return tree

    def _get_record(self, attrs: dict[str, Any], kwargs: dict[str, Any]) -> etree._ElementTree:
        record = self._find_record(kwargs["identifier"])
        tree, body = self._verb_tree(attrs)
        self._record(body, record, kwargs["metadataPrefix"])
        return tree

    def _list_records(self, verb: str, attrs: dict[str, Any], kwargs: dict[str, Any],
                      payload: dict[str, Any] | None) -> etree._ElementTree:
        size = self._page_size
        if payload is None:
            page, scroll_id = 1, None
            ids = self._source.oai_ids(set_spec=kwargs.get("set"),
                                       from_=as_utc(kwargs.get("from")),
                                       until=as_utc(kwargs.get("until")))
            total = len(ids)
            if total == 0:
                raise OaiError(("noRecordsMatch", ""))
            has_next = self._has_next(page, total)
            if has_next:
                scroll_id, batch = self._scrolls.open(ids, size)
            else:
                batch = ids[:size]
        else:
            page, scroll_id = payload["page"], payload.get("scroll_id")
            found = self._scrolls.next(scroll_id, size) if scroll_id else None
            if found is None:  # cleared after the last page, or expired: the search engine's
                raise OaiServerError("search scroll not found")  # 404 is Zenodo's 500
            batch, total = found
            has_next = self._has_next(page, total)
            if not has_next:
                self._scrolls.close(scroll_id)
        tree, body = self._verb_tree(attrs)
        for recid in batch:
            record = self._source.oai_record(recid)
            if record is None:  # deleted since the scroll opened
                continue
            if verb == "ListIdentifiers":
                self._header(body, record)
            else:
                self._record(body, record, kwargs["metadataPrefix"])
        token = None
        if has_next:
            token = self._tokens.dump(verb, page + 1, _dump_kwargs(kwargs), scroll_id)
        self._resumption_token(body, page, total, has_next, token)
        return tree

    # --- building blocks -----------------------------------------------------------------

    def _has_next(self, page: int, total: int) -> bool:
        """Zenodo's ``page * per_page <= total`` (the exact-multiple quirk), or the protocol's."""
        end = page * self._page_size
        return end <= total if self._quirk else end < total

    def _find_record(self, identifier: str) -> OaiRecord:
        """Return the record named by an OAI identifier, or raise ``idDoesNotExist``."""
        prefix = f"oai:{self._id_prefix}:"
        number = identifier.removeprefix(prefix)
        record = None
        # at most 18 digits: larger ids cannot exist and would overflow a BIGINT lookup
        if identifier.startswith(prefix) and number.isascii() and number.isdigit() \
                and len(number) <= 18:
            record = self._source.oai_record(int(number))
        if record is None:
            raise OaiError(("idDoesNotExist", "No matching identifier"))
        return record

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _envelope(self, attrs: Mapping[str, str]) -> tuple[etree._ElementTree, etree._Element]:
        """Build the ``<OAI-PMH>`` root with the stylesheet PI, responseDate and request."""
        root = etree.Element(f"{_Q}OAI-PMH", nsmap={None: NS_OAI, "xsi": NS_XSI})
        root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI} {NS_OAI}OAI-PMH.xsd")
        tree = etree.ElementTree(root)
        root.addprevious(etree.ProcessingInstruction(
            "xml-stylesheet", f'type="text/xsl" href="{XSL_URL}"'
        ))
        etree.SubElement(root, f"{_Q}responseDate").text = datestamp(self._now())
        request = etree.SubElement(root, f"{_Q}request")
        for name, value in attrs.items():
            request.set(name, clean_text(value))
        request.text = self._base_url
        return tree, root

    def _verb_tree(self, attrs: dict[str, Any]) -> tuple[etree._ElementTree, etree._Element]:
        tree, root = self._envelope(attrs)
        return tree, etree.SubElement(root, f"{_Q}{attrs['verb']}")

    def _error_body(self, errors: list[tuple[str, str]]) -> bytes:
        tree, root = self._envelope({})
        for code, message in errors:
            element = etree.SubElement(root, f"{_Q}error", code=code)
            element.text = clean_text(message)
        return etree.tostring(tree)

    def _header(self, parent: etree._Element, record: OaiRecord) -> None:
        header = etree.SubElement(parent, f"{_Q}header")
        etree.SubElement(header, f"{_Q}identifier").text = f"oai:{self._id_prefix}:{record.recid}"
        etree.SubElement(header, f"{_Q}datestamp").text = datestamp(record.updated)
        for spec in record.sets:
            etree.SubElement(header, f"{_Q}setSpec").text = clean_text(spec)

    def _record(self, parent: etree._Element, record: OaiRecord, prefix: str) -> None:
        element = etree.SubElement(parent, f"{_Q}record")
        self._header(element, record)
        metadata = etree.SubElement(element, f"{_Q}metadata")
        metadata.append(serialise(prefix, record, self._format_ctx))

    def _resumption_token(self, parent: etree._Element, page: int, total: int, has_next: bool,
                          token: str | None) -> None:
        """Append ``<resumptionToken>`` unless the whole list fits on the first page; the last
        page's token is empty (attributes only)."""
        if page == 1 and not has_next:
            return
        element = etree.SubElement(parent, f"{_Q}resumptionToken")
        if total:
            expires = self._now() + timedelta(seconds=self._token_ttl)
            element.set("expirationDate", datestamp(expires))
            element.set("cursor", str((page - 1) * self._page_size))
            element.set("completeListSize", str(total))
        if token:
            element.text = token


def _dump_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The list arguments a token carries (``from``/``until`` as ISO strings)."""
    out = {}
    for name in ("from", "until", "set", "metadataPrefix"):
        if name in kwargs:
            value = kwargs[name]
            out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _load_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    for name in ("from", "until"):
        if isinstance(out.get(name), str):
            out[name] = parse_date(out[name])
    return out
