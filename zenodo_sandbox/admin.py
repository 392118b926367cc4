"""What the admin API reports and does: state summaries, request counts, seeding, reset."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from zenodo_sandbox.core import ApiError, Context, current_metadata, iso
from zenodo_sandbox.deposits import reindex
from zenodo_sandbox.storage import Deposition, StoredFile
from zenodo_sandbox.zenodojson import versions_of

#: Depositions read from the store at a time when listing records.
_SCAN_PAGE = 2000

SEED_METADATA: dict[str, Any] = {
    "upload_type": "image", "image_type": "photo", "publication_date": "2024-01-01",
    "title": "Seeded specimen {n}", "creators": [{"name": "Sandbox, Seeder"}],
    "description": "Seeded record {n}.", "access_right": "open", "license": "cc-by-4.0",
}


def counts(ctx: Context) -> dict[str, Any]:
    """Return deposition counts by state, overall and per owner."""
    by_state: Counter[str] = Counter()
    by_owner: dict[str, dict[str, int]] = {}
    for owner, state, count in ctx.storage.state_counts():
        by_state[state] += count
        by_owner.setdefault(owner, {})[state] = count
    return {"total": sum(by_state.values()), "by_state": dict(by_state), "by_owner": by_owner}


def _files(ctx: Context, depid: int) -> list[dict[str, Any]]:
    return [{"id": f.id, "key": f.key, "size": f.size, "md5": f.md5}
            for f in ctx.storage.files(depid)]


def summary(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return everything the server holds about one deposition."""
    return {
        "id": dep.id, "owner": dep.owner, "state": "deleted" if dep.deleted else dep.state,
        "submitted": dep.submitted, "conceptrecid": dep.conceptrecid,
        "doi": ctx.doi(dep.id) if dep.submitted else None,
        "conceptdoi": ctx.doi(dep.conceptrecid) if dep.submitted else None,
        "title": current_metadata(dep).get("title"), "metadata": current_metadata(dep),
        "record_metadata": dep.record, "communities": dep.communities,
        "created": iso(dep.created), "modified": iso(dep.modified),
        "published": iso(dep.published), "updated": iso(dep.updated),
        "files": _files(ctx, dep.id),
    }


def depositions(ctx: Context, params: dict[str, str]) -> list[dict[str, Any]]:
    """List depositions, optionally filtered by ``owner`` and ``state``."""
    found = ctx.storage.all_depositions(params.get("owner"))
    state = params.get("state")
    return [summary(ctx, d) for d in found
            if not state or (("deleted" if d.deleted else d.state) == state)]


def published(ctx: Context, params: dict[str, str]) -> list[dict[str, Any]]:
    """List published records (``owner``, ``community``, ``conceptrecid``, ``include_deleted``
    filters), each with its ``version`` (1-based, as zenodo-rdm's ``versions.index``) and
    whether it is the concept's latest (``is_latest``): the versions of one record are the
    records sharing its ``conceptrecid``. Paged with ``size`` (at most that many) and
    ``after`` (ids above it): a page shorter than ``size`` is the last."""
    keep_deleted = params.get("include_deleted", "").lower() in ("1", "true")
    owner, community = params.get("owner"), params.get("community")
    concept = params.get("conceptrecid")

    def wanted(dep: Deposition) -> bool:
        return (dep.submitted and (keep_deleted or not dep.deleted)
                and (not owner or dep.owner == owner)
                and (not community or community in dep.communities)
                and (not concept or str(dep.conceptrecid) == concept))

    result = []
    for dep in _scan(ctx, params):
        if not wanted(dep):
            continue
        item = summary(ctx, dep)
        item["metadata"] = dep.record
        index, is_latest = versions_of(ctx, dep)
        item["version"], item["is_latest"] = index + 1, is_latest
        result.append(item)
        if "size" in params and len(result) >= int(params["size"]):
            break
    return result


def _scan(ctx: Context, params: dict[str, str]) -> Iterator[Deposition]:
    """Every deposition by id, from above ``after`` when given, read a page at a time (a
    census of pilot 2's 281,372 records is paged: ``size`` records after ``after``)."""
    after = int(params.get("after", 0))
    while True:
        page = ctx.storage.depositions_after(after, _SCAN_PAGE)
        yield from page
        if len(page) < _SCAN_PAGE:
            return
        after = page[-1].id


def request_report(entries: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    """Filter the request log (``kind``, ``method``, ``status``, ``token``, ``since``)."""
    def keep(entry: dict[str, Any]) -> bool:
        return all(str(entry.get(name)) == params[name]
                   for name in ("kind", "method", "status", "token", "path") if name in params
                   ) and entry["time"] >= float(params.get("since", 0))

    kept = [e for e in entries if keep(e)]
    return {
        "total": len(kept),
        "counts": {
            "by_kind": dict(Counter(str(e["kind"]) for e in kept)),
            "by_status": dict(Counter(str(e["status"]) for e in kept)),
            "by_token": dict(Counter(str(e["token"]) for e in kept)),
            "by_fault": dict(Counter(str(e["fault"]) for e in kept if e["fault"])),
        },
        "requests": kept,
    }


def _fill(template: Any, n: int) -> Any:
    if isinstance(template, str):
        return template.replace("{n}", str(n))
    if isinstance(template, list):
        return [_fill(item, n) for item in template]
    if isinstance(template, dict):
        return {k: _fill(v, n) for k, v in template.items()}
    return template


def seed(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Create published records directly (for tests and benchmarks).

    Body: ``count`` (default 1), ``owner`` (a configured user name; default the first),
    ``communities`` (slugs), ``metadata`` (template; ``{n}`` is replaced by 1..count),
    ``file`` (``{"key": ..., "content": ...}``; default a small text file).
    """
    count = int(body.get("count", 1))
    owners = sorted(set(ctx.config.tokens.values()))
    owner = body.get("owner") or (owners[0] if owners else "seed")
    if not 1 <= count <= 100_000:
        raise ApiError(400, "count must be between 1 and 100000")
    template = body.get("metadata") or SEED_METADATA
    communities = list(body.get("communities") or [])
    spec = body.get("file") or {"key": "specimen-{n}.txt", "content": "specimen {n}\n"}
    ids = []
    with ctx.storage.transaction() as db:
        for n in range(1, count + 1):
            now = ctx.clock()
            metadata = copy.deepcopy(_fill(template, n))
            metadata["communities"] = [{"identifier": c} for c in communities]
            dep = Deposition(id=0, conceptrecid=str(db.new_pid()), owner=owner, state="done",
                             bucket=str(uuid.uuid4()), created=now, modified=now,
                             submitted=True, record=metadata, communities=communities,
                             published=now, updated=now)
            dep.id = db.new_pid()
            db.save(dep)
            blob = ctx.blobs.write_chunks([_fill(spec["content"], n).encode()],
                                          ctx.config.quota_bytes)
            db.put_file(StoredFile(str(uuid.uuid4()), dep.id, _fill(spec["key"], n), blob.size,
                                   blob.md5, "text/plain", str(uuid.uuid4()), now, now,
                                   blob.path))
            reindex(ctx, dep, published=True)
            ids.append(dep.id)
    return {"count": len(ids), "ids": ids}


def tombstone(ctx: Context, recid: int) -> dict[str, Any]:
    """Delete a published record: it answers 410 and leaves search and OAI-PMH."""
    with ctx.storage.transaction() as db:
        dep = db.get(recid)
        if dep is None or not dep.submitted:
            raise ApiError(404, "The persistent identifier does not exist.")
        dep.deleted, dep.modified = True, ctx.clock()
        db.save(dep)
        reindex(ctx, dep, removed=True)
    return summary(ctx, dep)
