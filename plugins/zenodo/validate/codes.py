"""Language and country codes, looked up in pycountry: the one source for the validation rules
and for the language ids the mappings send.

Languages are given as ISO 639-3 ids, the ids of InvenioRDM's ``languages`` vocabulary that
zenodo.org uses. zenodo.org's deposit API maps a two-letter code to that id with pycountry and
passes three letters unchanged, so an unknown two-letter code, an ISO 639-2/B code (``ger``)
or a collective ISO 639-2 code (``afa``) is refused there (zenodo-rdm
``legacy/deserializers/metadata.py``, ``load_language``).
"""

from __future__ import annotations

import pycountry

#: Codes Darwin Core uses beyond ISO 3166-1: ``XZ`` (the high seas, Darwin Core's example) and
#: ``ZZ`` (unknown, as GBIF writes it).
DWC_SPECIAL_COUNTRY_CODES = frozenset({"XZ", "ZZ"})


def language_id(code: str) -> str | None:
    """Return the ISO 639-3 id of a language code, or ``None`` for a code that is not one.

    :param code: ISO 639-1 (two letters), ISO 639-2/B, ISO 639-2/T or ISO 639-3 (three
        letters), in any case; ``en``, ``eng``, ``ger`` and ``deu`` give ``eng``, ``eng``,
        ``deu``, ``deu``. Surrounding spaces are not removed (``' en'`` gives ``None``).
    """
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = (pycountry.languages.get(alpha_3=code)
                 or pycountry.languages.get(bibliographic=code))
    else:
        return None
    return None if found is None else found.alpha_3


def is_country_code(code: str) -> bool:
    """Tell whether ``code`` is an ISO 3166-1 alpha-2 code written as ISO writes it (upper
    case: ``NL``, not ``nl``) or one of :data:`DWC_SPECIAL_COUNTRY_CODES`."""
    if code in DWC_SPECIAL_COUNTRY_CODES:
        return True
    found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    return found is not None and found.alpha_2 == code
