"""Long-running operations as the SDK polls them, with a real provisioning delay (SPEC 3).

`--provisioning-delay` lets users test their polling. With a delay, the SDK's first poll (sent at
once) sees `InProgress`; it then waits for the monitor's `Retry-After`, or, when absent or 0, for
its own default interval: 30 s for endpoint create/update and regenerateKeys, 5 s for deployment
create and deletes (research/sdk-contract.md 3). amlite sends `Retry-After` >= 1, so every
operation below must finish shortly after the delay.
"""

from __future__ import annotations

import time

from azure.ai.ml.entities import ManagedOnlineEndpoint

from conftest import unique_name
from test_flow import REQUEST_BODY, blue_deployment, invoke_json

DELAY_S = 1.5
# Polls at 0 s, ~1 s, ~2 s with Retry-After: 1 -> done by ~2 s; the SDK's fallback intervals are 5 s / 30 s.
MAX_S = 4.5


def test_lro_polling_follows_retry_after_with_provisioning_delay(start_amlite):
    server = start_amlite("--provisioning-delay", f"{int(DELAY_S * 1000)}ms")
    ml = server.ml_client()
    name = unique_name("ep-lro")
    timings = {}

    def timed(label, fn):
        started = time.monotonic()
        result = fn()
        timings[label] = time.monotonic() - started
        return result

    poller = ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=name, auth_mode="key"))
    started = time.monotonic()
    # SPEC 3: the resource reads back as Creating while its operation runs.
    assert ml.online_endpoints.get(name).provisioning_state == "Creating"
    endpoint = poller.result()
    timings["endpoint create"] = time.monotonic() - started
    assert endpoint.provisioning_state == "Succeeded"

    deployment = timed(
        "deployment create",
        lambda: ml.online_deployments.begin_create_or_update(blue_deployment(name)).result(),
    )
    assert deployment.provisioning_state == "Succeeded"

    endpoint = ml.online_endpoints.get(name)
    endpoint.traffic = {"blue": 100}
    updated = timed("endpoint update", lambda: ml.online_endpoints.begin_create_or_update(endpoint).result())
    assert updated.traffic == {"blue": 100}
    assert invoke_json(ml, name) == {"deployment": "blue", "input": REQUEST_BODY}

    before = ml.online_endpoints.get_keys(name)
    timed("regenerate keys", lambda: ml.online_endpoints.begin_regenerate_keys(name, key_type="primary").result())
    assert ml.online_endpoints.get_keys(name).primary_key != before.primary_key

    endpoint = ml.online_endpoints.get(name)
    endpoint.traffic = {"blue": 0}
    timed("endpoint update (traffic 0)", lambda: ml.online_endpoints.begin_create_or_update(endpoint).result())
    timed("deployment delete", lambda: ml.online_deployments.begin_delete(name="blue", endpoint_name=name).result())
    timed("endpoint delete", lambda: ml.online_endpoints.begin_delete(name=name).result())

    report = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    too_fast = {k: v for k, v in timings.items() if k.endswith("create") and v < DELAY_S - 0.2}
    too_slow = {k: v for k, v in timings.items() if v > MAX_S}
    assert not too_slow, f"polling fell back to the SDK's default interval (no usable Retry-After): {report}"
    assert not too_fast, f"--provisioning-delay {DELAY_S}s not honoured: {report}"
