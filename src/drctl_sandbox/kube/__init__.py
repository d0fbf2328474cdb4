"""Simulated Kubernetes and ArgoCD API servers: the real JSON shapes, a simulated cluster behind them."""
