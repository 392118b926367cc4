"""ISO 3166-1 alpha-2 country codes (plus Darwin Core's ``ZZ`` and ``XZ``) and rough bounding
boxes of some countries, half a degree wide of their main territory; the boxes only feed
warnings, and countries without one are not checked.
"""

from __future__ import annotations

_ALPHA2_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """
ISO_3166_ALPHA2 = frozenset(_ALPHA2_TEXT.split())
DWC_SPECIAL_CODES = frozenset({"ZZ", "XZ"})
VALID_COUNTRY_CODES = ISO_3166_ALPHA2 | DWC_SPECIAL_CODES

#: code -> (min latitude, max latitude, min longitude, max longitude)
BOUNDING_BOXES: dict[str, tuple[float, float, float, float]] = {
    "BE": (49.0, 52.0, 2.0, 7.0),
    "NL": (50.2, 54.0, 2.8, 7.8),
    "DE": (46.7, 55.6, 5.3, 15.6),
    "EE": (57.0, 60.2, 21.2, 28.7),
    "FI": (59.3, 70.6, 20.0, 32.1),
    "SE": (54.8, 69.6, 10.5, 24.7),
    "IT": (35.0, 47.6, 6.1, 19.1),
    "GB": (49.3, 61.4, -9.2, 2.3),
    "CD": (-14.1, 5.9, 11.6, 31.9),
    "KE": (-5.2, 5.5, 33.4, 42.4),
    "ZA": (-35.4, -21.6, 15.9, 33.4),
    "MG": (-26.2, -11.4, 42.7, 51.0),
    "BR": (-34.3, 5.8, -74.5, -34.2),
    "PE": (-18.9, 0.5, -81.9, -68.2),
    "MX": (14.0, 33.3, -119.0, -86.2),
    "CA": (41.2, 83.7, -141.6, -52.1),
    "IN": (6.2, 36.2, 67.6, 97.9),
    "JP": (23.5, 46.1, 122.4, 146.5),
    "AU": (-44.2, -10.1, 112.8, 154.2),
}
