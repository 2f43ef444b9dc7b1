"""Limits of the deployed stack, read from the packaged template (dev) and from the resolved
configuration of every stage: what bounds the requests, the Lambda containers and the database
connections, the projector queue's timing, Aurora's auto-pause, and the stage parameter
combinations deploy/stage.js refuses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.deploy.conftest import (
    ROOT,
    Packaged,
    serverless_print,
    stage_config,
    stage_extensions,
    stage_resources,
)

STAGES = ("dev", "loadtest", "prod")
# Database-using functions besides `api`, and how many of their containers can run at once:
# the relay's runs may overlap once (handlers/relay.py), the migration runs alone (the
# projector's and the subscribe check's come from their settings).
RELAY_CONTAINERS = 2
MIGRATE_CONTAINERS = 1
# The hosted rotation functions of the application user's and the migrator's secrets: one
# connection each at most (deploy/database.yml).
ROTATION_CONNECTIONS = 2


@pytest.fixture(scope="module")
def template(packaged: Packaged) -> dict[str, Any]:
    return json.loads(packaged.template.read_text())


def _aurora_max_connections(max_acu: float) -> int:
    """AWS's documented default max_connections at a maximum ACU (the lower row in between)."""
    table = json.loads((ROOT / "deploy" / "aurora-mysql-max-connections.json").read_text())
    assert "aurora-serverless-v2.max-connections" in table["source"]
    return max(conns for acu, conns in table["maxConnectionsByMaxAcu"] if acu <= max_acu)


def _database_functions(functions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: f for n, f in functions.items() if "VOTES_DATABASE_HOST" in f.get("environment", {})}


def _if_branches(value: Any, condition: str) -> tuple[Any, Any]:
    assert value["Fn::If"][0] == condition, value
    return value["Fn::If"][1], value["Fn::If"][2]


# -- requests: HTTP API stage throttling --------------------------------------------------------


def test_the_http_api_stage_throttles_every_route(template: dict[str, Any]) -> None:
    settings = template["Resources"]["HttpApiStage"]["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == 100
    assert settings["ThrottlingBurstLimit"] == 200
    # No route overrides the stage's default with a looser (or absent) limit.
    assert "RouteSettings" not in template["Resources"]["HttpApiStage"]["Properties"]


@pytest.mark.parametrize(
    ("stage", "rate", "burst"), [("loadtest", 1000, 2000), ("prod", 1000, 2000)]
)
def test_throttling_comes_from_the_stage_parameters(
    packaged: Packaged, stage: str, rate: int, burst: int
) -> None:
    stage_settings = stage_extensions(stage_config(stage))["HttpApiStage"]["Properties"]
    assert stage_settings["DefaultRouteSettings"]["ThrottlingRateLimit"] == rate
    assert stage_settings["DefaultRouteSettings"]["ThrottlingBurstLimit"] == burst


# -- Lambda containers and database connections --------------------------------------------------


def _connection_budget(config: dict[str, Any]) -> dict[str, int]:
    """The figures of the reserved-concurrency formula, read from a resolved configuration."""
    functions = config["functions"]
    database_functions = _database_functions(functions)
    pools = {int(f["environment"]["VOTES_DATABASE_POOL_SIZE"]) for f in database_functions.values()}
    assert len(pools) == 1, f"every database function has the same pool size: {pools}"
    (sqs,) = [e["sqs"] for e in functions["projector"]["events"] if "sqs" in e]
    cluster = stage_resources(config)["DbCluster"]["Properties"]
    max_acu = cluster["ServerlessV2ScalingConfiguration"]["MaxCapacity"]
    reserved, absent = _if_branches(
        functions["api"]["reservedConcurrency"], "ReserveApiConcurrency"
    )
    assert absent == {"Ref": "AWS::NoValue"}
    subscribe, absent = _if_branches(
        functions["subscribe"]["reservedConcurrency"], "ReserveApiConcurrency"
    )
    assert absent == {"Ref": "AWS::NoValue"}
    assert int(subscribe) == int(config["custom"]["subscribeContainers"])
    assert set(database_functions) == {"api", "relay", "projector", "migrate", "subscribe"}
    return {
        "limit": _aurora_max_connections(float(max_acu)),
        "pool": pools.pop(),
        "projector": int(sqs["maximumConcurrency"]),
        "subscribe": int(config["custom"]["subscribeContainers"]),
        "reserved": int(reserved),
    }


@pytest.mark.parametrize(("stage", "reserved"), [("dev", 49), ("loadtest", 889), ("prod", 889)])
def test_the_api_reserves_what_auroras_connections_allow(
    packaged: Packaged, stage: str, reserved: int
) -> None:
    """Every function at its most containers, each with a full pool, plus a tenth of the limit
    for people, fits in Aurora's max_connections; one more API container would not."""
    b = _connection_budget(stage_config(stage))
    others = b["pool"] * (b["projector"] + RELAY_CONTAINERS + MIGRATE_CONTAINERS + b["subscribe"])
    others += ROTATION_CONNECTIONS
    available = b["limit"] - math.ceil(b["limit"] / 10) - others
    assert b["reserved"] * b["pool"] <= available < (b["reserved"] + 1) * b["pool"]
    assert b["reserved"] == reserved  # the figures docs/deploy.md quotes


def test_the_packaged_api_function_carries_the_reservation(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    reserved, _ = _if_branches(
        resources["ApiLambdaFunction"]["Properties"]["ReservedConcurrentExecutions"],
        "ReserveApiConcurrency",
    )
    assert reserved == 49
    assert template["Conditions"]["ReserveApiConcurrency"] == {
        "Fn::Equals": [{"Ref": "ReserveApiConcurrency"}, "true"]
    }
    assert template["Parameters"]["ReserveApiConcurrency"]["Default"] == "true"


def test_a_bigger_pool_means_fewer_api_containers(packaged: Packaged) -> None:
    """The value follows its inputs (deploy/stage.js reads them, nothing is retyped)."""
    b = _connection_budget(stage_config("dev", "dbPoolSize=3", "dbMaxCapacity=8"))
    assert (b["limit"], b["pool"]) == (1000, 3)
    assert (
        b["reserved"]
        == (1000 - 100 - 3 * (b["projector"] + 3 + b["subscribe"]) - ROTATION_CONNECTIONS) // 3
    )


def test_the_migration_pool_is_bounded_too(template: dict[str, Any]) -> None:
    env = template["Resources"]["MigrateLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert env["VOTES_DATABASE_POOL_SIZE"] == "2"


# -- the projector queue -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "function"),
    [("ProjectorQueue", "ProjectorLambdaFunction"), ("PushQueue", "PushLambdaFunction")],
)
def test_each_function_queue_outlasts_six_function_timeouts(
    template: dict[str, Any], queue: str, function: str
) -> None:
    """Lambda's advice: visibility timeout >= 6 x the function timeout (+ the batching window,
    during which received messages are already invisible)."""
    resources = template["Resources"]
    visibility = resources[queue]["Properties"]["VisibilityTimeout"]
    timeout = resources[function]["Properties"]["Timeout"]
    (mapping,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    window = mapping.get("MaximumBatchingWindowInSeconds", 0)
    assert isinstance(visibility, int) and isinstance(timeout, int) and window >= 0
    assert visibility >= 6 * timeout + window


# -- Aurora auto-pause ---------------------------------------------------------------------------


def test_seconds_until_auto_pause_only_for_a_writer_that_may_pause(
    template: dict[str, Any],
) -> None:
    scaling = template["Resources"]["DbCluster"]["Properties"]["ServerlessV2ScalingConfiguration"]
    assert scaling["MinCapacity"] == {"Ref": "DbMinCapacity"}
    delay, otherwise = _if_branches(scaling["SecondsUntilAutoPause"], "DbAutoPause")
    assert 300 <= delay <= 86400 and otherwise == {"Ref": "AWS::NoValue"}
    assert template["Conditions"]["DbAutoPause"] == {"Fn::Equals": [{"Ref": "DbMinCapacity"}, "0"]}
    parameter = template["Parameters"]["DbMinCapacity"]
    assert parameter["Default"] == "0"  # dev may pause


@pytest.mark.parametrize(("stage", "minimum"), [("dev", "0"), ("loadtest", "0.5"), ("prod", "0.5")])
def test_the_minimum_capacity_parameter_follows_the_stage(
    packaged: Packaged, stage: str, minimum: str
) -> None:
    parameters = stage_config(stage)["resources"]["Parameters"]
    assert str(parameters["DbMinCapacity"]["Default"]) == minimum


# -- refused combinations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (("useRdsProxy=true",), "set dbMinCapacity to 0.5 or more"),
        (("clientDomainName=votes.example.com",), "clientDomainName needs clientCertificateArn"),
        (
            (
                "clientDomainName=votes.example.com",
                "clientCertificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/x",
            ),
            "in us-east-1",
        ),
        (("dbMaxCapacity=0.5",), "below 1 ACU"),
    ],
)
def test_stage_parameters_that_cannot_work_are_refused_before_deploying(
    packaged: Packaged, params: tuple[str, ...], message: str
) -> None:
    done = serverless_print("dev", *params)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr


def test_their_working_counterparts_resolve(packaged: Packaged) -> None:
    """Positive controls for the refusals above."""
    stage_config("dev", "useRdsProxy=true", "dbMinCapacity=0.5")
    stage_config(
        "dev",
        "clientDomainName=votes.example.com",
        "clientCertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/x",
    )
