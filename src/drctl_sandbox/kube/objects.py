"""Kubernetes object plumbing for the fake API server: resource types, selectors, patches, Status.

Objects are kept as the JSON the real API server sends, because that JSON is what the
fake serves; this module is the JSON edge, hence the `dict[str, Any]`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    """One API resource the fake serves: where it lives in the URL space and its kind."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def custom(self) -> bool:
        """Custom resources (CRDs) carry kind/apiVersion on list items; built-ins do not."""
        return "." in self.group


RESOURCE_TYPES = (
    ResourceType("", "v1", "pods", "Pod"),
    ResourceType("", "v1", "nodes", "Node", namespaced=False),
    ResourceType("", "v1", "services", "Service"),
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False),
    ResourceType("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ResourceType("apps", "v1", "deployments", "Deployment"),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet"),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet"),
    ResourceType("batch", "v1", "jobs", "Job"),
    ResourceType("external-secrets.io", "v1beta1", "externalsecrets", "ExternalSecret"),
    ResourceType("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization"),
    ResourceType("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease"),
)
BY_PATH = {(t.group, t.version, t.plural): t for t in RESOURCE_TYPES}
BY_PLURAL = {t.plural: t for t in RESOURCE_TYPES}


class KubeStatusError(Exception):
    """Raised inside the fake to answer a `Status` failure with an HTTP code."""

    def __init__(self, code: int, reason: str, message: str, details: Json | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> Json:
        body: Json = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def not_found(rtype: ResourceType, name: str) -> KubeStatusError:
    """The API server's 404 for a missing object."""
    details = {"name": name, "group": rtype.group, "kind": rtype.plural}
    return KubeStatusError(404, "NotFound", f'{rtype.plural} "{name}" not found', details)


_REQUIREMENT = re.compile(
    r"^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def _split_selector(selector: str) -> list[str]:
    """Split on commas that are not inside `in (...)` sets."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def label_selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Whether `labels` satisfy a label selector string (`a=b,c!=d,e in (f,g),!h,i`)."""
    for requirement in _split_selector(selector):
        match = _REQUIREMENT.match(requirement)
        if match is None:
            raise KubeStatusError(400, "BadRequest", f"unable to parse requirement: {requirement}")
        negate, key, op, value, set_op, values = match.groups()
        if not _requirement_holds(labels, key, negate, op, value, set_op, values):
            return False
    return True


def _requirement_holds(
    labels: Mapping[str, str],
    key: str,
    negate: str,
    op: str | None,
    value: str | None,
    set_op: str | None,
    values: str | None,
) -> bool:
    if set_op:
        members = {v.strip() for v in (values or "").split(",")}
        return (labels.get(key) in members) == (set_op == "in")
    if op:
        return (labels.get(key) == value) == (op != "!=")
    return (key in labels) != bool(negate)


def object_selector_matches(selector: Json | None, labels: Mapping[str, str]) -> bool:
    """Whether `labels` satisfy a LabelSelector object (matchLabels + matchExpressions)."""
    if not selector:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], set(expr.get("values") or [])
        holds = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not holds:
            return False
    return True


def field_selector_matches(selector: str, obj: Json) -> bool:
    """Whether `obj` satisfies a field selector (`spec.nodeName=x,status.phase!=Succeeded`)."""
    for requirement in _split_selector(selector):
        path, op, value = re.split(r"(!=|==|=)", requirement, maxsplit=1)
        actual: Any = obj
        for part in path.strip().split("."):
            actual = actual.get(part) if isinstance(actual, dict) else None
        if (str(actual or "") == value.strip()) == (op == "!="):
            return False
    return True


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (strategic merge is the same for the fields the fake patches)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Json, operations: list[Json]) -> Json:
    """RFC 6902 JSON patch: `add`, `replace` and `remove` on object members."""
    result = copy.deepcopy(target)
    for op in operations:
        *parents, leaf = [
            p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")
        ]
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if op["op"] in ("add", "replace"):
            node[leaf] = op["value"]
        elif op["op"] == "remove":
            node.pop(leaf, None)
        else:
            raise KubeStatusError(422, "Invalid", f"unsupported JSON patch op {op['op']!r}")
    return result
