"""The network-isolation article's `az ml` commands, run through exactly the azure-ai-ml calls the
Azure CLI `ml` extension makes for them (issue 11).

The extension is on no registry reachable here; its engine is azure-ai-ml: each command loads its
YAML with the SDK's loaders, `--set k=v` becoming `params_override=[{"k": "v"}]`, and calls the
SDK operations below (read from the extension's `azext_mlv2/manual/custom/*.py`). `AzMl` replays
those calls one method per command, so this module runs unchanged with the SDK versions the
extension pins (1.31.0 in extension 2.41.1, 1.34.0 in 2.45.x: tests/matrix) and with 1.35.2
(tests/sdk). What the CLI prints is the returned entity's `_to_dict()` (`dump()` for endpoints, whose
provisioning state 1.35.2 renders as `EndpointProvisioningState.SUCCEEDED`, which the extension
normalises), or the object itself.
"""

from __future__ import annotations

import json

import pytest
import requests
from azure.ai.ml import MLClient
from azure.ai.ml.entities import FqdnDestination, OnlineDeployment, PrivateEndpointDestination
from azure.ai.ml.entities._load_functions import load_online_deployment, load_online_endpoint, load_workspace
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from amlite_testing import azure_text
from conftest import ASSETS, AmliteServer, unique_name

YAML = ASSETS / "azml"
REQUEST_FILE = ASSETS / "request.json"
REQUEST_BODY = json.loads(REQUEST_FILE.read_text())


def overrides(sets: dict) -> list:
    """What `--set k=v ...` becomes for the extension's create commands."""
    return [{k: v} for k, v in sets.items()]


class AzMl:
    """`az ml ...` as the extension runs it: the same loaders, operations and arguments."""

    def __init__(self, client: MLClient, resource_group: str) -> None:
        self.client = client
        self.rg = resource_group

    # online-endpoint / online-deployment ----------------------------------------------------

    def online_endpoint_create(self, file, name: str, sets: dict) -> dict:
        endpoint = load_online_endpoint(source=file, params_override=overrides(sets) + [{"name": name.lower()}])
        with pytest.raises(ResourceNotFoundError):  # the extension first checks the name is free
            self.client.online_endpoints.get(name=endpoint.name, local=False)
        return self.client.begin_create_or_update(endpoint, local=False).result().dump()

    def online_deployment_create(self, file, endpoint_name: str, sets: dict, all_traffic: bool) -> dict:
        po = overrides(sets) + [{"endpoint_name": endpoint_name}]
        deployment = load_online_deployment(source=file, params_override=po)
        with pytest.raises(ResourceNotFoundError):
            self.client.online_deployments.get(name=deployment.name, endpoint_name=endpoint_name, local=False)
        created = self.client.begin_create_or_update(
            deployment, local=False, local_enable_gpu=False, vscode_debug=False, skip_script_validation=False
        ).result()
        if all_traffic:
            endpoint = self.client.online_endpoints.get(created.endpoint_name, local=False)
            endpoint.traffic = {created.name: 100}
            self.client.begin_create_or_update(endpoint, local=False).result()
        return created._to_dict()  # pylint: disable=protected-access

    def online_endpoint_show(self, name: str) -> dict:
        return self.client.online_endpoints.get(name=name, local=False).dump()

    def online_deployment_show(self, name: str, endpoint_name: str) -> dict:
        return self.client.online_deployments.get(name, endpoint_name, local=False)._to_dict()  # pylint: disable=protected-access

    def online_deployment_get_logs(self, name: str, endpoint_name: str, lines: int = 50) -> str:
        return self.client.online_deployments.get_logs(name, endpoint_name, lines, container_type=None, local=False)

    def online_endpoint_invoke(self, name: str) -> str:
        return self.client.online_endpoints.invoke(
            endpoint_name=name, request_file=str(REQUEST_FILE), input_data=None, deployment_name=None, local=False
        )

    def online_endpoint_get_credentials(self, name: str):
        return self.client.online_endpoints.get_keys(name=name)

    def online_deployment_update(self, name: str, endpoint_name: str, sets: dict) -> dict:
        # The CLI's generic update: show (a dict), apply --set to it, load it back, create_or_update.
        parameters = self.online_deployment_show(name, endpoint_name)
        parameters.update(sets)
        OnlineDeployment._set_scale_settings(data=parameters)  # pylint: disable=protected-access
        deployment = OnlineDeployment._load(data=parameters)  # pylint: disable=protected-access
        return self.client.begin_create_or_update(
            deployment, local=False, local_enable_gpu=False, vscode_debug=False, skip_script_validation=False
        ).result()._to_dict()  # pylint: disable=protected-access

    def online_endpoint_regenerate_keys(self, name: str, key_type: str = "primary"):
        return self.client.online_endpoints.begin_regenerate_keys(name=name, key_type=key_type).result()

    def online_endpoint_delete(self, name: str):
        self.client.online_endpoints.get(name=name, local=False)
        return self.client.online_endpoints.begin_delete(name=name, local=False).result()

    # workspace / managed network ------------------------------------------------------------

    def workspace_create(self, name: str, managed_network: str) -> dict:
        po = [
            {"name": name},
            {"tags": {"createdByToolkit": "cli-v2-amlite-test"}},
            {"managed_network": {"isolation_mode": managed_network}},
            {"provision_network_now": False},
        ]
        workspace = load_workspace(source=None, params_override=po)
        created = self.client.workspaces.begin_create(workspace=workspace, update_dependent_resources=False).result()
        return created._to_dict()  # pylint: disable=protected-access

    def workspace_provision_network(self, name: str):
        return self.client.workspaces.begin_provision_network(workspace_name=name, include_spark=False).result()

    def outbound_rule_set(self, workspace: str, rule):
        return self.client.workspace_outbound_rules.begin_create(
            workspace_name=workspace, rule=rule, resource_group=self.rg
        ).result()

    def outbound_rule_list(self, workspace: str) -> list:
        return list(self.client.workspace_outbound_rules.list(workspace_name=workspace, resource_group=self.rg))

    def outbound_rule_show(self, workspace: str, rule: str):
        return self.client.workspace_outbound_rules.get(
            workspace_name=workspace, outbound_rule_name=rule, resource_group=self.rg
        )

    def outbound_rule_remove(self, workspace: str, rule: str):
        return self.client.workspace_outbound_rules.begin_remove(
            workspace_name=workspace, outbound_rule_name=rule, resource_group=self.rg
        ).result()


def state(shown: dict) -> str:
    """`provisioning_state` as the extension prints it (`EndpointProvisioningState.SUCCEEDED` → succeeded)."""
    return str(shown["provisioning_state"]).rsplit(".", 1)[-1].lower()


def az(server: AmliteServer) -> AzMl:
    return AzMl(server.ml_client(), server.resource_group)


def rule_on_the_wire(server: AmliteServer, workspace: str, rule: str) -> dict:
    """`az rest --method get` on the rule: the JSON amlite answers, before any SDK model reads it."""
    url = (
        f"{server.url}/subscriptions/{server.subscription_id}/resourceGroups/{server.resource_group}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/outboundRules/{rule}"
        "?api-version=2024-10-01-preview"
    )
    r = requests.get(url, headers={"Authorization": "Bearer x"}, verify=server.ca_bundle, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


ISO_13_TEXT = azure_text("ISO-13(created=Disabled,sent=Enabled)")


@pytest.mark.flow
class TestArticleEndpointCommands:
    """online-endpoint create --set public_network_access=disabled, online-deployment create --set
    egress_public_network_access=disabled --all-traffic, show, get-logs, invoke (refused from the
    internet, allowed from a VNet with an approved private endpoint), get-credentials, update (the
    egress flag is refused), regenerate-keys, delete."""

    endpoint = unique_name("azml")

    def test_1_online_endpoint_create(self, iso_server):
        shown = az(iso_server).online_endpoint_create(
            YAML / "endpoint.yml", self.endpoint, {"public_network_access": "disabled"}
        )
        assert shown["name"] == self.endpoint
        assert shown["public_network_access"] == "disabled"
        assert shown["auth_mode"] == "key"
        assert state(shown) == "succeeded"

    def test_2_online_deployment_create_all_traffic(self, iso_server):
        shown = az(iso_server).online_deployment_create(
            YAML / "deployment.yml", self.endpoint, {"egress_public_network_access": "disabled"}, all_traffic=True
        )
        assert shown["name"] == "blue"
        assert shown["endpoint_name"] == self.endpoint
        assert shown["egress_public_network_access"] == "disabled"
        assert state(shown) == "succeeded"

    def test_3_show(self, iso_server):
        cli = az(iso_server)
        endpoint = cli.online_endpoint_show(self.endpoint)
        assert endpoint["traffic"] == {"blue": 100}
        assert endpoint["public_network_access"] == "disabled"
        deployment = cli.online_deployment_show("blue", self.endpoint)
        assert deployment["egress_public_network_access"] == "disabled"
        assert deployment["instance_type"] == "Standard_DS3_v2"

    def test_4_get_logs(self, iso_server):
        assert isinstance(az(iso_server).online_deployment_get_logs("blue", self.endpoint), str)

    def test_5_invoke_refused_publicly_allowed_from_the_vnet(self, iso_server):
        with pytest.raises(HttpResponseError) as refused:
            az(iso_server).online_endpoint_invoke(self.endpoint)
        assert refused.value.status_code == 403
        assert "rule ISO-5" in str(refused.value.message)
        inside = AzMl(iso_server.vnet_ml_client("vnet-approved"), iso_server.resource_group)
        assert json.loads(inside.online_endpoint_invoke(self.endpoint)) == {"deployment": "blue", "input": REQUEST_BODY}

    def test_6_get_credentials(self, iso_server):
        keys = az(iso_server).online_endpoint_get_credentials(self.endpoint)
        assert keys.primary_key and keys.secondary_key and keys.primary_key != keys.secondary_key
        type(self).keys = keys

    def test_7_update_egress_flag_refused(self, iso_server):
        with pytest.raises(HttpResponseError) as refused:
            az(iso_server).online_deployment_update("blue", self.endpoint, {"egress_public_network_access": "enabled"})
        assert refused.value.status_code == 400
        assert refused.value.error.code == "BadRequest"
        assert refused.value.error.message == ISO_13_TEXT
        shown = az(iso_server).online_deployment_show("blue", self.endpoint)
        assert shown["egress_public_network_access"] == "disabled"

    def test_8_regenerate_keys(self, iso_server):
        cli = az(iso_server)
        cli.online_endpoint_regenerate_keys(self.endpoint, "primary")
        fresh = cli.online_endpoint_get_credentials(self.endpoint)
        assert fresh.primary_key != self.keys.primary_key
        assert fresh.secondary_key == self.keys.secondary_key

    def test_9_delete(self, iso_server):
        cli = az(iso_server)
        cli.online_endpoint_delete(self.endpoint)
        with pytest.raises(ResourceNotFoundError):
            cli.online_endpoint_show(self.endpoint)


@pytest.mark.flow
class TestArticleManagedNetworkCommands:
    """workspace create --managed-network allow_only_approved_outbound, provision-network,
    outbound-rule set/list/show/remove: each prints the operation's own result."""

    workspace = unique_name("wsmnet")
    storage = (
        "/subscriptions/6a6d6c69-7465-4000-8000-000000000001/resourceGroups/amlite-rg"
        "/providers/Microsoft.Storage/storageAccounts/otherstore"
    )

    def test_1_workspace_create_with_managed_network(self, iso_server):
        shown = az(iso_server).workspace_create(self.workspace, "allow_only_approved_outbound")
        assert shown["name"] == self.workspace
        assert shown["managed_network"]["isolation_mode"] == "allow_only_approved_outbound"

    def test_2_provision_network_prints_the_network_status(self, iso_server):
        status = az(iso_server).workspace_provision_network(self.workspace)
        # `az ml workspace provision-network` prints this object: Azure's {"status": "Active", "sparkReady": false}.
        assert (status.status, status.spark_ready) == ("Active", False)

    def test_3_outbound_rule_set_fqdn_prints_the_rule(self, iso_server):
        rule = az(iso_server).outbound_rule_set(self.workspace, FqdnDestination(name="pypi", destination="pypi.org"))
        assert isinstance(rule, FqdnDestination)
        assert (rule.name, rule.destination) == ("pypi", "pypi.org")

    def test_4_outbound_rule_set_private_endpoint_spark_flag_as_the_cli_passes_it(self, iso_server):
        # The CLI hands `--spark-enabled false` over as the string "false". azure-ai-ml 1.35 sends it
        # as that string (Azure reads it as the boolean false); 1.31's msrest turns it into
        # bool("false") == true itself, before anything reaches the service.
        pe = PrivateEndpointDestination(
            name="otherstore-blob", service_resource_id=self.storage, subresource_target="blob", spark_enabled="false"
        )
        sent = dict(pe._to_rest_object().serialize() if hasattr(pe._to_rest_object(), "serialize") else pe._to_rest_object())
        sent_flag = sent["destination"]["sparkEnabled"]
        expected = sent_flag.lower() == "true" if isinstance(sent_flag, str) else sent_flag
        rule = az(iso_server).outbound_rule_set(self.workspace, pe)
        assert isinstance(rule, PrivateEndpointDestination)
        assert rule.name == "otherstore-blob"
        assert rule.spark_enabled is expected
        wire = rule_on_the_wire(iso_server, self.workspace, "otherstore-blob")
        assert wire["properties"]["destination"]["sparkEnabled"] is expected

    def test_5_outbound_rule_list_and_show(self, iso_server):
        cli = az(iso_server)
        names = [r.name for r in cli.outbound_rule_list(self.workspace)]
        assert {"pypi", "otherstore-blob"} <= set(names)
        shown = cli.outbound_rule_show(self.workspace, "pypi")
        assert (shown.name, shown.destination) == ("pypi", "pypi.org")

    def test_6_outbound_rule_remove(self, iso_server):
        cli = az(iso_server)
        cli.outbound_rule_remove(self.workspace, "pypi")
        with pytest.raises(ResourceNotFoundError):
            cli.outbound_rule_show(self.workspace, "pypi")
        assert "pypi" not in [r.name for r in cli.outbound_rule_list(self.workspace)]
