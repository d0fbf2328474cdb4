"""Rendered IaC files: what they are, how they are dumped stably, and where they are written."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import field_validator

from drctl.errors import PlanError
from drctl.model import Strict

_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class Kind(StrEnum):
    """Families of rendered files; `drctl iac render --only KIND` picks one."""

    EKSCTL = "eksctl"
    ROUTE53 = "route53"
    CHANGE_BATCH = "change-batch"
    S3 = "s3"
    GITOPS = "gitops"
    TERRAFORM = "terraform"
    IAM = "iam"


class RenderedFile(Strict):
    """One output file: a relative POSIX path, its family and its exact text."""

    path: str
    kind: Kind
    content: str
    note: str = ""
    """Said beside the file when it is written (what it leaves out); JSON has no comments."""

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = PurePosixPath(value).parts
        if value.startswith("/") or ".." in parts or not parts:
            raise ValueError(f"`{value}` must be a relative path inside the output directory")
        return value

    @property
    def variables(self) -> tuple[str, ...]:
        """`${NAME}` placeholders left for the deployer (envsubst), sorted."""
        return tuple(sorted(set(_VARIABLE.findall(self.content))))


def to_json(document: Any) -> str:
    """JSON with sorted keys and a final newline, so files diff cleanly."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_yaml(*documents: Any) -> str:
    """YAML in the order the data was built (which is deterministic), documents separated by ---."""
    return "---\n".join(
        yaml.safe_dump(d, sort_keys=False, default_flow_style=False, width=1000) for d in documents
    )


def safe_relative(path: str, where: str) -> str:
    """A plan-supplied output path, refused when it would escape the output directory."""
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts or not parts:
        raise PlanError(
            f"`{path}` is not a relative path inside the output directory",
            hint="use a path such as iac/eks-cluster.yaml",
            where=where,
        )
    return path


def write_files(files: list[RenderedFile], out_dir: Path) -> list[Path]:
    """Write every file under `out_dir` (creating folders); return the paths written."""
    written: list[Path] = []
    for file in files:
        target = out_dir / file.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.content, encoding="utf-8")
        except OSError as exc:
            raise PlanError(
                f"cannot write {target}: {exc.strerror}", hint="check the output directory"
            ) from exc
        written.append(target)
    return written
