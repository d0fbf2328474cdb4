"""Kubernetes actions (`k8s.*`): readiness, nodes per AZ, AZ drain and uncordon, External Secrets, evidence."""
