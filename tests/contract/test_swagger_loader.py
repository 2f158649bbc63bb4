"""Checks the validator itself, so "0 violations" means something: Microsoft's own examples
(`x-ms-examples`) of the operations amlite implements validate, and bodies with the mistakes a
wire renderer makes (nulls, wrong casing, unknown or missing fields) do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import swagger
from conftest import VERSIONS

OPERATIONS = {
    "Workspaces_Get", "Workspaces_ListByResourceGroup", "Workspaces_ListBySubscription", "Workspaces_CreateOrUpdate",
    "Workspaces_Update", "OnlineEndpoints_CreateOrUpdate", "OnlineEndpoints_Get", "OnlineEndpoints_List",
    "OnlineEndpoints_Update", "OnlineEndpoints_ListKeys", "OnlineEndpoints_GetToken",
    "OnlineDeployments_CreateOrUpdate", "OnlineDeployments_Get", "OnlineDeployments_List", "OnlineDeployments_Update",
    "OnlineDeployments_GetLogs", "OnlineDeployments_ListSkus", "ManagedNetworkSettingsRule_List",
    "ManagedNetworkSettingsRule_Get", "ManagedNetworkSettingsRule_CreateOrUpdate",
    "ManagedNetworkProvisions_ProvisionManagedNetwork", "PrivateEndpointConnections_List",
    "PrivateEndpointConnections_Get", "ModelVersions_Get", "ModelVersions_CreateOrUpdate", "CodeVersions_Get",
    "CodeVersions_CreateOrUpdate", "EnvironmentVersions_Get", "EnvironmentVersions_CreateOrUpdate", "Datastores_Get",
    "Datastores_List", "Datastores_ListSecrets",
}
# Examples that contradict their own schema (the schema wins): 2022-02-01-preview datastore
# examples omit `credentials.secrets`, which AccountKeyDatastoreCredentials requires.
KNOWN_BAD_EXAMPLES = {("2022-02-01-preview", "Datastores_Get"), ("2022-02-01-preview", "Datastores_List")}


def _examples(spec: swagger.ApiVersion):
    for uri, doc in spec._raw.items():
        for template, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if not isinstance(op, dict) or op.get("operationId") not in OPERATIONS:
                    continue
                found = [o for o in spec.operations if o.template == template and o.method == method.upper()][0]
                for ex in op.get("x-ms-examples", {}).values():
                    path = Path(uri[len("file://"):]).parent / ex["$ref"]
                    for code, resp in json.loads(path.read_text()).get("responses", {}).items():
                        if "body" in resp and found.responses.get(code):
                            yield found, code, path.name, resp["body"]


@pytest.mark.parametrize("api", VERSIONS)
def test_official_examples_validate(contracts, api):
    spec = swagger.load(contracts, api)
    checked, failures = 0, []
    for op, code, name, body in _examples(spec):
        if (api, op.operation_id) in KNOWN_BAD_EXAMPLES:
            continue
        checked += 1
        failures += [f"{op.operation_id} {code} {name}: {e}" for e in spec.errors(op.responses[code], body)]
    assert checked >= 30, f"only {checked} examples found"
    assert not failures, "\n".join(failures)


def _endpoint_example(contracts):
    spec = swagger.load(contracts, "2024-04-01")
    op = next(o for o in spec.operations if o.operation_id == "OnlineEndpoints_Get")
    body = next(b for o, c, _, b in _examples(spec) if o.operation_id == "OnlineEndpoints_Get" and c == "200")
    return spec, op.responses["200"], body


@pytest.mark.parametrize("mutate, expected", [
    (lambda b: b["properties"].update(authMode="key"), "authMode"),              # enum casing
    (lambda b: b["properties"].update(publicNetworkAccess=None), "publicNetworkAccess"),  # null, not x-nullable
    (lambda b: b["properties"].update(unknownField=1), "unknownField"),          # additionalProperties: false
    (lambda b: b.pop("properties"), "properties"),                               # required
    (lambda b: b["systemData"].update(createdAt="yesterday"), "createdAt"),      # date-time format
    (lambda b: b["sku"].update(capacity="1"), "capacity"),                       # type
])
def test_validator_rejects_broken_bodies(contracts, mutate, expected):
    spec, schema, body = _endpoint_example(contracts)
    assert not list(spec.errors(schema, body))
    broken = json.loads(json.dumps(body))
    mutate(broken)
    errors = list(spec.errors(schema, broken))
    assert errors and any(expected in e for e in errors), errors


def test_discriminator_selects_the_subtype(contracts):
    spec = swagger.load(contracts, "2024-04-01")
    schema = spec.definition("OnlineDeployment")
    managed = {"endpointComputeType": "Managed", "scaleSettings": {"scaleType": "Default"}}
    assert not list(spec.errors(schema, managed))
    k8s_only = dict(managed, containerResourceRequirements={})  # Kubernetes-only field
    assert list(spec.errors(schema, k8s_only))
    bad_scale = dict(managed, scaleSettings={"scaleType": "Default", "minInstances": 1})
    assert list(spec.errors(schema, bad_scale))
