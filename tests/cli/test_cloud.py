"""Pointing the Azure CLI at amlite: the two ways the README gives, each as Azure serves it.

- `source env.sh`: the CLI reads `ARM_CLOUD_METADATA_URL` as a JSON list of clouds (what Azure's
  `?api-version=2019-05-01` document is) and amlite's cloud becomes the only, active one.
- `az cloud register --endpoint-resource-manager $AMLITE_URL/`: the CLI appends
  `/metadata/endpoints?api-version=2022-09-01` (so the README's trailing `/` makes `//metadata/…`,
  which ARM normalises) and reads one cloud object.
"""

from __future__ import annotations


def test_env_sh_alone_makes_amlite_the_active_cloud(az, amlite):
    cloud = az.json("cloud", "show")
    assert cloud["isActive"] is True
    assert cloud["endpoints"]["resourceManager"] == f"{amlite.url}/"
    assert cloud["endpoints"]["activeDirectory"] == amlite.url + "/"
    assert cloud["suffixes"]["storageEndpoint"] == "core.windows.net"
    names = [c["name"] for c in az.json("cloud", "list")]
    assert names == [cloud["name"]]


def test_cloud_register_with_the_readme_trailing_slash(az, amlite):
    # The README's recipe, without env.sh's ARM_CLOUD_METADATA_URL (the CLI's built-in clouds).
    az.run("cloud", "register", "--name", "amlite", "--endpoint-resource-manager", f"{amlite.url}/", with_exports=False)
    az.run("cloud", "set", "--name", "amlite", with_exports=False)
    cloud = az.json("cloud", "show", with_exports=False)
    assert cloud["name"] == "amlite" and cloud["isActive"] is True
    assert cloud["endpoints"]["resourceManager"] == f"{amlite.url}/"
    assert cloud["endpoints"]["activeDirectoryResourceId"] == f"{amlite.url}/"
    assert cloud["endpoints"]["management"] == f"{amlite.url}/"
    # The README's next step: the managed-identity login, then any command.
    identity = {k: amlite.env[k] for k in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER")}
    subs = az.json("login", "--identity", with_exports=False, **identity)
    assert [s["id"] for s in subs] == [amlite.subscription_id]
    rg = az.json("group", "show", "--name", amlite.resource_group, with_exports=False, **identity)
    assert rg["id"] == amlite.rg_path
    az.run("cloud", "set", "--name", "AzureCloud", with_exports=False)


def test_cloud_register_refuses_a_url_that_is_not_arm(az, amlite):
    err = az.fails("cloud", "register", "--name", "nowhere", "--endpoint-resource-manager", f"{amlite.url}/nowhere", with_exports=False)
    assert "Unable to get endpoints from the cloud." in err
    assert "Server returned status code 404" in err
