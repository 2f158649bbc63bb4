"""Sends one ARM request to amlite and validates its answer against the official contract of the
api-version it was sent with (SPEC §8: "every response validates against the schemas in
contracts/"). Records what it checked so the test can print the coverage summary."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, List, Optional, Set, Tuple

import requests

import swagger
from amlite_server import AmliteServer

POLL_LIMIT = 200  # polls of one LRO monitor before giving up (operations finish at once by default)


@dataclass
class Record:
    """Coverage and violations of one test run."""

    operations: Set[Tuple[str, str]] = field(default_factory=set)  # (api-version, operationId)
    validated: int = 0
    violations: List[str] = field(default_factory=list)

    def summary(self) -> str:
        op_ids = {op for _, op in self.operations}
        return (f"contract conformance: {len(op_ids)} operations covered ({len(self.operations)} operation x "
                f"api-version pairs), {self.validated} responses validated, {len(self.violations)} violations")


class Checker:
    """`checker.call("GET", path, "2024-04-01")` -> the response, validated on the way."""

    def __init__(self, server: AmliteServer, contracts: Path, record: Record) -> None:
        self.server = server
        self.contracts = contracts
        self.record = record

    def call(self, method: str, path: str, api: str, body: Any = None, ok: Iterable[int] = (200, 201, 202, 204),
             op_id: Optional[str] = None) -> requests.Response:
        """Sends the request, validates the body for its status, and fails on an unexpected status."""
        resp = self.server.session.request(method, f"{self.server.url}{path}", params={"api-version": api},
                                           json=body, timeout=30)
        self.validate(method, path, api, resp, op_id)
        assert resp.status_code in tuple(ok), f"{method} {path} ({api}) -> {resp.status_code}: {resp.text[:500]}"
        return resp

    def validate(self, method: str, path: str, api: str, resp: requests.Response, op_id: Optional[str] = None) -> None:
        spec = swagger.load(self.contracts, api)
        op = spec.find(method, path)
        where = f"{method} {path} ({api}) -> {resp.status_code}"
        if op is None:
            self.record.violations.append(f"{where}: no operation in the {api} contract matches")
            return
        if op_id is not None:
            assert op.operation_id == op_id, f"{where}: matched {op.operation_id}, expected {op_id}"
        self.record.operations.add((api, op.operation_id))
        code = str(resp.status_code)
        if code not in op.responses and resp.status_code < 400:
            self.record.violations.append(f"{where}: status not declared by {op.operation_id} ({sorted(op.responses)})")
            return
        schema = op.responses.get(code, op.responses.get("default", {}))
        if not schema:
            return  # declared without a body (202/204, or 200 with no schema)
        try:
            body = resp.json()
        except ValueError:
            self.record.violations.append(f"{where}: body is not JSON: {resp.text[:200]!r}")
            return
        self.record.validated += 1
        for err in spec.errors(schema, body):
            self.record.violations.append(f"{where} [{op.operation_id}] {err}")

    def wait(self, resp: requests.Response) -> None:
        """Follows an LRO (Azure-AsyncOperation or Location) until it is no longer running."""
        monitor = resp.headers.get("Azure-AsyncOperation")
        location = resp.headers.get("Location") if resp.status_code == 202 else None
        for _ in range(POLL_LIMIT):
            if monitor:
                status = self.server.session.get(monitor, timeout=30).json().get("status")
                if status not in ("InProgress", "Running", "Accepted", None):
                    assert status == "Succeeded", f"operation ended {status}"
                    return
            elif location:
                if self.server.session.get(location, timeout=30).status_code != 202:
                    return
            else:
                return
            time.sleep(0.02)
        raise AssertionError(f"operation still running after {POLL_LIMIT} polls")
