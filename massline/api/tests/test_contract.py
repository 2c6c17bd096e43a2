"""The API keeps its contract under any input: Schemathesis generates requests from the
served OpenAPI document (valid ones and invalid ones) against a live server, as a province
campaign office and as a branch administrator, and fails on a server error, a status code
the document does not declare, or a response that does not match its declared schema.

Run by `make test-api` (`pytest -m api_contract`), and only when asked for by that marker:
a fixed seed and a bounded number of examples keep it to a couple of minutes, which the
other test runs need not spend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from massline.accounts.services import api_token_create

pytestmark = pytest.mark.api_contract

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
]
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("MASSLINE_API_EXAMPLES", "25"))
SEED = 20260409


@pytest.fixture(autouse=True)
def _only_when_asked_for(request: pytest.FixtureRequest) -> None:
    wanted = request.config.getoption("markexpr") or ""
    if "api_contract" not in wanted or "not api_contract" in wanted:
        pytest.skip("the API contract runs with `make test-api` (-m api_contract)")


@pytest.fixture
def site(transactional_db, tree, make_user, live_server) -> SimpleNamespace:
    """The test tree with members in its branches (by the member generator's command),
    committed for the live server, and a bearer token for each role."""
    call_command("generate-members", count=40, seed=1, no_progress=True, verbosity=0)
    users = {
        "province_office": make_user("campaign_office", tree.root, username="province"),
        "branch_admin": make_user("org_admin", tree.village_a2, username="branch"),
    }
    tokens = {role: api_token_create(user=user) for role, user in users.items()}
    return SimpleNamespace(url=live_server.url, tokens=tokens)


@pytest.mark.parametrize("role", ["province_office", "branch_admin"])
def test_every_operation_keeps_its_contract(site, role, tmp_path: Path) -> None:
    # given a live server, the document it serves and a token for the role
    st = Path(sys.executable).with_name("st")
    # when Schemathesis runs every operation with generated requests
    result = subprocess.run(
        [
            str(st),
            f"--config-file={CONFIG}",
            "run",
            f"{site.url}/api/v1/openapi.json",
            f"--checks={','.join(CHECKS)}",
            f"--max-examples={EXAMPLES}",
            f"--seed={SEED}",
            "--phases=examples,coverage,fuzzing",
            "--workers=1",
            "--generation-database=none",
            "--no-color",
            f"--header=Authorization: Bearer {site.tokens[role]}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    print(result.stdout[-3000:])
    # then nothing broke the contract
    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-3000:]
