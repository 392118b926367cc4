"""Zenodo's licence ids that are not plain SPDX ids, written out by hand.

Facts read from zenodo-rdm's ``legacy/zenodo_legacy/licenses.py`` (``LEGACY_ALIASES`` and
``legacy_to_rdm``: lowercase, apply an alias, look the result up in the legacy map) and its
licence vocabulary. Every id on the right is an RDM licence id (a lowercased SPDX id unless it
is one of :data:`ZENODO_IDS`).
"""

from __future__ import annotations

#: Legacy licence id -> the RDM id zenodo.org stores for it. The aliases win over the legacy
#: map (``cc-by`` is CC BY 4.0, not 1.0); the last five are legacy-map keys with no alias.
LEGACY_ALIASES: dict[str, str] = {
    "agpl-v3": "agpl-3.0-only",
    "agpl-3.0": "agpl-3.0-only",
    "apache": "apache-2.0",
    "apache2.0": "apache-2.0",
    "apl1.0": "apl-1.0",
    "artistic-license-2.0": "artistic-2.0",
    "attribution": "aal",
    "bsl1.0": "bsl-1.0",
    "ca-tosl1.1": "catosl-1.1",
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-zero": "cc0-1.0",
    "cddl1": "cddl-1.0",
    "cpal_1.0": "cpal-1.0",
    "cuaoffice": "cua-opl-1.0",
    "ecl2": "ecl-2.0",
    "eclipse-1.0": "epl-1.0",
    "eiffel": "efl-2.0",
    "frameworx": "frameworx-1.0",
    "ibmpl": "ipl-1.0",
    "intel-osl": "intel",
    "ipafont": "ipa",
    "isc-license": "isc",
    "lucent1.02": "lpl-1.02",
    "mit-license": "mit",
    "mozilla": "mpl-1.0",
    "mozilla1.1": "mpl-1.1",
    "nasa1.3": "nasa-1.3",
    "nethack": "ngpl",
    "nosl3.0": "nposl-3.0",
    "ntp-license": "ntp",
    "oclc2": "oclc-2.0",
    "odc-by": "odc-by-1.0",
    "odc-odbl": "odbl-1.0",
    "odc-pddl-1.0": "pddl-1.0",
    "openfont": "ofl-1.1",
    "opengroup": "ogtsl",
    "php": "php-3.0",
    "pythonpl": "cnri-python",
    "pythonsoftfoundation": "python-2.0",
    "qtpl": "qpl-1.0",
    "real": "rpsl-1.0",
    "ricohpl": "rscpl",
    "rpl1.5": "rpl-1.5",
    "sun-issl": "sissl",
    "sunpublic": "spl-1.0",
    "sybase": "watcom-1.0",
    "tcl": "tcl",
    "uk-ogl": "ogl-uk-1.0",
    "uoi-ncsa": "ncsa",
    "ver2_eiffel": "efl-2.0",
    "vovidapl": "vsl-1.0",
    "zlib-license": "zlib",
    "zpl": "zpl-2.0",
    "apgl-v3": "agpl-3.0-only",
    "bsd-license": "bsd-1-clause",
    "canada-crown": "ogl-canada-2.0",
    "cc-nc": "cc-by-nc-2.0",
    "odc-pddl": "pddl-1.0",
}

#: Deprecated SPDX ids zenodo.org maps other than to ``<id>-only`` / ``<id>-or-later``.
DEPRECATED_SPDX: dict[str, str] = {
    "bsd-2-clause-freebsd": "bsd-2-clause-views",
    "bsd-2-clause-netbsd": "bsd-2-clause",
    "standardml-nj": "smlnj",
    "bzip2-1.0.5": "bzip2-1.0.5",
    "net-snmp": "net-snmp",
    "wxwindows": "wxwindows",
}

#: zenodo.org's own licence ids (legacy and RDM alike) that are not SPDX ids.
ZENODO_IDS = frozenset({
    "against-drm", "dli-model-use", "dsl", "eurofound", "geo-no-fee-unrestricted", "geogratis",
    "hesa-withrights", "jabber-osl", "localauth-withrights", "lucent-plan9", "met-office-cp",
    "mitre", "notspecified", "other-at", "other-closed", "other-nc", "other-open", "other-pd",
    "ukclickusepsi", "ukcrown", "ukcrown-withrights", "ukpsi", "user-jsim",
    "zenodo-freetoread-1.0",
})

#: Legacy ids the deposit API takes (exact spelling) as a licence title without an RDM id:
#: their aliases lead nowhere in the legacy map, so no RDM body can name them.
LEGACY_TITLE_ONLY = frozenset({"fal", "gfdl"})
