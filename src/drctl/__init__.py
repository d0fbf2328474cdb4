"""drctl: disaster recovery as code for AWS EKS workloads."""

from drctl.errors import DrctlError
from drctl.plan.advise import Advice, advise
from drctl.plan.load import load_plan
from drctl.plan.model import Plan, Scenario, Strategy

__all__ = [
    "Advice",
    "DrctlError",
    "Plan",
    "Scenario",
    "Strategy",
    "__version__",
    "advise",
    "load_plan",
]

__version__ = "0.1.0"
