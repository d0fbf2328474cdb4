"""AWS region names drctl accepts in plans: every region of every partition botocore knows.

The names come from botocore's `data/partitions.json`, read as a file so that validating a
plan does not import the AWS SDK.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema


def _partitions() -> list[dict[str, Any]]:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; drctl depends on it (through boto3)")
    data = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    partitions: list[dict[str, Any]] = json.loads(data.read_text(encoding="utf-8"))["partitions"]
    return partitions


_PARTITIONS = _partitions()
# `aws-global` and its kin are endpoint aliases, not regions a resource can live in.
AWS_REGIONS: frozenset[str] = frozenset(
    name for p in _PARTITIONS for name in p["regions"] if not name.endswith("-global")
)


PARTITIONS: frozenset[str] = frozenset(str(p["id"]) for p in _PARTITIONS)
"""ARN partitions (`aws`, `aws-cn`, `aws-us-gov`, ...), from the same data."""


def partition_of(region: str) -> str:
    """The ARN partition of `region` (`aws`, `aws-cn`, `aws-us-gov`, ...), from botocore's data."""
    return next((str(p["id"]) for p in _PARTITIONS if region in p["regions"]), "aws")


def dns_suffix(region: str) -> str:
    """The endpoints' domain in `region`'s partition (`amazonaws.com.cn` in China)."""
    found = (p for p in _PARTITIONS if region in p["regions"])
    return str(next(found, _PARTITIONS[0])["outputs"]["dnsSuffix"])


def check_region(name: str) -> str:
    """Accept a real AWS region name, or say which one was probably meant."""
    if name in AWS_REGIONS:
        return name
    close = difflib.get_close_matches(name, sorted(AWS_REGIONS), n=1)
    guess = f"; did you mean `{close[0]}`?" if close else ""
    raise ValueError(f"`{name}` is not an AWS region{guess}")


Region = Annotated[
    str,
    AfterValidator(check_region),
    WithJsonSchema({"type": "string", "enum": sorted(AWS_REGIONS)}),
]
