"""Probes that run beside a runbook so RTO and RPO are measured, not estimated."""
