"""Compares amlite's answer with Azure's recorded one (status, error, LRO headers, body paths).

Body rule (issue 15): every non-null property path of Azure's body must be present in amlite's
with a consistent value. "Consistent" is equality after the cassette's rewrites (hosts, names,
the generated names of the workspace's dependent resources), where the parts of a string that
Azure generated per instance (GUIDs, timestamps, 32-hex ids, long numbers) or the recorder
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


def body_diffs(recorded: Any, actual: Any, rewrite: Callable[[str], str], path: str = "") -> List[str]:
    """Paths where amlite's body lacks or contradicts a non-null value of Azure's."""
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
            ak = k if k in actual else lower.get(k.lower())
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
        return [] if same_string(rewrite(recorded), actual) else [f"{where}: {_short(actual)} where Azure has {_short(recorded)}"]
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
