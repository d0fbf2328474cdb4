"""Tests of the Kubernetes actions against the fake API server."""
