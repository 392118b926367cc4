"""Answer OAI-PMH 2.0 requests the way Zenodo's ``/oai2d`` does, quirks included (HTTP 422
errors, the extra empty page when the total is an exact multiple of the page size, inclusive
``from``/``until``); zenodo_sandbox/README.md, section "OAI-PMH", lists the behaviour."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from lxml import etree

from zenodo_sandbox.oai_fields import FormatContext, clean_text
from zenodo_sandbox.oai_formats import METADATA_FORMATS, datestamp, serialise
from zenodo_sandbox.oai_record import OaiRecord, OaiRecordSource

NS_OAI = "http://www.openarchives.org/OAI/2.0/"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSL_URL = "/static/oai2.xsl"
_Q = f"{{{NS_OAI}}}"
_EARLIEST_FALLBACK = datetime(1, 1, 1, tzinfo=UTC)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_EXPIRED_MESSAGE = "The value of the resumptionToken argument is invalid or expired."

#: verb -> (required arguments, optional arguments), ``verb`` itself excluded.
_VERB_ARGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
}
_PAGED_VERBS = frozenset({"ListSets", "ListIdentifiers", "ListRecords"})


class OaiError(Exception):
    """An OAI-PMH protocol error, answered with HTTP 422 and ``<error code=...>``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads time from an injectable clock."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        """Return the current time of the injected clock in whole seconds."""
        return int(self._clock())


class OaiPmhEndpoint:
    """Answer OAI-PMH requests for the records of an :class:`OaiRecordSource`.

    :param source: where records and sets come from.
    :param base_url: the public URL of the endpoint (``.../oai2d``); the site root for record and
        community links is this URL without its ``/oai2d`` suffix.
    :param page_size: items per list page.
    :param token_ttl: lifetime of a resumption token in seconds.
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
        self._secret = secret
        self._id_prefix = id_prefix
        self._repository_name = repository_name
        self._admin_email = admin_email
        self._clock = clock
        self._quirk = exact_multiple_quirk
        site_url = base_url.rstrip("/").removesuffix("/oai2d")
        self._format_ctx = FormatContext(id_prefix=id_prefix, site_url=site_url,
                                         set_prefix=set_prefix)

    def handle(self, params: Mapping[str, Sequence[str]]) -> tuple[int, bytes]:
        """Answer one OAI-PMH request (GET query or POST form, each arg may repeat).

        :param params: every argument name with all the values it was given.
        :returns: (HTTP status, XML bytes): 200 with the answer, or 422 with an OAI error.
        """
        try:
            args = _single_values(params)
            tree = self._dispatch(args)
        except OaiError as error:
            return 422, self._error_body(error)
        body = etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8")
        return 200, body

    def _dispatch(self, args: dict[str, str]) -> etree._ElementTree:
        """Validate the arguments and run the verb."""
        verb = args.pop("verb", None)
        if verb is None:
            raise OaiError("badVerb", "Missing data for required field: verb.")
        if verb not in _VERB_ARGS:
            raise OaiError("badVerb", f"This is not a valid OAI-PMH verb:{verb}")
        attrs = {"verb": verb, **args}
        if verb in _PAGED_VERBS and "resumptionToken" in args:
            if len(args) > 1:
                raise OaiError("badArgument", "You have passed too many arguments.")
            args, offset = self._load_token(verb, args["resumptionToken"])
        else:
            _check_arguments(verb, args)
            offset = 0
        if verb == "Identify":
            return self._identify(attrs)
        if verb == "ListMetadataFormats":
            return self._list_metadata_formats(attrs, args.get("identifier"))
        if verb == "ListSets":
            return self._list_sets(attrs, offset)
        if verb == "GetRecord":
            return self._get_record(attrs, args)
        return self._list_records(verb, attrs, args, offset)

    # --- verbs ---------------------------------------------------------------------------

    def _identify(self, attrs: dict[str, str]) -> etree._ElementTree:
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

    def _list_metadata_formats(
        self, attrs: dict[str, str], identifier: str | None
    ) -> etree._ElementTree:
        if identifier is not None:
            self._find_record(identifier)
        tree, body = self._verb_tree(attrs)
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            element = etree.SubElement(body, f"{_Q}metadataFormat")
            etree.SubElement(element, f"{_Q}metadataPrefix").text = prefix
            etree.SubElement(element, f"{_Q}schema").text = schema
            etree.SubElement(element, f"{_Q}metadataNamespace").text = namespace
        return tree

    def _list_sets(self, attrs: dict[str, str], offset: int) -> etree._ElementTree:
        sets = self._source.oai_sets()
        tree, body = self._verb_tree(attrs)
        for spec, name in sets[offset:offset + self._page_size]:
            element = etree.SubElement(body, f"{_Q}set")
            etree.SubElement(element, f"{_Q}setSpec").text = clean_text(spec)
            etree.SubElement(element, f"{_Q}setName").text = clean_text(name)
        # Zenodo pages sets with SQLAlchemy's paginate: no exact-multiple quirk here.
        has_next = offset + self._page_size < len(sets)
        self._resumption_token(body, "ListSets", {}, offset, len(sets), has_next)
        return tree

    def _get_record(self, attrs: dict[str, str], args: dict[str, str]) -> etree._ElementTree:
        prefix = _metadata_prefix(args)
        record = self._find_record(args["identifier"])
        tree, body = self._verb_tree(attrs)
        self._record(body, record, prefix)
        return tree

    def _list_records(
        self, verb: str, attrs: dict[str, str], args: dict[str, str], offset: int
    ) -> etree._ElementTree:
        prefix = _metadata_prefix(args)
        from_, until = parse_window(args.get("from"), args.get("until"))
        records, total = self._source.oai_records(
            set_spec=args.get("set"), from_=from_, until=until, offset=offset,
            limit=self._page_size,
        )
        if total == 0:
            raise OaiError("noRecordsMatch")
        tree, body = self._verb_tree(attrs)
        for record in records:
            if verb == "ListIdentifiers":
                self._header(body, record)
            else:
                self._record(body, record, prefix)
        end = offset + self._page_size
        has_next = end <= total if self._quirk else end < total
        self._resumption_token(body, verb, args, offset, total, has_next)
        return tree

    # --- building blocks -----------------------------------------------------------------

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
            raise OaiError("idDoesNotExist", "No matching identifier")
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

    def _verb_tree(self, attrs: dict[str, str]) -> tuple[etree._ElementTree, etree._Element]:
        tree, root = self._envelope(attrs)
        return tree, etree.SubElement(root, f"{_Q}{attrs['verb']}")

    def _error_body(self, error: OaiError) -> bytes:
        tree, root = self._envelope({})
        element = etree.SubElement(root, f"{_Q}error", code=error.code)
        element.text = clean_text(error.message)
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

    def _resumption_token(
        self, parent: etree._Element, verb: str, args: dict[str, str], offset: int, total: int,
        has_next: bool,
    ) -> None:
        """Append ``<resumptionToken>`` unless the whole list fits on the first page."""
        if offset == 0 and not has_next:
            return
        expires = self._now() + timedelta(seconds=self._token_ttl)
        element = etree.SubElement(parent, f"{_Q}resumptionToken")
        element.set("expirationDate", datestamp(expires))
        element.set("cursor", str(offset))
        element.set("completeListSize", str(total))
        if has_next:
            payload = {"args": args, "offset": offset + self._page_size}
            element.text = self._serializer(verb).dumps(payload)

    def _serializer(self, verb: str) -> URLSafeTimedSerializer:
        """Return the token serializer for ``verb`` (the verb is the salt)."""
        return URLSafeTimedSerializer(
            self._secret, salt=f"oai-{verb}", signer=_ClockSigner,
            signer_kwargs={"clock": self._clock},
        )

    def _load_token(self, verb: str, token: str) -> tuple[dict[str, str], int]:
        """Return the original arguments and offset a token carries, or raise."""
        try:
            payload = self._serializer(verb).loads(token, max_age=self._token_ttl)
        except BadData as exc:
            raise OaiError("badResumptionToken", _EXPIRED_MESSAGE) from exc
        args, offset = payload.get("args"), payload.get("offset")
        if not isinstance(args, dict) or not isinstance(offset, int) or offset < 0:
            raise OaiError("badResumptionToken", _EXPIRED_MESSAGE)
        return args, offset


def _single_values(params: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Return one value per argument; a repeated or empty argument is an error."""
    args: dict[str, str] = {}
    for name, values in params.items():
        if isinstance(values, str):
            values = [values]
        if len(values) != 1:
            code = "badVerb" if name == "verb" else "badArgument"
            raise OaiError(code, f"Argument {name!r} must be given exactly once.")
        if values[0] == "" and name != "verb":
            raise OaiError("badArgument", f"Argument {name!r} is empty.")
        args[name] = values[0]
    return args


def _check_arguments(verb: str, args: Mapping[str, str]) -> None:
    """Raise ``badArgument`` for missing or extra arguments of ``verb``."""
    required, optional = _VERB_ARGS[verb]
    if set(args) - required - optional:
        raise OaiError("badArgument", "You have passed too many arguments.")
    missing = sorted(required - set(args))
    if missing:
        raise OaiError("badArgument", f"Missing data for required field: {', '.join(missing)}.")


def _metadata_prefix(args: Mapping[str, str]) -> str:
    """Return the requested metadataPrefix if it is served, else raise ``badArgument``."""
    prefix = args["metadataPrefix"]
    if prefix not in METADATA_FORMATS:
        raise OaiError("badArgument", "metadataPrefix does not exist")
    return prefix


def parse_window(
    from_arg: str | None, until_arg: str | None
) -> tuple[datetime | None, datetime | None]:
    """Return inclusive UTC bounds for ``from``/``until``, or raise ``badArgument``.

    A date-only bound covers its whole day and a full datestamp its whole second, so ``until``
    comes back as the last microsecond it covers.
    """
    bounds: list[datetime | None] = []
    day_granularity: set[bool] = set()
    for name, value in (("from", from_arg), ("until", until_arg)):
        if value is None:
            bounds.append(None)
            continue
        is_day = bool(_DAY.fullmatch(value))
        if not is_day and not _SECOND.fullmatch(value):
            raise OaiError("badArgument", f"{name}: not a valid datestamp: {value!r}")
        try:
            moment = datetime.strptime(value, "%Y-%m-%d" if is_day else "%Y-%m-%dT%H:%M:%SZ")
        except ValueError as exc:
            raise OaiError("badArgument", f"{name}: not a valid datestamp: {value!r}") from exc
        day_granularity.add(is_day)
        bounds.append(moment.replace(tzinfo=UTC))
    from_, until = bounds
    if len(day_granularity) > 1:
        raise OaiError("badArgument", '"from" and "until" must have the same granularity.')
    if from_ is not None and until is not None and from_ > until:
        raise OaiError("badArgument", 'Date "from" must be before "until".')
    if until is not None:
        span = timedelta(days=1) if day_granularity == {True} else timedelta(seconds=1)
        until = until + span - timedelta(microseconds=1)
    return from_, until
