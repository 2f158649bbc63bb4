"""Builds one self-contained Swagger 2.0 document from Microsoft's multi-file `2024-04-01` set,
restricted to the operations amlite implements, for schemathesis to generate requests from.

Written at test time into a temporary folder (the contract files are never copied into the
repository). What changes on the way, and why:
- definitions of every file live in one `definitions` map as `<file stem>_<Name>`, and every
  `$ref` is rewritten to match; `#/parameters/...` references are inlined;
- `allOf` inheritance is flattened (parents' `properties` and `required` merged into the child):
  Swagger's `additionalProperties: false` counts inherited properties, JSON Schema's does not, so
  without this a PUT body such as `OnlineEndpointTrackedResource` (location from `TrackedResource`,
  `additionalProperties: false`) could not be generated at all.
Response validation does not use this bundle: it uses `swagger.py` on the original files.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Dict, Iterable, Tuple

# operationId -> keep; the default fixture's workspace is fixed for every operation except the
# workspace-level writes, which get generated names so they never touch the fixture workspace.
IMPLEMENTED = (
    "Workspaces_Get", "Workspaces_ListByResourceGroup", "Workspaces_ListBySubscription",
    "Workspaces_CreateOrUpdate", "Workspaces_Update", "Workspaces_Delete",
    "OnlineEndpoints_List", "OnlineEndpoints_Get", "OnlineEndpoints_CreateOrUpdate", "OnlineEndpoints_Update",
    "OnlineEndpoints_Delete", "OnlineEndpoints_ListKeys", "OnlineEndpoints_RegenerateKeys", "OnlineEndpoints_GetToken",
    "OnlineDeployments_List", "OnlineDeployments_Get", "OnlineDeployments_CreateOrUpdate", "OnlineDeployments_Update",
    "OnlineDeployments_Delete", "OnlineDeployments_GetLogs", "OnlineDeployments_ListSkus",
    "ManagedNetworkSettingsRule_List", "ManagedNetworkSettingsRule_Get", "ManagedNetworkSettingsRule_CreateOrUpdate",
    "ManagedNetworkSettingsRule_Delete", "ManagedNetworkProvisions_ProvisionManagedNetwork",
    "PrivateEndpointConnections_List", "PrivateEndpointConnections_Get", "PrivateEndpointConnections_CreateOrUpdate",
    "PrivateEndpointConnections_Delete",
    "ModelVersions_Get", "ModelVersions_CreateOrUpdate", "CodeVersions_Get", "CodeVersions_CreateOrUpdate",
    "EnvironmentVersions_Get", "EnvironmentVersions_CreateOrUpdate",
    "Datastores_Get", "Datastores_List", "Datastores_ListSecrets",
)
WORKSPACE_WRITES = ("Workspaces_CreateOrUpdate", "Workspaces_Update", "Workspaces_Delete")


def _files(folder: Path) -> Dict[Path, dict]:
    return {f.resolve(): json.loads(f.read_text(encoding="utf-8"))
            for f in sorted(folder.rglob("*.json")) if "examples" not in f.parts}


class _Bundler:
    def __init__(self, folder: Path) -> None:
        self.files = _files(folder)
        self.definitions: Dict[str, dict] = {}

    def key(self, file: Path, name: str) -> str:
        return f"{file.stem}_{name}"

    def target(self, ref: str, base: Path) -> Tuple[Path, str]:
        path, _, frag = ref.partition("#")
        return ((base.parent / path).resolve() if path else base), frag

    def rewrite(self, node, base: Path):
        """Deep copy of `node` with refs pointing into the bundle (parameters inlined)."""
        if isinstance(node, list):
            return [self.rewrite(n, base) for n in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str):
            file, frag = self.target(node["$ref"], base)
            parts = frag.strip("/").split("/")
            if parts[0] == "parameters":
                return self.rewrite(self.files[file]["parameters"][parts[1]], file)
            rest = {k: self.rewrite(v, base) for k, v in node.items() if k != "$ref"}
            return {"$ref": f"#/definitions/{self.key(file, parts[1])}", **rest}
        return {k: (v if k in ("enum", "required", "x-ms-examples") else self.rewrite(v, base)) for k, v in node.items()}

    def flatten(self) -> None:
        """Merges inherited properties/required into each definition (see module doc)."""
        def resolved(name: str, depth: int = 0) -> dict:
            d = copy.deepcopy(self.definitions[name])
            keep = []
            for parent in d.pop("allOf", []):
                ref = parent.get("$ref", "") if isinstance(parent, dict) else ""
                if ref.startswith("#/definitions/") and depth < 10:
                    p = resolved(ref.rsplit("/", 1)[1], depth + 1)
                    d.setdefault("properties", {})
                    for k, v in p.get("properties", {}).items():
                        d["properties"].setdefault(k, v)
                    d["required"] = sorted(set(d.get("required", [])) | set(p.get("required", [])))
                    if not d["required"]:
                        del d["required"]
                    d.setdefault("type", p.get("type", "object"))
                else:
                    keep.append(parent)
            if keep:
                d["allOf"] = keep
            d.pop("discriminator", None)
            return d

        self.definitions = {name: resolved(name) for name in self.definitions}

    def build(self, operations: Iterable[str]) -> dict:
        wanted = set(operations)
        for file, doc in self.files.items():
            for name, d in doc.get("definitions", {}).items():
                self.definitions[self.key(file, name)] = self.rewrite(d, file)
        paths: Dict[str, dict] = {}
        for file, doc in self.files.items():
            for template, item in doc.get("paths", {}).items():
                shared = [self.rewrite(p, file) for p in item.get("parameters", [])]
                for method, op in item.items():
                    if method == "parameters" or op.get("operationId") not in wanted:
                        continue
                    op = self.rewrite(op, file)
                    op.pop("x-ms-examples", None)
                    op["parameters"] = shared + op.get("parameters", [])
                    paths.setdefault(template, {})[method] = op
        self.flatten()
        return {"swagger": "2.0", "info": {"title": "amlite: Microsoft.MachineLearningServices 2024-04-01 (subset)",
                                           "version": "2024-04-01"},
                "schemes": ["https"], "consumes": ["application/json"], "produces": ["application/json"],
                "paths": paths, "definitions": self.definitions}


def bundle(contracts: Path, api_version: str = "2024-04-01", operations: Iterable[str] = IMPLEMENTED) -> dict:
    """The single-document Swagger of `contracts/<api_version>` limited to `operations`."""
    return _Bundler(contracts / api_version).build(operations)
