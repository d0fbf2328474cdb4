"""AWS region names drctl accepts in plans (commercial, GovCloud and China partitions)."""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

AWS_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
        "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
        "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
        "us-west-2", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
    }
)  # fmt: skip


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
