"""Reads the Azure CLI `ml` extension's VCR cassettes (real Azure traffic) into exchanges to replay.

What this module decides, and why:
- Which exchanges count: every ARM (`management.azure.com`) and scoring
  (`*.inference.ml.azure.com`) exchange. Blob Storage exchanges are not replayable: the recorder
  scrubbed their URIs (`xxxxx/00000000-…/score.py`), so the blob they named is unknown.
- Polls: Azure answered `InProgress` until the work was done; amlite (`--provisioning-delay 0s`)
  is done at once. A run of polls of one monitor URL (only other polls in between) is one
  exchange whose expected answer is the run's last (terminal) poll: the in-progress ones are
  timing, not behaviour.
- Names: the recorder scrubbed names in request URIs (`000000000000000`, `mock-deployment`) but
  not in response bodies. The real names are learnt from the recorded answer (its `id`, or the
  404 message) and put back into the URI, so amlite is asked about the names Azure answered for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import yaml

ARM_HOST = "management.azure.com"
SCORING_SUFFIX = ".inference.ml.azure.com"
# A monitor URL: Azure ML's operation status/result routes and ARM's template-deployment status.
POLL_RE = re.compile(r"/(mfeOperationsStatus|mfeOperationResults|workspaceOperationsStatus|operationStatuses)/", re.I)
NOT_FOUND_RE = re.compile(r"The Resource '([^']+)' under resource group '([^']+)' was not found")
SCRUBBED_SUB = "00000000-0000-0000-0000-000000000000"


@dataclass
class Exchange:
    """One request and Azure's answer (for polls: the last answer of the run)."""

    index: int  # position among the counted exchanges of the cassette (known-gaps key)
    method: str
    uri: str
    body: Optional[str]
    status: int
    headers: Dict[str, str]  # lower-case names, first value
    text: str  # response body as recorded (JSON text or '')
    polls: int = 1  # how many recorded polls this exchange stands for

    @property
    def json(self) -> Any:
        return parse_json(self.text)

    @property
    def host(self) -> str:
        return urlsplit(self.uri).netloc.lower()

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> Dict[str, List[str]]:
        return parse_qs(urlsplit(self.uri).query)

    @property
    def is_poll(self) -> bool:
        return bool(POLL_RE.search(self.path))

    def template(self) -> str:
        """`METHOD path` with names replaced by their kind, for reports."""
        p = re.sub(r"/subscriptions/[^/]+", "/subscriptions/{s}", self.path, flags=re.I)
        p = re.sub(r"/resourceGroups/[^/]+", "/resourceGroups/{rg}", p, flags=re.I)
        p = re.sub(r"/(workspaces|onlineEndpoints|deployments|outboundRules|codes|models|environments|datastores|"
                   r"versions|connections|locations|mfeOperationsStatus|mfeOperationResults|workspaceOperationsStatus|"
                   r"operationStatuses|vaults|components|storageAccounts)/[^/]+", r"/\1/*", p, flags=re.I)
        if self.host.endswith(SCORING_SUFFIX):
            p = "{scoringUri}"
        return f"{self.method} {p}"


@dataclass
class Cassette:
    name: str
    exchanges: List[Exchange]
    skipped_blob: int
    text: str = field(repr=False)


def parse_json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        # The recorder wrote scrubbed secrets unquoted (`"accessToken": ***`).
        try:
            return json.loads(re.sub(r":\s*\*\*\*", ': "***"', text))
        except ValueError:
            return text


def _headers(raw: Dict[str, Any]) -> Dict[str, str]:
    out = {}
    for k, v in (raw or {}).items():
        out[k.lower()] = v[0] if isinstance(v, list) and v else v
    return out


def _body_text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, dict):
        s = body.get("string", "")
    else:
        s = body
    if isinstance(s, bytes):
        s = s.decode("utf-8", "replace")
    return s or ""


def load(path: Path) -> Cassette:
    text = path.read_text()
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    raw: List[Exchange] = []
    skipped = 0
    for it in data.get("interactions", []):
        req, resp = it["request"], it["response"]
        host = urlsplit(req["uri"]).netloc.lower()
        if host != ARM_HOST and not host.endswith(SCORING_SUFFIX):
            skipped += 1
            continue
        body = req.get("body")
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        raw.append(Exchange(0, req["method"].upper(), req["uri"], body, int(resp["status"]["code"]),
                            _headers(resp.get("headers")), _body_text(resp.get("body"))))
    out: List[Exchange] = []
    for ex in raw:
        if ex.is_poll and ex.method == "GET":
            # The same monitor polled again, with only other polls in between (a client may poll
            # two monitors in turn): one exchange, answered by the last poll.
            j = len(out) - 1
            while j >= 0 and out[j].is_poll and out[j].uri != ex.uri:
                j -= 1
            if j >= 0 and out[j].is_poll and out[j].uri == ex.uri:
                ex.polls = out[j].polls + 1
                del out[j]
        out.append(ex)
    for i, ex in enumerate(out):
        ex.index = i
    return Cassette(path.stem, out, skipped, text)


def id_segments(doc_id: str) -> List[str]:
    return [s for s in doc_id.split("/") if s]


def names_in_answer(ex: Exchange) -> Optional[List[str]]:
    """The resource id Azure answered about, as path segments (from `id`, or a 404 message)."""
    doc = ex.json
    if isinstance(doc, dict) and isinstance(doc.get("id"), str) and doc["id"].lower().startswith("/subscriptions/"):
        return id_segments(doc["id"])
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        m = NOT_FOUND_RE.search(str(doc["error"].get("message", "")))
        if m:
            tail = m.group(1).split("/")  # Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/e
            return ["subscriptions", SCRUBBED_SUB, "resourceGroups", m.group(2), "providers"] + tail
    return None


def first_names(cassette: Cassette) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(resource group, workspace, region) the cassette's answers reveal first."""
    rg = ws = region = None
    for ex in cassette.exchanges:
        segs = names_in_answer(ex)
        doc = ex.json
        if segs is None and isinstance(doc, dict) and isinstance(doc.get("value"), list) and doc["value"]:
            first = doc["value"][0]  # a list answer: the names of its first item
            if isinstance(first, dict) and isinstance(first.get("id"), str):
                segs = id_segments(first["id"])
                doc = first
        if segs:
            low = [s.lower() for s in segs]
            if rg is None and "resourcegroups" in low and set(segs[low.index("resourcegroups") + 1]) != {"0"}:
                rg = segs[low.index("resourcegroups") + 1]
            if ws is None and "workspaces" in low and low.index("workspaces") + 1 < len(segs):
                ws = segs[low.index("workspaces") + 1]
        if region is None and isinstance(doc, dict) and isinstance(doc.get("location"), str) and doc["location"]:
            region = doc["location"]
        if rg and ws and region:
            break
    # A scrubbed resource group in ids (`000000000000000`): take the real one from ARM ids of
    # dependent resources or template parameters.
    if rg is None or set(rg) == {"0"}:
        m = re.search(r"/resourcegroups/(?!0{15})([A-Za-z0-9._()-]+)/providers/", cassette.text, re.I)
        if m:
            rg = m.group(1)
    return rg, ws, region
