"""Compares amlite's answer with Azure's recorded one (status, error, LRO headers, body paths).

Body rule (issue 15): every non-null property path of Azure's body must be present in amlite's
with a consistent value. "Consistent" is equality after the cassette's rewrites (hosts, names,
the generated names of the workspace's dependent resources), where the parts of a string that
Azure generated per instance (GUIDs, timestamps, 32-hex ids, long numbers, measured durations) or the recorder
scrubbed (`000…`, `xxx…`, `***`) match any value of the same form. ARM resource ids compare
case-insensitively (ARM ids are; Azure itself answers `resourceGroups` and `resourcegroups`).
Values that identify the caller or are secrets (keys, tokens, `createdBy`) need only be present
with the same JSON type.
"""

from __future__ import annotations

import re
from typing import Any, Callable, List, Tuple

# Parts of a recorded string that were generated per instance or scrubbed, and what they match.
_TOKENS: List[Tuple[re.Pattern, str]] = [
    (re.compile(r"0{8}-0{4}-0{4}-0{4}-0{11,12}"), r"[^/?&]+"),  # scrubbed GUID / model name
    (re.compile(r"0{15}"), r"[^/?&]+"),  # scrubbed resource group / workspace / code name
    (re.compile(r"x{5,}"), r"[^/?&]+"),  # scrubbed account / path
    (re.compile(r"\*\*\*"), r".*"),
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
     r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"),
     r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"),
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])"), r"[0-9a-fA-F]{32}"),
    (re.compile(r"\d{10,}"), r"\d+"),
    # An ISO 8601 duration Azure measured (a template deployment's `duration`: `PT56.3318596S`).
    (re.compile(r"^PT(\d+H)?(\d+M)?\d+(\.\d+)?S$"), r"PT(\d+H)?(\d+M)?\d+(\.\d+)?S"),
]

# Caller identity and secrets: present with the same JSON type is all that can be asked.
VOLATILE_KEYS = {"accesstoken", "primarykey", "secondarykey", "key", "createdby", "lastmodifiedby",
                 "expirytimeutc", "refreshaftertimeutc", "sas", "sastoken"}


def template(recorded: str) -> re.Pattern:
    """A regex that matches what amlite may answer for a recorded string."""
    out, pos = [], 0
    spans = []
    for rx, repl in _TOKENS:
        for m in rx.finditer(recorded):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), repl))
    for s, e, repl in sorted(spans):
        out.append(re.escape(recorded[pos:s]))
        out.append(f"(?:{repl})")
        pos = e
    out.append(re.escape(recorded[pos:]))
    flags = re.I if "/subscriptions/" in recorded.lower() else 0
    return re.compile("".join(out), flags | re.S)


def same_string(recorded: str, actual: str) -> bool:
    if recorded == actual:
        return True
    return template(recorded).fullmatch(actual) is not None


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


_SYS_PE_NAME = re.compile(r"^__SYS_PE_(.+)_([^_]+)_[0-9a-f]{8}$", re.I)


def _generated_key(k: str, actual: Any, rewrite: Callable[[str], str]) -> Any:
    """A key (or list item name) of amlite's that names what `k` names: Azure's
    `__SYS_PE_{resource}_{target}_{8 hex}` rules end in an 8-hex id Azure generates per managed
    network, and name the workspace's storage account / key vault, whose generated names the
    cassette's rewrites map to amlite's; a key that is an ARM id matches with its scrubbed names
    as in values."""
    if k.startswith("/subscriptions/"):
        # A key that is an ARM id (`userAssignedIdentities`): the same id, scrubbed names matching
        # any name.
        pattern = template(rewrite(k))
        return next((ak for ak in actual if pattern.fullmatch(ak)), None)
    m = _SYS_PE_NAME.match(k)
    if not m:
        return None
    want = (rewrite("/" + m.group(1)).lstrip("/").lower(), m.group(2).lower())
    for ak in actual:
        am = _SYS_PE_NAME.match(ak)
        if am and (am.group(1).lower(), am.group(2).lower()) == want:
            return ak
    return None


def body_diffs(recorded: Any, actual: Any, rewrite: Callable[..., str], path: str = "") -> List[str]:
    """Paths where amlite's body lacks or contradicts a non-null value of Azure's. `rewrite(s,
    key)` maps a recorded string into amlite's world (`key`: the lower-cased property name)."""
    if recorded is None:
        return []
    where = path or "<body>"
    if actual is None:
        return [f"{where}: missing (Azure: {_short(recorded)})"]
    last = path.rsplit(".", 1)[-1].split("[", 1)[0].lower()
    if last in VOLATILE_KEYS:
        return [] if _type_name(recorded) == _type_name(actual) else [f"{where}: {_type_name(actual)} where Azure has {_type_name(recorded)}"]
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {_type_name(actual)} where Azure has an object"]
        out: List[str] = []
        lower = {k.lower(): k for k in actual}
        for k, v in recorded.items():
            if v is None:
                continue
            ak = k if k in actual else lower.get(k.lower()) or _generated_key(k, actual, rewrite)
            sub = f"{path}.{k}" if path else k
            if ak is None:
                out.append(f"{sub}: missing (Azure: {_short(v)})")
            else:
                out.extend(body_diffs(v, actual[ak], rewrite, sub))
        return out
    if isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{where}: {_type_name(actual)} where Azure has a list"]
        out = []
        named = all(isinstance(x, dict) and "name" in x for x in recorded) and recorded
        if named:
            by_name = {str(x.get("name")).lower(): x for x in actual if isinstance(x, dict)}
            for x in recorded:
                got = by_name.get(str(x["name"]).lower())
                if got is None:
                    alias = _generated_key(str(x["name"]), by_name, rewrite)
                    got = by_name.get(alias) if alias else None
                    if isinstance(got, dict) and isinstance(got.get("name"), str):
                        # The item's own name (and the id ending in it) is the aliased one.
                        name, alias_name = str(x["name"]), got["name"]
                        x = {**x, "name": alias_name}
                        if isinstance(x.get("id"), str):
                            x["id"] = x["id"].replace(name, alias_name)
                sub = f"{path}[{x['name']}]"
                if got is None:
                    out.append(f"{sub}: missing from the list")
                else:
                    out.extend(body_diffs(x, got, rewrite, sub))
            return out
        if len(actual) < len(recorded):
            out.append(f"{where}: {len(actual)} items where Azure has {len(recorded)}")
        for i, (x, y) in enumerate(zip(recorded, actual)):
            out.extend(body_diffs(x, y, rewrite, f"{path}[{i}]"))
        return out
    if isinstance(recorded, str):
        if not isinstance(actual, str):
            return [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]
        return [] if same_string(rewrite(recorded, last), actual) else [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]
    if isinstance(recorded, bool) or isinstance(actual, bool):
        return [] if recorded is actual else [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]
    if isinstance(recorded, (int, float)):
        if not isinstance(actual, (int, float)):
            return [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]
        if recorded == actual or (recorded > 1e9 and actual > 1e9):  # epoch seconds
            return []
        return [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]
    return [] if recorded == actual else [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 90 else s[:87] + "..."
