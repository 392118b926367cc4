"""Run the sandbox: ``python -m zenodo_sandbox --help`` lists every option.

Once listening, it prints ``SANDBOX_URL=http://HOST:PORT`` on stdout (one line, flushed), so a
parent process can read the URL when ``--port 0`` picked a free port.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

import uvicorn
import yaml

from zenodo_sandbox.app import create_app
from zenodo_sandbox.config import (
    LIMIT_PROFILES,
    IndexDelays,
    SandboxConfig,
    parse_limit_specs,
    parse_tokens,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    p = argparse.ArgumentParser(
        prog="python -m zenodo_sandbox",
        description="A local Zenodo-compatible server (deposit, records, OAI-PMH APIs) with "
                    "rate limits, fault injection and an admin API.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default %(default)s)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--public-url", default="",
                   help="base URL used in links (default http://HOST:PORT)")
    p.add_argument("--data-dir", type=Path, default=Path(".sandbox-data"),
                   help="SQLite file + files folder; state survives restarts (default "
                        "%(default)s)")
    p.add_argument("--token", action="append", default=[], metavar="NAME=SECRET",
                   help="an access token for user NAME (repeatable)")
    p.add_argument("--admin-token", default=None,
                   help="bearer token of the /admin API (admin API disabled without it)")
    p.add_argument("--faults", type=Path, default=None, metavar="FILE.yaml",
                   help="fault-injection config (see zenodo_sandbox.faults)")
    p.add_argument("--limits-profile", choices=sorted(LIMIT_PROFILES), default="zenodo",
                   help="zenodo = api 100/min,5000/h; guest 133/min,8000/h; search 30/min; "
                        "oai 30/min. none = no limits (default %(default)s)")
    p.add_argument("--rate-limit", action="append", default=[], metavar="KIND=LIMITS",
                   help="override one kind (api, guest, search, oai), e.g. api=100/min,5000/h "
                        "or oai=none (repeatable)")
    p.add_argument("--rate-limit-strategy", choices=["moving", "fixed"], default="moving",
                   help="window strategy (default %(default)s, as Zenodo)")
    p.add_argument("--index-delay", type=float, default=0.0,
                   help="seconds before a change shows in deposit search, records search and "
                        "OAI-PMH (default 0)")
    for name in ("deposit", "records", "oai"):
        p.add_argument(f"--{name}-index-delay", type=float, default=None,
                       help=f"override --index-delay for the {name} index")
    p.add_argument("--oai-page-size", type=int, default=50, help="OAI-PMH page size (50)")
    p.add_argument("--oai-token-ttl", type=int, default=120,
                   help="resumption token lifetime in seconds (120)")
    p.add_argument("--oai-set-prefix", default="user-", help="community set prefix (user-)")
    p.add_argument("--oai-secret", default=None,
                   help="key signing resumption tokens (default: random per start)")
    p.add_argument("--review", choices=("auto", "curator"), default="auto",
                   help="community submissions: accepted at once (auto), or left open until "
                        "POST /api/requests/{id}/actions/accept (curator)")
    p.add_argument("--doi-prefix", default="10.5072", help="DOI prefix (default %(default)s)")
    p.add_argument("--community", action="append", default=[], metavar="SLUG",
                   help="known communities (repeatable); unknown slugs are dropped silently at "
                        "publish, as on Zenodo. Without this flag every slug is accepted")
    p.add_argument("--max-files", type=int, default=100, help="files per record (100)")
    p.add_argument("--quota-bytes", type=int, default=50 * 10**9,
                   help="bytes per record (50 GB)")
    p.add_argument("--multipart-max-bytes", type=int, default=100 * 10**6,
                   help="largest multipart upload before 413 (100 MB)")
    p.add_argument("--log-level", default="info",
                   choices=["debug", "info", "warning", "error"],
                   help="info logs one line per request (default %(default)s)")
    return p


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Turn parsed arguments into a :class:`SandboxConfig` (URL filled in later)."""
    faults = None
    if args.faults is not None:
        faults = yaml.safe_load(args.faults.read_text(encoding="utf-8")) or {}
    delay = args.index_delay

    def pick(value: float | None) -> float:
        return delay if value is None else value

    config = SandboxConfig(
        data_dir=args.data_dir, tokens=parse_tokens(args.token), admin_token=args.admin_token,
        limits=parse_limit_specs(args.limits_profile, args.rate_limit),
        limit_strategy=args.rate_limit_strategy, faults=faults,
        delays=IndexDelays(pick(args.deposit_index_delay), pick(args.records_index_delay),
                           pick(args.oai_index_delay)),
        doi_prefix=args.doi_prefix, communities=tuple(args.community), review_mode=args.review,
        max_files=args.max_files, quota_bytes=args.quota_bytes,
        multipart_max_bytes=args.multipart_max_bytes, oai_page_size=args.oai_page_size,
        oai_token_ttl=args.oai_token_ttl, oai_set_prefix=args.oai_set_prefix,
        public_url=args.public_url)
    if args.oai_secret:
        config.oai_secret = args.oai_secret
    return config


class _DroppedConnectionFilter(logging.Filter):
    """Hide uvicorn's error line for connections a fault dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        print(f"SANDBOX_URL={self._url}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bind the port and serve until interrupted."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("uvicorn.error").addFilter(_DroppedConnectionFilter())
    try:
        config = config_from_args(args)
    except (ValueError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    url = f"http://{args.host}:{sock.getsockname()[1]}"
    config.public_url = config.public_url or url
    try:
        app = create_app(config)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = _AnnouncingServer(
        uvicorn.Config(app, log_config=None, access_log=False, log_level=args.log_level,
                       timeout_keep_alive=30), url)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
