"""Rows of the synthetic herbarium: realistic clean specimens and one builder per problem class.

Builders take a seeded random generator, so the sample is deterministic. Clean rows follow
pilot 1's shape, some with odd but valid text or warning-level quirks; each hostile row has
exactly one error-level problem.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

INSTITUTION = "SMPL"
COLLECTION = "HERB"
OCCURRENCE_BASE = "https://herbarium.example.org/specimen/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/legalcode"

#: (scientificName, kingdom, phylum, class, order, family, genus, specificEpithet)
SPECIES = [
    ("Allium angulosum L.", "Plantae", "Tracheophyta", "Liliopsida", "Asparagales",
     "Amaryllidaceae", "Allium", "angulosum"),
    ("Barleria velutina Champl.", "Plantae", "Tracheophyta", "Magnoliopsida", "Lamiales",
     "Acanthaceae", "Barleria", "velutina"),
    ("Acer platanoides L.", "Plantae", "Tracheophyta", "Magnoliopsida", "Sapindales",
     "Aceraceae", "Acer", "platanoides"),
    ("Quercus robur L.", "Plantae", "Tracheophyta", "Magnoliopsida", "Fagales", "Fagaceae",
     "Quercus", "robur"),
    ("Aconitum lycoctonum L. subsp. vulparia (Rchb.) Nyman", "Plantae", "Tracheophyta",
     "Magnoliopsida", "Ranunculales", "Ranunculaceae", "Aconitum", "lycoctonum"),
    ("Bellis perennis L.", "Plantae", "Tracheophyta", "Magnoliopsida", "Asterales",
     "Compositae", "Bellis", "perennis"),
    ("Mentha aquatica L.", "Plantae", "Tracheophyta", "Magnoliopsida", "Lamiales", "Labiatae",
     "Mentha", "aquatica"),
    ("Fagus sylvatica L.", "Plantae", "Tracheophyta", "Magnoliopsida", "Fagales", "Fagaceae",
     "Fagus", "sylvatica"),
    ("Poa annua L.", "Plantae", "Tracheophyta", "Liliopsida", "Poales", "Poaceae", "Poa",
     "annua"),
    ("Acer sp.", "Plantae", "Tracheophyta", "Magnoliopsida", "Sapindales", "Aceraceae", "Acer",
     None),
]
#: (countryCode, country, inner lat/lon box well inside the validator's box)
COUNTRIES = [
    ("BE", "Belgium", (50.0, 51.0, 3.5, 5.5)),
    ("EE", "Estonia", (58.0, 59.0, 24.0, 26.5)),
    ("CD", "Congo, Democratic Republic of the", (-11.5, 2.0, 18.0, 28.0)),
    ("KE", "Kenya", (-3.0, 3.0, 35.5, 39.5)),
    ("BR", "Brazil", (-25.0, -5.0, -60.0, -40.0)),
    ("MG", "Madagascar", (-23.0, -14.0, 44.5, 48.5)),
]
COLLECTORS = ["Malaisse F. & Goetghebeur P.", "J. Rubel", "Dillen M.", "Groom Q.",
              "Agosti D. | Nielsen L."]
LOCALITIES = ["Shinkolobwe, terr[itoire] Kambove",
              "Reval (=Tallinn): prope cimeterium Judaicum (=juudi surmaaia lähedal)",
              "Meise, Plantentuin, near the castle pond", "Road to Moramanga, km 12"]

ODD_VARIANTS = ("nfd", "rtl", "times", "diacritics", "long_locality", "partial_date",
                "range_date", "amp_ex")
WARNING_VARIANTS = ("zero_coords", "swapped_coords", "hybrid_x", "shared_catalog_number")
ERROR_CLASSES = ("missing_image", "zero_byte", "wrong_type", "truncated_jpeg", "unsafe_name",
                 "control_char_name", "bad_date", "coords_out_of_range", "invalid_country",
                 "over_long", "duplicate_key", "missing_name", "missing_key")


@dataclass
class SampleRow:
    """One generated row with the files to write for it and what validation should say."""

    terms: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # upload name -> kind to write
    variant: str = "clean"
    expect: str = "valid"  # valid | warning | error


def clean_row(rng: random.Random, index: int) -> SampleRow:
    """Return a clean pilot-1-shaped row with its image plan."""
    name, kingdom, phylum, klass, order, family, genus, epithet = rng.choice(SPECIES)
    code, country, (lat0, lat1, lon0, lon1) = rng.choice(COUNTRIES)
    day = dt.date(1850, 1, 1) + dt.timedelta(days=rng.randrange(60000))
    catalog = f"{INSTITUTION}{index:07d}"
    terms: dict[str, Any] = {
        "occurrenceID": OCCURRENCE_BASE + catalog, "catalogNumber": catalog,
        "institutionCode": INSTITUTION, "collectionCode": COLLECTION,
        "basisOfRecord": "PreservedSpecimen", "scientificName": name, "kingdom": kingdom,
        "phylum": phylum, "class": klass, "order": order, "family": family, "genus": genus,
        "specificEpithet": epithet, "recordedBy": rng.choice(COLLECTORS),
        "eventDate": day.isoformat(), "year": day.year, "month": day.month, "day": day.day,
        "countryCode": code, "country": country, "locality": rng.choice(LOCALITIES),
        "decimalLatitude": round(rng.uniform(lat0, lat1), 5),
        "decimalLongitude": round(rng.uniform(lon0, lon1), 5), "geodeticDatum": "WGS84",
        "language": rng.choice(["lat", "eng", "fra"]), "license": CC0,
    }
    files = {f"{catalog}.jpg": "jpeg"}
    if index % 10 == 3:
        files[f"{catalog}_lab.jpg"] = "jpeg"
    if index % 3 == 0:
        files[f"{catalog}.tif"] = "tiff"
        if f"{catalog}_lab.jpg" in files:
            files[f"{catalog}_lab.tif"] = "tiff"
    if index % 8 == 5:
        files[f"{catalog}_all.png"] = "png"
        files[f"{catalog}_sel.png"] = "png"
    return SampleRow(terms, files)


def apply_odd(row: SampleRow, variant: str) -> None:
    """Give a clean row odd but valid text (it must still publish)."""
    terms = row.terms
    row.variant = variant
    if variant == "nfd":
        terms["recordedBy"] = unicodedata.normalize("NFD", "Soják J. & Martinovský J.")
        terms["locality"] = unicodedata.normalize("NFD", "Prope Třeboň, ad ripam lacūs")
    elif variant == "rtl":
        terms["recordedBy"] = "محمد الأحمد"
        terms["locality"] = "ירושלים, הר הצופים"
    elif variant == "times":
        terms["scientificName"] = "Mentha ×smithiana R. A. Graham"
    elif variant == "diacritics":
        terms["scientificName"] = "Festuca pseudodalmatica (Györfi, 1952) Soják"
    elif variant == "long_locality":
        terms["locality"] = ("Reval (=Tallinn): prope cimeterium Judaicum, " * 18).strip()
    elif variant == "partial_date":
        terms["eventDate"] = f"{terms['year']}-{terms['month']:02d}"
        terms["day"] = None
    elif variant == "range_date":
        terms["eventDate"] = f"{terms['year']}/{terms['year'] + 9}"
        terms["month"] = terms["day"] = None
    elif variant == "amp_ex":
        terms["scientificName"] = ("Acer saccharum Marshall subsp. grandidentatum "
                                   "(Nutt. ex Torr. & A.Gray) Desmarais")


def apply_warning(row: SampleRow, variant: str, first: SampleRow) -> None:
    """Give a clean row a warning-level quirk (it is still published)."""
    terms = row.terms
    row.variant, row.expect = variant, "warning"
    if variant == "zero_coords":
        terms["decimalLatitude"] = terms["decimalLongitude"] = 0.0
    elif variant == "swapped_coords":
        terms.update(countryCode="CD", country="Congo, Democratic Republic of the",
                     decimalLatitude=26.5667, decimalLongitude=-11.0333)
    elif variant == "hybrid_x":
        terms["scientificName"] = "Acer x verhaegheanum Geerinck"
    elif variant == "shared_catalog_number":
        old = terms["catalogNumber"]
        terms["catalogNumber"] = first.terms["catalogNumber"]
        row.files = {name.replace(old, terms["catalogNumber"]): kind
                     for name, kind in first.files.items()}


def apply_error(row: SampleRow, klass: str, first: SampleRow, index: int) -> None:
    """Give a clean row exactly one error-level problem of class ``klass``."""
    terms = row.terms
    row.variant, row.expect = klass, "error"
    main = f"{terms['catalogNumber']}.jpg"
    if klass in ("missing_image", "zero_byte", "wrong_type", "truncated_jpeg"):
        row.files[main] = {"missing_image": "missing", "zero_byte": "empty",
                           "wrong_type": "png-as-jpeg", "truncated_jpeg": "truncated"}[klass]
    elif klass in ("unsafe_name", "control_char_name"):
        terms["catalogNumber"] = (f"../escape{index}" if klass == "unsafe_name"
                                  else f"{INSTITUTION}\u0007{index}")
        row.files = {}
    elif klass == "bad_date":
        terms["eventDate"] = ("1931-06-00", "VI.1931", "1931-02-30")[index % 3]
        terms["year"] = terms["month"] = terms["day"] = None
    elif klass == "coords_out_of_range":
        terms["decimalLatitude"] = 95.5
    elif klass == "invalid_country":
        terms["countryCode"] = ("UK", "ZR")[index % 2]
    elif klass == "over_long":
        terms["locality"] = "Very long locality description; " * 100
    elif klass == "duplicate_key":
        terms["occurrenceID"] = first.terms["occurrenceID"]
        terms["catalogNumber"] = first.terms["catalogNumber"]
        row.files = dict.fromkeys(first.files, "shared")
    elif klass == "missing_name":
        terms["scientificName"] = None
    elif klass == "missing_key":
        terms["occurrenceID"] = terms["catalogNumber"] = None
        row.files = {}
