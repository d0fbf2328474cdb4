"""Readiness checks: static rules over the plan and live reads of the estate."""
