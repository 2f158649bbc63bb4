"""Asset containers keep `latestVersion` / `nextVersion` true (issue 11): re-running a suite that
registers a model or an environment without a version must work, as it does on Azure."""
from __future__ import annotations

from azure.ai.ml.entities import Environment, Model

from conftest import ASSETS, unique_name

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"


def test_models_without_a_version_get_the_next_one(ml_client):
    name = unique_name("mdl")
    first = ml_client.models.create_or_update(Model(name=name, path=str(ASSETS / "model")))
    second = ml_client.models.create_or_update(Model(name=name, path=str(ASSETS / "model")))
    assert (first.version, second.version) == ("1", "2")
    container = ml_client.models.get(name=name, label="latest")
    assert container.version == "2"


def test_environments_without_a_version_get_the_next_one(ml_client):
    name = unique_name("env")
    first = ml_client.environments.create_or_update(Environment(name=name, image=IMAGE))
    second = ml_client.environments.create_or_update(
        Environment(name=name, image=IMAGE, description="changed")
    )
    assert first.version == "1"
    assert second.version in ("1", "2")
    assert ml_client.environments.get(name=name, label="latest").version == second.version


def test_an_archived_model_is_hidden_until_restored(ml_client):
    """`models.archive(name)` PUTs the container with `isArchived: true` (recorded:
    `test_model`): the model leaves `models.list()` and comes back with `restore()`."""
    name = unique_name("arch")
    ml_client.models.create_or_update(Model(name=name, path=str(ASSETS / "model")))
    listed = lambda: {m.name for m in ml_client.models.list()}  # noqa: E731
    assert name in listed()
    ml_client.models.archive(name=name)
    assert name not in listed()
    from azure.ai.ml.constants import ListViewType

    archived = {m.name for m in ml_client.models.list(list_view_type=ListViewType.ARCHIVED_ONLY)}
    assert name in archived
    ml_client.models.restore(name=name)
    assert name in listed()
    assert [m.version for m in ml_client.models.list(name=name)] == ["1"]
