"""Loads Microsoft's Swagger 2.0 files for one api-version and validates response bodies.

The files stay where they are (`$AMLITE_CONTRACTS_DIR/<api-version>/...`, see shared
contracts/README.md); nothing here copies them. Swagger 2.0 schemas are JSON Schema draft 4 plus
Azure extensions, so each file is converted once, in memory, to a draft-7 resource:

- every `$ref` becomes absolute (`file:///.../mfe.json#/definitions/X`), so refs across files
  (mfe.json -> common-types/v3/types.json) resolve through one `referencing` registry;
- `x-nullable: true` allows `null`; without it `null` is a violation (what strict clients and
  Azure's own validator `oav` assume for required fields, and what the SDKs' models expect);
- `readOnly` is ignored (it constrains requests, not responses);
- `discriminator` (polymorphism): a base definition B becomes `allOf[B__core, if <disc>==v then S]`
  for every subtype S that inherits from B (`allOf: [{$ref: B}]`) with `x-ms-discriminator-value`
  v (default: its definition name); subtypes then inherit from `B__core`, so there is no cycle;
- `$ref` with sibling keywords becomes `allOf` (draft 7 would ignore the siblings);
- formats `date-time`, `uuid`, `duration`, `int32`, `int64` are checked.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

# Keys that are documentation or Azure code-generation hints only.
_DROP = {"x-ms-client-name", "x-ms-mutability", "x-ms-secret", "x-ms-identifiers", "x-ms-azure-resource",
         "x-ms-client-flatten", "x-ms-enum", "x-ms-discriminator-value", "example", "readOnly",
         "x-ms-external", "x-ms-client-default", "x-ms-parameter-location"}
_DURATION = re.compile(r"^-?P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
                       r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$")


def contracts_dir(repo: Path) -> Path:
    """`$AMLITE_CONTRACTS_DIR`, else `../shared/contracts` relative to the repository."""
    import os

    env = os.environ.get("AMLITE_CONTRACTS_DIR")
    return Path(env) if env else (repo.parent / "shared" / "contracts").resolve()


def format_checker() -> FormatChecker:
    """The formats Azure's swagger uses for response fields, checked strictly."""
    fc = FormatChecker(formats=())

    @fc.checks("date-time", raises=ValueError)
    def _dt(v):  # RFC 3339; Python < 3.11 lacks 'Z' support, normalise it
        return not isinstance(v, str) or bool(datetime.fromisoformat(re.sub(r"Z$", "+00:00", _trim_frac(v))))

    @fc.checks("uuid", raises=ValueError)
    def _uuid(v):
        return not isinstance(v, str) or bool(uuid.UUID(v))

    @fc.checks("duration")
    def _dur(v):
        return not isinstance(v, str) or bool(_DURATION.match(v))

    @fc.checks("int32")
    def _i32(v):
        return not isinstance(v, int) or -(2**31) <= v < 2**31

    @fc.checks("int64")
    def _i64(v):
        return not isinstance(v, int) or -(2**63) <= v < 2**63

    return fc


def _trim_frac(v: str) -> str:
    """fromisoformat accepts at most 6 fractional digits; Azure sends up to 7."""
    return re.sub(r"(\.\d{6})\d+", r"\1", v)


def _abs_ref(ref: str, base: str) -> str:
    """Absolute form of a `$ref` found in the file whose URI is `base`."""
    path, _, frag = ref.partition("#")
    if not path:
        target = base
    else:
        target = (Path(base[len("file://"):]).parent / path).resolve().as_uri()
    return f"{target}#{frag}"


def _convert(node, base: str):
    """Swagger schema node -> draft-7 node (refs absolute, x-nullable, $ref siblings)."""
    if isinstance(node, list):
        return [_convert(n, base) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in _DROP or k == "discriminator":
            continue
        if k == "$ref" and isinstance(v, str):
            out[k] = _abs_ref(v, base)
        elif k in ("properties", "definitions", "patternProperties") and isinstance(v, dict):
            out[k] = {name: _convert(s, base) for name, s in v.items()}
        elif k in ("enum", "required", "description", "title", "x-ms-examples"):
            out[k] = v
        else:
            out[k] = _convert(v, base)
    nullable = out.pop("x-nullable", False) is True
    if "$ref" in out and len([k for k in out if not k.startswith("x-") and k not in ("description", "title")]) > 1:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}, out]}
    if nullable:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass
class Operation:
    """One (path template, method) of a swagger file, with its declared responses."""

    file: str
    template: str
    method: str
    operation_id: str
    responses: Dict[str, dict]  # status code or 'default' -> converted schema or {} (no body)
    regex: re.Pattern


class ApiVersion:
    """All swagger files of one api-version folder, converted and registered for validation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.docs: Dict[str, dict] = {}  # file URI -> converted document
        self.operations: List[Operation] = []
        raw: Dict[str, dict] = {}
        for f in sorted(folder.rglob("*.json")):
            if "examples" in f.parts:
                continue
            raw[f.resolve().as_uri()] = json.loads(f.read_text(encoding="utf-8"))
        self._raw = raw
        for uri, doc in raw.items():
            conv = {"definitions": _convert(doc.get("definitions", {}), uri)}
            conv["parameters"] = doc.get("parameters", {})
            self.docs[uri] = conv
        self._polymorphism()
        self._closed_models()
        self.registry = Registry().with_resources(
            (uri, Resource(contents=doc, specification=DRAFT7)) for uri, doc in self.docs.items()
        )
        self.formats = format_checker()
        for uri, doc in raw.items():
            self._collect_operations(uri, doc)

    # -- discriminators --------------------------------------------------------------------------

    def _polymorphism(self) -> None:
        bases: Dict[str, Tuple[str, str]] = {}  # base URI -> (file URI, discriminator property)
        for uri, doc in self._raw.items():
            for name, d in doc.get("definitions", {}).items():
                if isinstance(d, dict) and d.get("discriminator"):
                    bases[f"{uri}#/definitions/{name}"] = (uri, d["discriminator"])
        parents: Dict[str, List[str]] = {}  # definition URI -> refs in its allOf
        values: Dict[str, str] = {}
        for uri, doc in self.docs.items():
            for name, d in doc["definitions"].items():
                me = f"{uri}#/definitions/{name}"
                parents[me] = [p["$ref"] for p in d.get("allOf", []) if isinstance(p, dict) and "$ref" in p]
                rawd = self._raw[uri]["definitions"][name]
                values[me] = rawd.get("x-ms-discriminator-value", name) if isinstance(rawd, dict) else name
        for base, (uri, prop) in bases.items():
            name = base.rsplit("/", 1)[1]
            defs = self.docs[uri]["definitions"]
            core = f"{name}__core"
            defs[core] = defs[name]
            descendants = [d for d in parents if self._inherits(d, base, parents)]
            branches = [{"if": {"properties": {prop: {"const": values[d]}}, "required": [prop]},
                         "then": {"$ref": d}} for d in descendants]
            defs[name] = {"allOf": [{"$ref": f"{uri}#/definitions/{core}"}, *branches]}
            for d in descendants:  # subtypes inherit from the core, not the polymorphic base
                duri, _, dptr = d.partition("#")
                dd = self.docs[duri]["definitions"][dptr.rsplit("/", 1)[1]]
                for p in dd.get("allOf", []):
                    if isinstance(p, dict) and p.get("$ref") == base:
                        p["$ref"] = f"{uri}#/definitions/{core}"

    def _closed_models(self) -> None:
        """Swagger's `additionalProperties: false` counts inherited (`allOf`) properties, JSON
        Schema's does not. So a closed model D gets `propertyNames: {enum: own + inherited}`, and
        every definition inherits from open copies (`X__open`) of its parents instead."""
        own: Dict[str, set] = {}
        parents: Dict[str, List[str]] = {}
        for uri, doc in self.docs.items():
            for name, d in doc["definitions"].items():
                me = f"{uri}#/definitions/{name}"
                own[me] = set(d.get("properties", {})) if isinstance(d, dict) else set()
                parents[me] = [p["$ref"] for p in d.get("allOf", []) if isinstance(p, dict) and "$ref" in p]

        def closure(d: str, depth: int = 0) -> set:
            names = set(own.get(d, ()))
            if depth < 10:
                for p in parents.get(d, []):
                    names |= closure(p, depth + 1)
            return names

        for uri, doc in self.docs.items():
            defs = doc["definitions"]
            for name in list(defs):
                d = defs[name]
                if not isinstance(d, dict):
                    continue
                open_copy = {k: v for k, v in d.items() if not (k == "additionalProperties" and v is False)}
                if d.get("additionalProperties") is False:
                    del d["additionalProperties"]
                    d["propertyNames"] = {"enum": sorted(closure(f"{uri}#/definitions/{name}"))}
                defs[f"{name}__open"] = copy.deepcopy(open_copy)
            for d in defs.values():
                for p in d.get("allOf", []) if isinstance(d, dict) else []:
                    if isinstance(p, dict) and "/definitions/" in p.get("$ref", "") and not p["$ref"].endswith("__open"):
                        p["$ref"] += "__open"

    @staticmethod
    def _inherits(d: str, base: str, parents: Dict[str, List[str]], depth: int = 0) -> bool:
        if depth > 10:
            return False
        return any(p == base or ApiVersion._inherits(p, base, parents, depth + 1) for p in parents.get(d, []))

    # -- operations ------------------------------------------------------------------------------

    def _collect_operations(self, uri: str, doc: dict) -> None:
        for template, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if method not in ("get", "put", "patch", "post", "delete", "head"):
                    continue
                responses = {}
                for code, resp in op.get("responses", {}).items():
                    schema = resp.get("schema")
                    responses[code] = _convert(schema, uri) if schema else {}
                pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
                self.operations.append(Operation(Path(uri).name, template, method.upper(),
                                                 op.get("operationId", "?"), responses,
                                                 re.compile(pattern, re.IGNORECASE)))

    def find(self, method: str, path: str) -> Optional[Operation]:
        """The operation whose template matches `path` (fewest parameters wins: literals first)."""
        hits = [o for o in self.operations if o.method == method.upper() and o.regex.match(path)]
        hits.sort(key=lambda o: o.template.count("{"))
        return hits[0] if hits else None

    def definition(self, name: str) -> dict:
        """`{"$ref": ...}` to a named definition in whichever file has it."""
        for uri, doc in self.docs.items():
            if name in doc["definitions"]:
                return {"$ref": f"{uri}#/definitions/{name}"}
        raise KeyError(name)

    def errors(self, schema: dict, body) -> Iterator[str]:
        """Human-readable violations of `body` against `schema` (a converted schema)."""
        validator = Draft7Validator(schema, registry=self.registry, format_checker=self.formats)
        for err in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path) or "<body>"
            yield f"{where}: {_leaf(err).message[:300]}"


def _leaf(err):
    """The most specific cause of an `allOf`/`anyOf` error, which is the useful message."""
    while err.context:
        # deepest first; for an x-nullable anyOf, the non-null branch says what is wrong
        err = min(err.context, key=lambda e: (-len(e.absolute_path), "'null'" in e.message, len(e.message)))
    return err


_CACHE: Dict[Path, ApiVersion] = {}


def load(contracts: Path, api_version: str) -> ApiVersion:
    """The (cached) converted swagger set of `contracts/<api_version>`."""
    folder = contracts / api_version
    if folder not in _CACHE:
        _CACHE[folder] = ApiVersion(folder)
    return _CACHE[folder]


def copy_schema(schema: dict) -> dict:
    """A deep copy (callers may adjust a schema without touching the cache)."""
    return copy.deepcopy(schema)
