"""Which recorded cassettes are in amlite's scope (issue 15).

amlite emulates managed online endpoints only. The `test_online_endpoint_k8s*` cassettes drive
Kubernetes online endpoints (`properties.compute`, `kind: K8S`), which amlite refuses by design
(CP-7: "amlite emulates managed online endpoints only: ..."), so their exchanges are counted apart
and reported as out of scope instead of being listed as gaps.
"""

from __future__ import annotations

from pathlib import Path

OUT_OF_SCOPE_MARKERS = ("_k8s",)


def in_scope(cassette: Path) -> bool:
    return not any(m in cassette.stem for m in OUT_OF_SCOPE_MARKERS)
