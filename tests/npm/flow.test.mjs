// A second official client against amlite (issue 5): the generated JavaScript SDK
// @azure/arm-machinelearning with a credential that returns a fixed token, pointed at amlite's
// URL, trusting amlite's certificate through NODE_EXTRA_CA_CERTS (set by run.sh before node
// starts). Anything the client cannot send or parse is a bug in amlite.
//
// Flow (steps run in order; a failed step fails the later ones): create a workspace, an online
// endpoint, register model/code/environment versions by id, create a deployment, read it back,
// list keys, route traffic, score with fetch, zero the traffic, delete the deployment and the
// endpoint.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through tests/npm/run.sh`);
  return v;
};
const URL_BASE = env("AMLITE_URL").replace(/\/$/, "");
const SUB = env("AZURE_SUBSCRIPTION_ID");
const RG = env("AZURE_RESOURCE_GROUP");
const WS = env("AZUREML_WORKSPACE_NAME");
const suffix = Math.random().toString(16).slice(2, 8);
const NEW_WS = `npm-ws-${suffix}`;
const EP = `npm-ep-${suffix}`;
const DEP = "blue";
const WS_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
const fast = { updateIntervalInMs: 50 }; // amlite finishes LROs at once; don't wait the default seconds

// The smallest TokenCredential: amlite does not check tokens unless --auth strict.
const credential = { getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3600e3 }) };
// Generated clients of this generation read `$host` for URLs and `endpoint` for the pipeline and
// the token scope; give both.
const client = new AzureMachineLearningWorkspaces(credential, SUB, { endpoint: URL_BASE, $host: URL_BASE });
const state = {};

before(async () => {
  const health = await fetch(`${URL_BASE}/health`);
  assert.equal(health.status, 200, "amlite /health");
});

after(async () => {
  // Best-effort clean-up if a step failed midway (a deleted resource answers 204 or 404).
  await client.onlineEndpoints.beginDeleteAndWait(RG, WS, EP, fast).catch(() => {});
  await client.workspaces.beginDeleteAndWait(RG, NEW_WS, fast).catch(() => {});
});

test("workspaces: create with beginCreateOrUpdateAndWait, get, list", async () => {
  const ws = await client.workspaces.beginCreateOrUpdateAndWait(RG, NEW_WS, {
    location: "eastus",
    identity: { type: "SystemAssigned" },
    sku: { name: "Basic", tier: "Basic" },
    friendlyName: "npm client",
    publicNetworkAccess: "Enabled",
  }, fast);
  assert.equal(ws.name, NEW_WS);
  assert.equal(ws.provisioningState, "Succeeded");
  const got = await client.workspaces.get(RG, WS);
  assert.equal(got.name, WS);
  assert.ok(got.systemData.createdAt instanceof Date, "systemData.createdAt parses as a Date");
  const names = [];
  for await (const w of client.workspaces.listByResourceGroup(RG)) names.push(w.name);
  assert.ok(names.includes(NEW_WS) && names.includes(WS), `listed ${names}`);
});

test("online endpoint: create (Key auth), get, list", async () => {
  const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, EP, {
    location: "eastus",
    identity: { type: "SystemAssigned" },
    properties: { authMode: "Key", description: "from the npm client" },
  }, fast);
  assert.equal(ep.name, EP);
  assert.equal(ep.properties.provisioningState, "Succeeded");
  assert.equal(ep.properties.authMode, "Key");
  assert.match(ep.properties.scoringUri, /\/score$/);
  state.scoringUri = ep.properties.scoringUri;
  const names = [];
  for await (const e of client.onlineEndpoints.list(RG, WS)) names.push(e.name);
  assert.ok(names.includes(EP));
});

test("assets: register model, code and environment versions by id", async () => {
  const store = await client.datastores.get(RG, WS, "workspaceblobstore");
  const blob = `https://${store.properties.accountName}.blob.core.windows.net/${store.properties.containerName}`;
  const model = await client.modelVersions.createOrUpdate(RG, WS, "npm-model", "1", {
    properties: { modelUri: `${blob}/npm/model`, modelType: "custom_model", description: "npm" },
  });
  const code = await client.codeVersions.createOrUpdate(RG, WS, "npm-code", "1", {
    properties: { codeUri: `${blob}/npm/code` },
  });
  const environment = await client.environmentVersions.createOrUpdate(RG, WS, "npm-env", "1", {
    properties: { image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest" },
  });
  for (const a of [model, code, environment]) assert.ok(a.id && a.id.includes(WS_ID.split("/").pop()), a.id);
  state.ids = { model: model.id, code: code.id, environment: environment.id };
  const again = await client.modelVersions.get(RG, WS, "npm-model", "1");
  assert.equal(again.properties.modelUri, `${blob}/npm/model`);
});

test("deployment: create (Managed), get, list, logs, skus", async () => {
  const dep = await client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, EP, DEP, {
    location: "eastus",
    sku: { name: "Default", capacity: 1 },
    properties: {
      endpointComputeType: "Managed",
      model: state.ids.model,
      codeConfiguration: { codeId: state.ids.code, scoringScript: "score.py" },
      environmentId: state.ids.environment,
      instanceType: "Standard_DS3_v2",
      requestSettings: { requestTimeout: "PT5S", maxConcurrentRequestsPerInstance: 1 },
    },
  }, fast);
  assert.equal(dep.name, DEP);
  assert.equal(dep.properties.provisioningState, "Succeeded");
  assert.equal(dep.properties.endpointComputeType, "Managed");
  assert.equal(dep.sku.capacity, 1);
  const names = [];
  for await (const d of client.onlineDeployments.list(RG, WS, EP)) names.push(d.name);
  assert.deepEqual(names, [DEP]);
  const logs = await client.onlineDeployments.getLogs(RG, WS, EP, DEP, { containerType: "InferenceServer", tail: 5 });
  assert.equal(typeof logs.content, "string");
  const skus = [];
  for await (const s of client.onlineDeployments.listSkus(RG, WS, EP, DEP)) skus.push(s);
  assert.ok(skus.length > 0 && skus[0].capacity);
});

test("keys: listKeys and regenerate the secondary key", async () => {
  const keys = await client.onlineEndpoints.listKeys(RG, WS, EP);
  assert.ok(keys.primaryKey && keys.secondaryKey);
  await client.onlineEndpoints.beginRegenerateKeysAndWait(RG, WS, EP, { keyType: "Secondary" }, fast);
  const after = await client.onlineEndpoints.listKeys(RG, WS, EP);
  assert.equal(after.primaryKey, keys.primaryKey);
  assert.notEqual(after.secondaryKey, keys.secondaryKey);
  state.key = after.primaryKey;
});

test("traffic: route 100% to the deployment, then score with fetch", async () => {
  const ep = await client.onlineEndpoints.get(RG, WS, EP);
  ep.properties.traffic = { [DEP]: 100 };
  const updated = await client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, EP, ep, fast);
  assert.deepEqual(updated.properties.traffic, { [DEP]: 100 });
  const resp = await fetch(state.scoringUri, {
    method: "POST",
    headers: { Authorization: `Bearer ${state.key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ data: [[1, 2, 3]] }),
  });
  const text = await resp.text();
  assert.equal(resp.status, 200, text);
  assert.equal(resp.headers.get("azureml-model-deployment"), DEP);
  const bad = await fetch(state.scoringUri, { method: "POST", headers: { Authorization: "Bearer nope" }, body: "{}" });
  assert.equal(bad.status, 401);
});

test("delete: zero traffic, delete the deployment, then the endpoint", async () => {
  const ep = await client.onlineEndpoints.get(RG, WS, EP);
  ep.properties.traffic = {};
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, EP, ep, fast);
  await client.onlineDeployments.beginDeleteAndWait(RG, WS, EP, DEP, fast);
  await assert.rejects(client.onlineDeployments.get(RG, WS, EP, DEP), (e) => e.statusCode === 404);
  await client.onlineEndpoints.beginDeleteAndWait(RG, WS, EP, fast);
  await assert.rejects(client.onlineEndpoints.get(RG, WS, EP), (e) => e.statusCode === 404 && e.code === "ResourceNotFound");
  await client.workspaces.beginDeleteAndWait(RG, NEW_WS, fast);
});
