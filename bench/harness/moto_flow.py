"""The SageMaker sequence against moto's server mode with boto3 (issue 6 item 7). Runs in the bench
venv (bench/requirements.txt). Prints `MOTOFLOW {...}`: boto3's per-operation client latencies in
seconds over `iterations` rounds (fresh names each round), and what InvokeEndpoint did.

The plain-HTTP rounds the moto / amlite ratios use ([`RawSequence`], standard library only) are
imported by the harness, which runs them in turn with amlite's (alternatives.py).

Usage: python moto_flow.py PORT ITERATIONS
"""

from __future__ import annotations

import http.client
import json
import sys
import time

ROLE = "arn:aws:iam::123456789012:role/bench"
RAW_OPS = ("CreateModel", "CreateEndpointConfig", "CreateEndpoint", "DescribeEndpoint", "InvokeEndpoint",
           "sequence")


class RawSequence:
    """The sequence with a plain keep-alive http.client (the client amlite is measured with), so
    per-operation numbers compare servers rather than boto3 against http.client."""

    def __init__(self, port: int, prefix: str) -> None:
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.prefix = prefix
        self.ops = {k: [] for k in RAW_OPS}
        self.auth = ("AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/sagemaker/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=00")

    def _call(self, op: str, path: str, body: dict, target: bool = True) -> None:
        h = {"Content-Type": "application/x-amz-json-1.1" if target else "application/json",
             "Authorization": self.auth}
        if target:
            h["X-Amz-Target"] = f"SageMaker.{op}"
        s = time.perf_counter()
        self.c.request("POST", path, json.dumps(body), h)
        r = self.c.getresponse()
        r.read()
        self.ops[op].append(time.perf_counter() - s)
        if r.status != 200:
            raise RuntimeError(f"{op} -> {r.status}")

    def round(self, i: int) -> None:
        """One round with fresh names: CreateModel → CreateEndpointConfig → CreateEndpoint →
        DescribeEndpoint → InvokeEndpoint."""
        m, cfg, ep = f"{self.prefix}m{i}", f"{self.prefix}c{i}", f"{self.prefix}e{i}"
        t0 = time.perf_counter()
        self._call("CreateModel", "/", {"ModelName": m, "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "bench"}})
        self._call("CreateEndpointConfig", "/", {"EndpointConfigName": cfg, "ProductionVariants": [{
            "VariantName": "blue", "ModelName": m, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]})
        self._call("CreateEndpoint", "/", {"EndpointName": ep, "EndpointConfigName": cfg})
        self._call("DescribeEndpoint", "/", {"EndpointName": ep})
        self._call("InvokeEndpoint", f"/endpoints/{ep}/invocations", {"data": [[1, 2, 3]]}, target=False)
        self.ops["sequence"].append(time.perf_counter() - t0)

    def close(self) -> None:
        self.c.close()


def main() -> int:
    import boto3
    from botocore.config import Config

    port, iterations = int(sys.argv[1]), int(sys.argv[2])
    url = f"http://127.0.0.1:{port}"
    kw = dict(region_name="us-east-1", endpoint_url=url, aws_access_key_id="bench",
              aws_secret_access_key="bench", config=Config(retries={"max_attempts": 1}))
    sm = boto3.client("sagemaker", **kw)
    rt = boto3.client("sagemaker-runtime", **kw)
    ops = {k: [] for k in RAW_OPS}
    invoke_note = ""
    for i in range(iterations):
        m, cfg, ep = f"m{i}", f"c{i}", f"e{i}"
        t0 = time.perf_counter()
        calls = [
            ("CreateModel", lambda: sm.create_model(ModelName=m, ExecutionRoleArn=ROLE, PrimaryContainer={
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/bench:latest",
                "ModelDataUrl": "s3://bench/model.tar.gz"})),
            ("CreateEndpointConfig", lambda: sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
                "VariantName": "blue", "ModelName": m, "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])),
            ("CreateEndpoint", lambda: sm.create_endpoint(EndpointName=ep, EndpointConfigName=cfg)),
            ("DescribeEndpoint", lambda: sm.describe_endpoint(EndpointName=ep)),
        ]
        for name, call in calls:
            s = time.perf_counter()
            call()
            ops[name].append(time.perf_counter() - s)
        s = time.perf_counter()
        try:
            r = rt.invoke_endpoint(EndpointName=ep, ContentType="application/json", Body=b'{"data": [[1, 2, 3]]}')
            body = r["Body"].read()
            ops["InvokeEndpoint"].append(time.perf_counter() - s)
            invoke_note = f"supported: 200, body {body[:60]!r}"
        except Exception as e:  # report whatever moto does, do not fail the run
            invoke_note = f"not supported: {type(e).__name__}: {str(e)[:160]}"
        ops["sequence"].append(time.perf_counter() - t0)
    print("MOTOFLOW " + json.dumps({"ops": ops, "invoke": invoke_note}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
