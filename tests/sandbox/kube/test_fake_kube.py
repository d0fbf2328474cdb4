"""The fake Kubernetes API server answers with the real API's shapes and error codes."""

from __future__ import annotations

import httpx
import pytest

from drctl_sandbox.kube.api import FakeKubeApi
from drctl_sandbox.kube.objects import field_selector_matches, label_selector_matches


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("app=web", True),
        ("app==web,tier!=db", True),
        ("app in (web, api)", True),
        ("app notin (web)", False),
        ("tier", False),
        ("!tier", True),
        ("", True),
    ],
)
def test_label_selectors_follow_kubernetes_syntax(selector: str, matches: bool) -> None:
    assert label_selector_matches(selector, {"app": "web"}) is matches


def test_field_selectors_match_nested_fields() -> None:
    pod = {"spec": {"nodeName": "n1"}, "status": {"phase": "Running"}}
    assert field_selector_matches("spec.nodeName=n1,status.phase!=Succeeded", pod)
    assert not field_selector_matches("spec.nodeName=n2", pod)


def test_errors_are_status_objects_with_real_codes() -> None:
    with FakeKubeApi() as api:
        api.cluster.seed_cluster()
        auth = {"Authorization": f"Bearer {api.token}"}
        with httpx.Client(base_url=api.url, headers=auth) as http:
            missing = http.get("/api/v1/namespaces/my-app/pods/nope")
            unknown = http.get("/apis/example.com/v1/widgets")
            bad_patch = http.patch(
                "/api/v1/nodes/ip-10-0-1-10.ap-northeast-1.compute.internal",
                content=b"{}",
                headers={"Content-Type": "application/json"},
            )
            listing = http.get(
                "/api/v1/nodes",
                params={"labelSelector": "topology.kubernetes.io/zone=ap-northeast-1c"},
            )
        anonymous = httpx.get(f"{api.url}/api/v1/pods")
    assert missing.status_code == 404 and missing.json()["message"] == 'pods "nope" not found'
    assert missing.json()["kind"] == "Status" and missing.json()["reason"] == "NotFound"
    assert unknown.status_code == 404
    assert bad_patch.status_code == 415 and bad_patch.json()["reason"] == "UnsupportedMediaType"
    assert anonymous.status_code == 401 and anonymous.json()["reason"] == "Unauthorized"
    body = listing.json()
    assert body["kind"] == "NodeList" and [n["metadata"]["name"] for n in body["items"]] == [
        "ip-10-0-2-10.ap-northeast-1.compute.internal"
    ]
    assert "kind" not in body["items"][0]  # built-in list items carry no kind, as on a real server


def test_load_balancer_hostnames_are_in_the_clusters_region() -> None:
    with FakeKubeApi() as api:
        api.cluster.seed_cluster(region="ap-southeast-1", zones=("ap-southeast-1a",))
        auth = {"Authorization": f"Bearer {api.token}"}
        with httpx.Client(base_url=api.url, headers=auth) as http:
            svc = http.get("/api/v1/namespaces/my-app/services/web").json()
    host = svc["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert host.endswith(".ap-southeast-1.elb.amazonaws.com"), host
