"""Validate specimen records: each record gets a list of :class:`Problem`.

An ``error`` quarantines the record; a ``warning`` is reported and the record is sent (the
rules are listed in docs/collections.md). This module runs the rules and remembers the keys a
run has seen: later rows with a key already seen are errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from zenodo.config.collection_file import CollectionConfig
from zenodo.source.specimen import SpecimenRecord
from zenodo.validate import dates, files, geo, text
from zenodo.validate.problem import ERROR, WARNING, Problem, Severity

__all__ = ["DuplicateKeyTracker", "Problem", "Severity", "Validator", "has_errors",
           "quarantine_reasons", "validate_record"]


class DuplicateKeyTracker:
    """Remember keys (and catalogue numbers) seen so far in one collection run."""

    def __init__(self) -> None:
        self._keys: dict[str, int] = {}
        self._catalog: dict[tuple[str, str, str], int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def check(self, record: SpecimenRecord) -> list[Problem]:
        """Record ``record`` as seen and return its duplicate problems (if any)."""
        problems: list[Problem] = []
        if record.has_real_key:
            if record.key in self._keys:
                problems.append(Problem(record.key, "occurrenceID", ERROR,
                                        f"duplicate key: first seen at row "
                                        f"{self._keys[record.key]}"))
            else:
                self._keys[record.key] = record.row_number
        triplet = (record.term("institutionCode"), record.term("collectionCode"),
                   record.term("catalogNumber"))
        if triplet[2]:
            if triplet not in self._catalog:
                self._catalog[triplet] = record.row_number
            elif not problems:
                problems.append(Problem(record.key, "catalogNumber", WARNING,
                                        f"catalogNumber {triplet[2]!r} also at row "
                                        f"{self._catalog[triplet]}"))
        return problems


def validate_record(
    record: SpecimenRecord,
    *,
    image_root: Path | None = None,
    extra_files: int = 0,
    today: dt.date | None = None,
) -> list[Problem]:
    """Run every stateless rule on one record (no duplicate check).

    :param record: the record
    :param image_root: image files must resolve inside this folder
    :param extra_files: files the mapping adds to the deposit (the JSON-LD sidecar: 1)
    :param today: the date used for "in the future" checks
    """
    problems: list[Problem] = []
    problems.extend(text.check_key(record))
    problems.extend(text.check_required(record))
    problems.extend(text.check_strings(record))
    problems.extend(text.check_vocabularies(record))
    problems.extend(dates.check_dates(record, today))
    problems.extend(geo.check_coordinates(record))
    problems.extend(geo.check_country(record))
    problems.extend(files.check_files(record, image_root, extra_files))
    return problems


class Validator:
    """Validate the records of one collection run, in order, including duplicate keys.

    :param image_root: image files must resolve inside this folder
    :param extra_files: files the mapping adds to each deposit
    :param today: the date used for "in the future" checks (default: today)
    """

    def __init__(self, *, image_root: Path | None = None, extra_files: int = 0,
                 today: dt.date | None = None) -> None:
        self.image_root = image_root
        self.extra_files = extra_files
        self.today = today
        self.tracker = DuplicateKeyTracker()

    @classmethod
    def for_collection(cls, config: CollectionConfig, *, extra_files: int = 0) -> Validator:
        """Return a validator using the collection's image root."""
        return cls(image_root=config.image_root, extra_files=extra_files)

    def validate(self, record: SpecimenRecord) -> list[Problem]:
        """Return all problems of ``record``, including a duplicate key seen earlier."""
        problems = validate_record(record, image_root=self.image_root,
                                   extra_files=self.extra_files, today=self.today)
        problems.extend(self.tracker.check(record))
        return problems

    def validate_many(self, records: Iterable[SpecimenRecord]
                      ) -> Iterator[tuple[SpecimenRecord, list[Problem]]]:
        """Yield each record with its problems, streaming."""
        for record in records:
            yield record, self.validate(record)


def has_errors(problems: Iterable[Problem]) -> bool:
    """Tell whether any problem is an error (the record must be quarantined)."""
    return any(p.severity == ERROR for p in problems)


def quarantine_reasons(problems: Iterable[Problem]) -> list[str]:
    """Return the error problems as ``field: reason`` strings for the ledger."""
    return [f"{p.field}: {p.reason}" for p in problems if p.severity == ERROR]
