"""Tests of the ArgoCD actions against the fake ArgoCD server."""
