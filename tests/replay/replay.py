"""Replays real recorded Azure traffic against a fresh amlite per cassette and compares (issue 15).

Cassettes: `$AMLITE_RECORDINGS_DIR` (default `../shared/azure-recordings/az-ml-2.41.1` next to the
repository; read in place, never copied). The online-endpoint and managed-network cassettes
(`CASSETTES`) are replayed. Per cassette: a fixture declares the world the cassette assumes
already existed (the subscription, the resource group, and the workspace in its region unless the
cassette creates it), amlite starts on port 0 with a temporary data folder, each exchange is sent
with names/hosts rewritten (see cassette.py, compare.py) and amlite's answer is compared with
Azure's: status, error code and message, `Azure-AsyncOperation`/`Location` presence, body paths.

Exchanges amlite cannot match yet are listed with the reason in `known_gaps.txt`. The run fails on
a mismatch not listed there (a regression) and on a listed gap that now matches (remove it).
`replay.py --write-gaps` rewrites the file from the current results.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "contract"))

import cassette as cas  # noqa: E402
from gaps import GAPS_FILE, read_gaps, write_gaps  # noqa: E402
import scope  # noqa: E402
import setup  # noqa: E402
from amlite_server import REPO, AmliteServer  # noqa: E402
from compare import body_diffs, same_string  # noqa: E402

CASSETTE_GLOBS = ("test_online_*.yaml", "test_workspace_managednetwork_*.yaml", "test_featurestore_managednetwork_*.yaml")
LRO_HEADERS = ("azure-asyncoperation", "location")
TIMEOUT_S = 30


def recordings_dir() -> Path:
    env = os.environ.get("AMLITE_RECORDINGS_DIR")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "azure-recordings" / "az-ml-2.41.1"


# --- api-versions ----------------------------------------------------------------------------
# The recorder scrubbed `api-version` in request URIs (`0000-00-00`) but not in the URLs Azure put
# in headers and bodies: each cassette's own leaks say which version its client sent.
def _leaked(text: str, rx: str) -> Optional[str]:
    m = re.search(rx + r"[^\"'\s]*?\?api-version=((?!0000)\d{4}-\d{2}-\d{2}(?:-preview)?)", text)
    return m.group(1) if m else None


def api_versions(text: str) -> Dict[str, str]:
    assets = _leaked(text, r"/(?:environments|models|codes)/") or "2022-05-01"
    return {
        "online": _leaked(text, r"/mfeOperationsStatus/") or "2022-02-01-preview",
        "assets": assets,
        # The SDK's workspace and asset clients were of one api-version in each release.
        "workspace": _leaked(text, r"/workspaceOperationsStatus/") or assets,
        "resources": _leaked(text, r"/Microsoft\.Resources/deployments/") or "2020-06-01",
    }


def family(path: str) -> str:
    p = path.lower()
    if "/microsoft.resources/" in p:
        return "resources"
    if "/onlineendpoints" in p or "/mfeoperation" in p:
        return "online"
    if re.search(r"/(codes|models|environments|datastores)(/|$)", p):
        return "assets"
    return "workspace"


# --- the world the cassette assumes ----------------------------------------------------------
def leaked_subscriptions(text: str) -> List[str]:
    """Subscription ids in a cassette other than the scrubbed one."""
    guid = r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    found = set(re.findall(r"/subscriptions/" + guid, text))
    found |= set(re.findall(r'(?i)subscription_?id\\?"\s*:\s*\{\s*\\?"value\\?"\s*:\s*\\?"' + guid, text))
    return sorted(s for s in found if s != cas.SCRUBBED_SUB)


class World:
    """Names, rewrites and state of one cassette's replay."""

    def __init__(self, c: cas.Cassette) -> None:
        self.c = c
        self.rg, self.ws, self.region = cas.first_names(c)
        # Names the recorder scrubbed everywhere: any name will do.
        self.rg, self.ws = self.rg or "replay-rg", self.ws or "replay-ws"
        self.region = self.region or "eastus"
        self.versions = api_versions(c.text)
        self.aliases: Dict[Tuple[str, str], str] = {}
        self.lro: Dict[str, str] = {}
        self.value_rules: List[Tuple[re.Pattern, str]] = []
        self.account_name_rule: Optional[Tuple[re.Pattern, str]] = None
        self.learnt_resources = False
        self.bearer: Optional[str] = None
        self.base = ""
        first = next((e for e in c.exchanges if e.method == "GET" and self._is_ws(e.path)), None)
        self.creates_ws = first is not None and first.status == 404
        self.recorded_ws = next((e.json for e in c.exchanges if e.method == "GET" and self._is_ws(e.path)
                                 and e.status == 200 and isinstance(e.json, dict)), None)

    @staticmethod
    def _is_ws(path: str) -> bool:
        return re.search(r"/workspaces/[^/]+/?$", path, re.I) is not None and "/microsoft.machinelearningservices/" in path.lower()

    def fixture(self) -> Dict[str, Any]:
        rg: Dict[str, Any] = {"name": self.rg, "location": self.region, "workspaces": []}
        if not self.creates_ws:
            props: Dict[str, Any] = {}
            rec = (self.recorded_ws or {}).get("properties") or {}
            if rec.get("publicNetworkAccess"):
                props["publicNetworkAccess"] = rec["publicNetworkAccess"]
            rg["workspaces"].append({"name": self.ws, "location": self.region, "properties": props})
        return {"subscriptions": [{"subscriptionId": cas.SCRUBBED_SUB, "resourceGroups": [rg]}]}

    # Rewrites of recorded strings into amlite's world (hosts, generated resource names).
    def start(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.value_rules = [
            (re.compile(r"https://management\.azure\.com", re.I), self.base),
            # A real subscription id the recorder left in a request body (a template parameter
            # such as `storageAccountSubscriptionId`) is the scrubbed subscription's.
            *[(re.compile(re.escape(sub), re.I), cas.SCRUBBED_SUB) for sub in leaked_subscriptions(self.c.text)],
            (re.compile(r"https://([a-z0-9-]+)\.([a-z0-9]+)\.inference\.ml\.azure\.com", re.I), self.base + r"/endpoints/\1"),
            (re.compile(r"https://[a-z0-9]+\.api\.azureml\.ms/discovery", re.I), self.base + "/discovery"),
            # The canary cassettes (centraluseuap) ran in Azure's test cloud: its host is the
            # public cloud's regional one there.
            (re.compile(r"https://int\.api\.azureml-test\.ms/discovery", re.I), self.base + "/discovery"),
            (re.compile(r"azureml://int\.api\.azureml-test\.ms/", re.I), f"azureml://{self.region}.api.azureml.ms/"),
            # ARM ids in bodies: the scrubbed resource group / workspace are the cassette's.
            (re.compile(r"(/resourceGroups/)0{15}(?=/|$)", re.I), r"\g<1>" + self.rg),
            (re.compile(r"(/workspaces/)0{15}(?=/|$)", re.I), r"\g<1>" + self.ws),
        ]

    def learn_resources(self, amlite_ws: Dict[str, Any]) -> None:
        """Aliases for the names Azure generated for the workspace's dependent resources."""
        self.learnt_resources = True
        rec = (self.recorded_ws or {}).get("properties") or {}
        got = amlite_ws.get("properties") or {}
        rules = []
        for k in ("storageAccount", "keyVault", "applicationInsights", "containerRegistry"):
            a, b = rec.get(k), got.get(k)
            if isinstance(a, str) and isinstance(b, str):
                ra, rb = a.rstrip("/").rsplit("/", 1)[-1], b.rstrip("/").rsplit("/", 1)[-1]
                if k == "storageAccount":
                    # Blob URLs: amlite serves Blob Storage path-style on its own port.
                    rules.append((re.compile(rf"https://{re.escape(ra)}\.blob\.core\.windows\.net", re.I),
                                  f"{self.base}/{rb}.blob.core.windows.net"))
                    host = self.base.split("://", 1)[-1]
                    # A datastore's `accountName` (that key only: a template parameter holding
                    # the account's name stays a name).
                    self.account_name_rule = (re.compile(rf"^{re.escape(ra)}$"), f"{host}/{rb}")
                rules.append((re.compile(rf"(?<=/){re.escape(ra)}(?=$|/)", re.I), rb))
        a, b = rec.get("workspaceId"), got.get("workspaceId")
        if isinstance(a, str) and isinstance(b, str):
            rules.append((re.compile(re.escape(a), re.I), b))
        self.value_rules.extend(rules)

    def rewrite(self, s: str, key: str = "") -> str:
        if key.lower() == "accountname" and self.account_name_rule is not None:
            rx, repl = self.account_name_rule
            s = rx.sub(repl, s)
        for rx, repl in self.value_rules:
            s = rx.sub(repl, s)
        return s

    def rewrite_doc(self, doc: Any, key: str = "") -> Any:
        if isinstance(doc, str):
            return self.rewrite(doc, key)
        if isinstance(doc, dict):
            return {k: self.rewrite_doc(v, k) for k, v in doc.items()}
        if isinstance(doc, list):
            return [self.rewrite_doc(v) for v in doc]
        return doc

    # Request URIs: scrubbed names back to the names Azure answered about.
    def arm_path(self, ex: cas.Exchange) -> str:
        segs = [s for s in ex.path.split("/") if s]
        answer = cas.names_in_answer(ex)
        pairs = self._pairs(segs)
        if answer:
            for (ti, t), (ai, at) in zip(pairs, self._pairs(answer)):
                if t.lower() == at.lower() and ti + 1 < len(segs) and ai + 1 < len(answer):
                    name, real = segs[ti + 1], answer[ai + 1]
                    if set(real) != {"0"} and name != real:
                        self.aliases[(t.lower(), name)] = real
        out = list(segs)
        for ti, t in pairs:
            if ti + 1 >= len(out):
                continue
            key = (t.lower(), out[ti + 1])
            if t.lower() == "resourcegroups" and set(out[ti + 1]) == {"0"}:
                out[ti + 1] = self.rg
            elif t.lower() == "workspaces" and set(out[ti + 1]) == {"0"}:
                out[ti + 1] = self.aliases.get(key, self.ws)
            elif key in self.aliases:
                out[ti + 1] = self.aliases[key]
        return "/" + "/".join(out)

    @staticmethod
    def _pairs(segs: List[str]) -> List[Tuple[int, str]]:
        """(index, type) of each `type/name` pair: subscriptions, resourceGroups, then the types after the provider namespace."""
        low = [s.lower() for s in segs]
        out = []
        if low[:1] == ["subscriptions"]:
            out.append((0, segs[0]))
        if len(low) > 2 and low[2] == "resourcegroups":
            out.append((2, segs[2]))
        if "providers" in low:
            i = low.index("providers") + 2
            while i < len(segs):
                out.append((i, segs[i]))
                i += 2
        return out


# A template deployment's status monitor: the recorder scrubbed the names in the polled URI
# (`deployments/mock-deployment/operationStatuses/000…`) but not in the `Azure-AsyncOperation`
# header that named it, so both stand for "the template deployment's monitor" (a cassette runs
# one deployment at a time).
_TEMPLATE_STATUS = re.compile(r"/providers/microsoft\.resources/deployments/[^/]+/operationstatuses/[^/]+$")


def poll_key(url: str) -> str:
    u = urlsplit(url)
    kind = parse_qs(u.query).get("type", [""])[0]
    if _TEMPLATE_STATUS.search(u.path.lower()):
        return "template-deployment-status"
    return f"{u.path.lower()}|{kind}"


# --- replay ----------------------------------------------------------------------------------
class Result:
    def __init__(self, c: str, ex: cas.Exchange, problems: List[str]) -> None:
        self.key = f"{c}#{ex.index}"
        self.what = ex.template()
        self.problems = problems

    @property
    def ok(self) -> bool:
        return not self.problems


def compare(w: World, ex: cas.Exchange, status: int, headers: Dict[str, str], body: Any) -> List[str]:
    problems: List[str] = []
    if status != ex.status:
        problems.append(f"status {status} where Azure answers {ex.status}")
    rec = ex.json
    if isinstance(rec, dict) and isinstance(rec.get("error"), dict):
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            problems.append(f"no error envelope where Azure has {rec['error'].get('code')}")
        else:
            if err.get("code") != rec["error"].get("code"):
                problems.append(f"error code {err.get('code')!r} where Azure has {rec['error'].get('code')!r}")
            msg = w.rewrite(str(rec["error"].get("message", "")))
            if not same_string(msg, str(err.get("message", ""))):
                problems.append(f"error message {str(err.get('message'))[:160]!r} where Azure has {msg[:160]!r}")
        return problems
    for h in LRO_HEADERS:
        if h in ex.headers and h not in headers:
            problems.append(f"no {h} header")
    if ex.host.endswith(cas.SCORING_SUFFIX):
        if rec != body:
            problems.append(f"scoring body {str(body)[:80]!r} where Azure has {ex.text[:80]!r}")
        return problems
    problems.extend(body_diffs(rec, body, w.rewrite))
    return problems


def replay_cassette(path: Path) -> Tuple[List[Result], int]:
    c = cas.load(path)
    w = World(c)
    tmp = Path(tempfile.mkdtemp(prefix=f"amlite-replay-{c.name[:20]}-"))
    fx = tmp / "fixture.json"
    fx.write_text(json.dumps(w.fixture()))
    server = AmliteServer(tmp / "data", extra_args=["--fixtures", str(fx)]).start()
    results: List[Result] = []
    try:
        w.start(server.url)
        _learn_resources(w, server)
        setup.preexisting(server, w, c)
        for ex in c.exchanges:
            results.append(Result(c.name, ex, replay_one(w, server, ex)))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return results, c.skipped_blob


def _learn_resources(w: World, server: AmliteServer) -> None:
    if w.learnt_resources or w.recorded_ws is None:
        return
    url = (f"{server.url}/subscriptions/{cas.SCRUBBED_SUB}/resourceGroups/{w.rg}/providers/"
           f"Microsoft.MachineLearningServices/workspaces/{w.ws}?api-version={w.versions['workspace']}")
    r = server.session.get(url, timeout=TIMEOUT_S)
    if r.status_code == 200:
        w.learn_resources(r.json())


def replay_one(w: World, server: AmliteServer, ex: cas.Exchange) -> List[str]:
    _learn_resources(w, server)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if ex.host.endswith(cas.SCORING_SUFFIX):
        url = server.url + ex.path
        headers["Host"] = ex.host
        if w.bearer:
            headers["Authorization"] = f"Bearer {w.bearer}"
    elif ex.is_poll:
        url = w.lro.get(poll_key(ex.uri))
        if url is None:
            return ["amlite gave no monitor URL (header missing on the request that started the operation)"]
    else:
        query = {k: v[0] for k, v in ex.query.items() if k != "api-version"}
        query["api-version"] = w.versions[family(ex.path)]
        url = server.url + w.arm_path(ex) + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    data = w.rewrite(ex.body) if isinstance(ex.body, str) else None
    try:
        r = server.session.request(ex.method, url, data=data.encode() if data else None, headers=headers, timeout=TIMEOUT_S)
    except Exception as e:  # noqa: BLE001 - a transport failure is a finding, not a crash of the run
        return [f"request failed: {e}"]
    got_headers = {k.lower(): v for k, v in r.headers.items()}
    for h in LRO_HEADERS:
        if h in ex.headers and h in got_headers:
            w.lro[poll_key(ex.headers[h])] = got_headers[h]
    try:
        body = r.json() if r.content else None
    except ValueError:
        body = r.text
    if isinstance(body, dict) and isinstance(body.get("accessToken"), str):
        w.bearer = body["accessToken"]
    if isinstance(body, dict) and isinstance(body.get("primaryKey"), str) and w.bearer is None:
        w.bearer = body["primaryKey"]
    return compare(w, ex, r.status_code, got_headers, body)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-gaps", action="store_true", help="rewrite known_gaps.txt from this run")
    ap.add_argument("-k", default="", help="only cassettes whose name contains this")
    ap.add_argument("-v", action="store_true", help="print every difference of every mismatch")
    args = ap.parse_args()
    folder = recordings_dir()
    files = sorted({p for g in CASSETTE_GLOBS for p in folder.glob(g)})
    if not files:
        print(f"replay skipped: no recorded Azure cassettes in {folder} (set AMLITE_RECORDINGS_DIR)")
        return 0
    files = [f for f in files if args.k in f.name]
    out_of_scope = [f for f in files if not scope.in_scope(f)]
    files = [f for f in files if scope.in_scope(f)]
    skipped_k8s = sum(len(cas.load(f).exchanges) for f in out_of_scope)
    started = time.monotonic()
    results: List[Result] = []
    blob = 0
    for f in files:
        rs, skipped = replay_cassette(f)
        results.extend(rs)
        blob += skipped
        if args.v:
            for r in rs:
                if not r.ok:
                    print(f"  {r.key} {r.what}")
                    for p in r.problems:
                        print(f"      {p}")
    matched = sum(r.ok for r in results)
    gaps = read_gaps()
    if args.write_gaps:
        write_gaps(results)
        print(f"wrote {GAPS_FILE}")
    regressions = [r for r in results if not r.ok and r.key not in gaps]
    fixed = [r for r in results if r.ok and r.key in gaps]
    reasons = Counter(re.sub(r"\[[^]]*\]", "[]", re.split(r" where |: | \(", p)[0])[:70]
                      for r in results if not r.ok for p in r.problems)
    print(f"replay: {matched}/{len(results)} exchanges match Azure's recorded answers "
          f"({len(files)} cassettes, {blob} Blob Storage exchanges with scrubbed URIs not replayable, "
          f"{skipped_k8s} exchanges of {len(out_of_scope)} Kubernetes cassettes out of scope, "
          f"{time.monotonic() - started:.0f}s)")
    print("  most frequent differences (all mismatching exchanges):")
    for reason, n in reasons.most_common(12):
        print(f"  {n:4d} x {reason}")
    if args.write_gaps:
        return 0
    for r in regressions:
        print(f"REGRESSION {r.key} {r.what}:")
        for p in r.problems[:8]:
            print(f"    {p}")
    for r in fixed:
        print(f"NOW MATCHES (remove from known_gaps.txt) {r.key} {r.what}")
    return 1 if regressions or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
