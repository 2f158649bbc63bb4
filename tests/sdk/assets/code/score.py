"""Scoring script in Azure ML's init()/run() shape for the amlite SDK acceptance tests.

The default (mock) runtime does not execute it; the `python` runtime does (SPEC 7).
"""
import json
import os

model = None


def init():
    global model
    model_dir = os.environ.get("AZUREML_MODEL_DIR", ".")
    for root, _dirs, files in os.walk(model_dir):
        if "model.json" in files:
            with open(os.path.join(root, "model.json")) as f:
                model = json.load(f)
            return


def run(raw_data):
    data = json.loads(raw_data)["data"]
    weights, bias = model["weights"], model["bias"]
    return [sum(w * x for w, x in zip(weights, row)) + bias for row in data]
