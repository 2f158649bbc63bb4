"""Signing the CLI in to amlite, offline: `az login --identity` against the managed-identity
endpoint env.sh exports (IDENTITY_ENDPOINT / IDENTITY_HEADER), and the service-principal login
with amlite's well-known development client."""

from __future__ import annotations

import json


def test_login_identity_lists_the_fixture_subscription(az, amlite):
    subs = az.json("login", "--identity")
    assert [s["id"] for s in subs] == [amlite.subscription_id]
    assert subs[0]["user"]["type"] == "servicePrincipal"
    assert subs[0]["state"] == "Enabled"
    account = az.json("account", "show")
    assert account["id"] == amlite.subscription_id
    assert account["isDefault"] is True


def test_account_get_access_token_is_amlite_signed(az, amlite):
    az.json("login", "--identity")
    tok = az.json("account", "get-access-token")
    assert tok["subscription"] == amlite.subscription_id
    assert tok["tokenType"] == "Bearer"
    # An RS256 JWT, verifiable with amlite's published key (checked by the Rust tests).
    header = tok["accessToken"].split(".")[0]
    import base64

    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    assert decoded["alg"] == "RS256"


def test_login_service_principal_with_the_development_client(az, amlite):
    # The CLI resolves a tenant that is not a GUID ('adfs') through amlite's OpenID document to
    # the directory's GUID; MSAL would then ask login.microsoftonline.com to validate that
    # authority: `core.instance_discovery=false` (the CLI's Azure Stack setting) keeps it offline.
    env = amlite.env
    subs = az.json(
        "login", "--service-principal",
        "--username", env["AZURE_CLIENT_ID"],
        "--password", env["AZURE_CLIENT_SECRET"],
        "--tenant", env["AZURE_TENANT_ID"],
        AZURE_CORE_INSTANCE_DISCOVERY="false",
    )
    assert [s["id"] for s in subs] == [amlite.subscription_id]
    assert subs[0]["user"] == {"name": env["AZURE_CLIENT_ID"], "type": "servicePrincipal"}
