"""Endpoint lists page as ARM does (issue 14): amlite serves 100 endpoints per page with a
`nextLink`, and azure-ai-ml's `online_endpoints.list()` follows it to the end."""

from azure.ai.ml.entities import ManagedOnlineEndpoint


def test_sdk_list_follows_next_link_past_one_page(start_amlite):
    server = start_amlite("--endpoint-quota", "200")
    server.activate()
    client = server.ml_client()
    made = [f"page-ep-{i:03d}" for i in range(105)]
    for name in made:
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=name, auth_mode="key")).result()
    listed = [e.name for e in client.online_endpoints.list()]
    assert listed == made
