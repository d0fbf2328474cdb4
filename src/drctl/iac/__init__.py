"""Infrastructure code rendered from the plan (eksctl, CloudFormation, change batches, S3
replication, ArgoCD/Flux, Terraform) and drift of the live estate from it."""

from drctl.iac.context import RenderContext
from drctl.iac.drift import Difference, DriftReport, detect_drift
from drctl.iac.files import Kind, RenderedFile, write_files
from drctl.iac.render import render

__all__ = [
    "Difference",
    "DriftReport",
    "Kind",
    "RenderContext",
    "RenderedFile",
    "detect_drift",
    "render",
    "write_files",
]
