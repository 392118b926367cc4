"""The command line: every option documented, the URL announced on stdout."""

from __future__ import annotations

import subprocess
import sys

from zenodo_sandbox.__main__ import build_parser


def test_help_documents_every_option():
    result = subprocess.run([sys.executable, "-m", "zenodo_sandbox", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    for action in build_parser()._actions:
        for flag in action.option_strings:
            assert flag in result.stdout
        assert action.help, action.option_strings
    for flag in ("--token", "--admin-token", "--faults", "--rate-limit", "--limits-profile",
                 "--oai-page-size", "--oai-token-ttl", "--index-delay", "--doi-prefix"):
        assert flag in result.stdout


def test_bad_rate_limit_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "zenodo_sandbox", "--rate-limit",
                             "api=lots"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "bad rate limit 'lots'" in result.stderr


def test_started_process_announces_its_url(sandbox_process):
    assert sandbox_process.url.startswith("http://127.0.0.1:")
    assert "SANDBOX_URL" not in sandbox_process.log_text()
