"""Property-based API testing (issue 5): schemathesis generates requests from Microsoft's official
`2024-04-01` Swagger, restricted to the operations amlite implements (see `bundle.py`), and sends
them to a running amlite. Checks on every response:

- no 5xx (and amlite still answers `/health` at the end: no crash);
- every error (4xx) is an ARM envelope with a non-empty `error.code` and `error.message`;
- every response conforms to the contract: the status is declared for the operation and the body
  validates against that operation's schema (the same validator as `test_conformance.py`, which
  understands `x-nullable`, inherited `additionalProperties: false` and discriminators).

Subscription and resource group are fixed to the default fixture's (from env.sh), and so is the
workspace for every operation below it; workspace writes get generated names so the fixture
workspace survives. `api-version` is fixed to `2024-04-01`. Examples per operation:
`$AMLITE_SCHEMATHESIS_EXAMPLES` (default 50); generation is derandomized, so CI runs are repeatable
(`AMLITE_SCHEMATHESIS_EXPLORE=1` draws new examples each run).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from urllib.parse import urlsplit

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import InvalidArgument, Unsatisfiable
from schemathesis import GenerationMode

from bundle import WORKSPACE_WRITES, bundle
from checker import Checker, Record
from conftest import SUMMARIES

STABLE = "2024-04-01"
MAX_EXAMPLES = int(os.environ.get("AMLITE_SCHEMATHESIS_EXAMPLES", "50"))
# AMLITE_SCHEMATHESIS_EXPLORE=1: random (not derandomized) examples, to hunt for new bugs locally.
EXPLORE = os.environ.get("AMLITE_SCHEMATHESIS_EXPLORE") == "1"


def envelope_problem(resp: requests.Response) -> str | None:
    """Why an error response is not an ARM envelope, or None."""
    try:
        err = resp.json().get("error")
    except (ValueError, AttributeError):
        return f"body is not a JSON object: {resp.text[:120]!r}"
    if not isinstance(err, dict):
        return "no 'error' object"
    for field in ("code", "message"):
        if not isinstance(err.get(field), str) or not err[field]:
            return f"error.{field} missing or empty"
    return None


def create_targets(checker: Checker, ws: str, rg: str) -> None:
    """Real resources for the second pass, so generated requests also reach existing ones."""
    from test_conformance import deployment_body, endpoint_body, ws_body

    mn = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/{PINNED_MN_WORKSPACE}"
    checker.wait(checker.call("PUT", mn, STABLE, ws_body(managedNetwork={"isolationMode": "AllowOnlyApprovedOutbound"})))
    checker.wait(checker.call("PUT", f"{mn}/outboundRules/{PINNED['ruleName']}", STABLE,
                              {"properties": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}}))
    blob = "https://amlitestore.blob.core.windows.net/azureml"
    checker.call("PUT", f"{ws}/models/ct-model/versions/1", STABLE,
                 {"properties": {"modelUri": f"{blob}/m", "modelType": "custom_model", "flavors": {}}})
    checker.call("PUT", f"{ws}/codes/ct-code/versions/1", STABLE, {"properties": {"codeUri": f"{blob}/c"}})
    checker.call("PUT", f"{ws}/environments/ct-env/versions/1", STABLE,
                 {"properties": {"image": "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"}})
    ep = f"{ws}/onlineEndpoints/{PINNED['endpointName']}"
    checker.wait(checker.call("PUT", ep, STABLE, endpoint_body()))
    checker.wait(checker.call("PUT", f"{ep}/deployments/{PINNED['deploymentName']}", STABLE, deployment_body(ws)))


# Second pass: names of resources that exist (created by `create_targets`), except for deletes.
PINNED = {"endpointName": "st-ep", "deploymentName": "st-dep", "ruleName": "st-rule", "version": "1"}
PINNED_NAME = {"ModelVersions": "ct-model", "CodeVersions": "ct-code", "EnvironmentVersions": "ct-env",
               "Datastores": "workspaceblobstore"}
PINNED_MN_WORKSPACE = "st-mn"


def pinned_names(op_id: str, names: set) -> dict:
    if op_id.endswith("_Delete") or op_id.startswith("Workspaces_"):
        return {}
    out = {k: v for k, v in PINNED.items() if k in names}
    if "name" in names and op_id.split("_")[0] in PINNED_NAME:
        out["name"] = PINNED_NAME[op_id.split("_")[0]]
    if op_id.startswith("ManagedNetwork"):
        out["workspaceName"] = PINNED_MN_WORKSPACE
    return out


def test_schemathesis_2024_04_01(amlite, contracts, tmp_path):
    doc = bundle(contracts, STABLE)
    (tmp_path / "amlite-2024-04-01-bundle.json").write_text(json.dumps(doc))  # for a human to inspect
    schema = schemathesis.openapi.from_dict(doc)
    record = Record()
    checker = Checker(amlite, contracts, record)
    env = amlite.env
    fixed = {"subscriptionId": env["AZURE_SUBSCRIPTION_ID"], "resourceGroupName": env["AZURE_RESOURCE_GROUP"],
             "workspaceName": env["AZUREML_WORKSPACE_NAME"]}
    create_targets(checker, amlite.ws_path, amlite.rg_path)
    problems: list[str] = []
    statuses: Counter = Counter()
    operations = set()
    # Passes: generated names; names of existing resources; then invalid requests (negative mode).
    for existing, mode in ((False, GenerationMode.POSITIVE), (True, GenerationMode.POSITIVE),
                           (False, GenerationMode.NEGATIVE)):
        for result in schema.get_all_operations():
            op = result.ok()
            op_id = op.definition.raw.get("operationId", op.label)
            names = {p.name for p in op.path_parameters}
            pinned = {k: v for k, v in fixed.items()
                      if k in names and not (k == "workspaceName" and op_id in WORKSPACE_WRITES)}
            if existing:
                extra = pinned_names(op_id, names)
                if not extra:
                    continue
                pinned.update(extra)
            operations.add(op_id)
            strategy = op.as_strategy(mode, path_parameters=pinned, query={"api-version": STABLE})
            examples = MAX_EXAMPLES if mode == GenerationMode.POSITIVE else max(5, MAX_EXAMPLES // 2)
            try:
                run_examples(strategy, examples, op_id, amlite, checker, problems, statuses)
            except (Unsatisfiable, InvalidArgument) as exc:  # nothing to make invalid (all pinned)
                assert mode == GenerationMode.NEGATIVE, f"{op_id}: {exc!r}"
    problems += record.violations
    problems = list(dict.fromkeys(problems))  # the same finding repeats on every later list call
    total = sum(statuses.values())
    by_class = {f"{k // 100}xx": v for k, v in sorted(statuses.items())}
    summary = (f"schemathesis {STABLE}: {len(operations)} operations, {total} examples ({by_class}), "
               f"{record.validated} bodies validated, {len(problems)} violations")
    SUMMARIES.append(summary)
    print("\n" + summary)
    for p in problems[:50]:
        print("  violation:", p)
    assert amlite.session.get(f"{amlite.url}/health", timeout=10).status_code == 200, "amlite stopped answering"
    assert len(operations) >= 35 and total >= len(operations)
    if any(": no response: " in p for p in problems):
        # A dropped connection leaves no answer to look at: the server's own log may say why.
        print("amlite's log, last 40 lines:\n" + "\n".join(amlite.stderr().splitlines()[-40:]))
    assert not problems


def run_examples(strategy, max_examples: int, op_id: str, amlite, checker: Checker, problems: list, statuses: Counter) -> None:
    """Up to MAX_EXAMPLES generated requests of one operation; problems are collected, not raised
    (so hypothesis does not spend the time budget shrinking)."""

    @given(case=strategy)
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=not EXPLORE,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        try:
            resp = case.call(base_url=amlite.url, session=amlite.session, verify=amlite.session.ca_bundle, timeout=30)
        except requests.RequestException as exc:
            problems.append(f"{op_id} {case.path_parameters}: no response: {exc!r}")
            return
        statuses[resp.status_code // 100 * 100] += 1
        if os.environ.get("AMLITE_SCHEMATHESIS_VERBOSE"):
            print(f"  {op_id} {resp.status_code} {resp.text[:160]}")
        path = urlsplit(resp.request.url).path
        where = f"{op_id} {case.method} {path} -> {resp.status_code}"
        if resp.status_code >= 500:
            problems.append(f"{where}: server error {resp.text[:200]}")
        elif resp.status_code >= 400 and (why := envelope_problem(resp)):
            problems.append(f"{where}: not an ARM error envelope: {why}")
        checker.validate(case.method, path, STABLE, resp)

    run()
