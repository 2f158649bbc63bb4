"""The Blob slice under `--auth strict`, judged by the real clients (issue 9): azure-storage-blob with
the account key from `listSecrets` and with SAS from `generate_blob_sas` / `generate_account_sas`,
and the azure-ai-ml SDK's own uploads (a deployment from local folders) on a strict server.
Anonymous and wrongly signed requests never change a blob.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta, timezone

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.storage.blob import (
    AccountSasPermissions,
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ResourceTypes,
    generate_account_sas,
    generate_blob_sas,
    generate_container_sas,
)

from conftest import AmliteServer, module_server, unique_name
from test_flow import blue_deployment, create_key_endpoint

SCORE_PY = b"def init():\n    pass\n\ndef run(raw):\n    return raw\n"


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    yield from module_server(tmp_path_factory, "amlite-strict", ["--auth", "strict"])


@pytest.fixture
def ml_client(strict: AmliteServer):
    from azure.identity import DefaultAzureCredential

    strict.activate()
    return strict.ml_client(credential=DefaultAzureCredential())


@pytest.fixture
def store(ml_client):
    """(account url as the SDK builds it, account name, container, key) of the default datastore."""
    ds = ml_client.datastores.get_default(include_secrets=True)
    key = ds.credentials.account_key
    assert key, "listSecrets gave no account key"
    account_url = f"https://{ds.account_name}.blob.{ds.endpoint}"
    account = ds.account_name.rsplit("/", 1)[-1]
    return account_url, account, ds.container_name, key


def path_url(strict: AmliteServer, account: str, container: str, blob: str = "") -> str:
    return f"{strict.url}/{account}/{container}" + (f"/{blob}" if blob else "")


def anonymous_put(strict: AmliteServer, url: str, data: bytes) -> requests.Response:
    return requests.put(url, data=data, headers={"x-ms-blob-type": "BlockBlob"}, verify=strict.ca_bundle, timeout=30)


def test_account_key_client_round_trip(store):
    account_url, _, container, key = store
    blob = BlobServiceClient(account_url, credential=key).get_blob_client(container, "code/score.py")
    blob.upload_blob(SCORE_PY, overwrite=True)
    assert blob.download_blob().readall() == SCORE_PY
    names = [b.name for b in BlobServiceClient(account_url, credential=key).get_container_client(container).list_blobs()]
    assert "code/score.py" in names


def test_anonymous_overwrite_of_score_py_refused(strict, store):
    account_url, account, container, key = store
    blob = BlobServiceClient(account_url, credential=key).get_blob_client(container, "code/score.py")
    blob.upload_blob(SCORE_PY, overwrite=True)
    url = path_url(strict, account, container, "code/score.py")
    refused = anonymous_put(strict, url, b"import os; os.system('evil')")
    assert refused.status_code == 404, refused.text
    assert refused.headers["x-ms-error-code"] == "ResourceNotFound"
    assert "<Code>ResourceNotFound</Code>" in refused.text and "RequestId:" in refused.text
    assert requests.get(url, verify=strict.ca_bundle, timeout=30).status_code == 404
    assert blob.download_blob().readall() == SCORE_PY


def test_wrong_key_refused(store):
    account_url, _, container, _ = store
    wrong = base64.b64encode(os.urandom(64)).decode()
    blob = BlobServiceClient(account_url, credential=wrong).get_blob_client(container, "code/score.py")
    with pytest.raises(ClientAuthenticationError) as err:
        blob.upload_blob(b"evil", overwrite=True)
    assert err.value.status_code == 403
    assert err.value.error_code == "AuthenticationFailed"


def sas_client(strict, account, container, blob, sas, **kwargs):
    return BlobServiceClient(f"{strict.url}/{account}", credential=sas, **kwargs).get_blob_client(container, blob)


def test_blob_sas_read_write_path_expiry(strict, store):
    account_url, account, container, key = store
    BlobServiceClient(account_url, credential=key).get_blob_client(container, "sas/a.txt").upload_blob(
        b"a", overwrite=True
    )
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    read_a = generate_blob_sas(account, container, "sas/a.txt", account_key=key,
                               permission=BlobSasPermissions(read=True), expiry=soon)
    assert sas_client(strict, account, container, "sas/a.txt", read_a).download_blob().readall() == b"a"

    with pytest.raises(HttpResponseError) as err:  # read-only SAS, write
        sas_client(strict, account, container, "sas/a.txt", read_a).upload_blob(b"x", overwrite=True)
    assert err.value.status_code == 403 and err.value.error_code == "AuthorizationPermissionMismatch"

    with pytest.raises(HttpResponseError) as err:  # SAS of another blob
        sas_client(strict, account, container, "sas/b.txt", read_a).download_blob()
    assert err.value.status_code == 403 and err.value.error_code == "AuthenticationFailed"

    expired = generate_blob_sas(account, container, "sas/a.txt", account_key=key,
                                permission=BlobSasPermissions(read=True),
                                expiry=datetime.now(timezone.utc) - timedelta(minutes=1))
    with pytest.raises(HttpResponseError) as err:
        sas_client(strict, account, container, "sas/a.txt", expired).download_blob()
    assert err.value.status_code == 403 and err.value.error_code == "AuthenticationFailed"

    write_b = generate_blob_sas(account, container, "sas/b.txt", account_key=key,
                                permission=BlobSasPermissions(write=True, read=True), expiry=soon)
    # Small blocks: Put Block + Put Block List, each signed by the SAS.
    client = sas_client(strict, account, container, "sas/b.txt", write_b, max_single_put_size=1024, max_block_size=1024)
    client.upload_blob(b"b" * 5000, overwrite=True)
    assert client.download_blob().readall() == b"b" * 5000


def test_container_and_account_sas(strict, store):
    _, account, container, key = store
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    csas = generate_container_sas(account, container, account_key=key,
                                  permission="rcwl", expiry=soon)
    cc = ContainerClient(f"{strict.url}/{account}", container, credential=csas)
    cc.upload_blob("csas/new.txt", b"new", overwrite=True)
    assert "csas/new.txt" in [b.name for b in cc.list_blobs(name_starts_with="csas/")]

    only_containers = generate_account_sas(account, key, ResourceTypes(container=True),
                                           AccountSasPermissions(read=True, list=True), expiry=soon)
    with pytest.raises(HttpResponseError) as err:
        sas_client(strict, account, container, "csas/new.txt", only_containers).download_blob()
    assert err.value.status_code == 403 and err.value.error_code == "AuthorizationResourceTypeMismatch"

    objects = generate_account_sas(account, key, ResourceTypes(object=True),
                                   AccountSasPermissions(read=True), expiry=soon)
    assert sas_client(strict, account, container, "csas/new.txt", objects).download_blob().readall() == b"new"


def test_expirable_secret_for_older_sdks_is_a_working_sas(strict, store, ml_client):
    """azure-ai-ml 1.31 (api-version 2024-07-01-preview) asks for an expirable secret and reads `sasToken`."""
    from azure.identity import DefaultAzureCredential

    _, account, container, _ = store
    token = DefaultAzureCredential().get_token(f"{strict.url}/.default").token
    url = (f"{strict.url}/subscriptions/{strict.subscription_id}/resourceGroups/{strict.resource_group}"
           f"/providers/Microsoft.MachineLearningServices/workspaces/{strict.workspace_name}"
           "/datastores/workspaceblobstore/listSecrets?api-version=2024-07-01-preview")
    r = requests.post(url, json={"expirableSecret": True, "expireAfterHours": 1},
                      headers={"Authorization": f"Bearer {token}"}, verify=strict.ca_bundle, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["secretsType"] == "Sas"
    cc = ContainerClient(f"{strict.url}/{account}", container, credential=r.json()["sasToken"])
    cc.upload_blob("old-sdk/x.txt", b"x", overwrite=True)
    assert cc.download_blob("old-sdk/x.txt").readall() == b"x"


def test_sdk_deployment_from_local_folders_under_strict(ml_client, strict):
    """The judge: azure-ai-ml uploads the model and code folders itself and deploys them."""
    name = unique_name("ep")
    create_key_endpoint(ml_client, name)
    deployment = ml_client.online_deployments.begin_create_or_update(blue_deployment(name)).result()
    assert deployment.provisioning_state == "Succeeded"
    code = ml_client.online_deployments.get(name="blue", endpoint_name=name).code_configuration.code
    assert "/codes/" in str(code)
    ml_client.online_deployments.begin_delete(name="blue", endpoint_name=name).result()
    ml_client.online_endpoints.begin_delete(name=name).result()
    with pytest.raises(ResourceNotFoundError):
        ml_client.online_endpoints.get(name)
