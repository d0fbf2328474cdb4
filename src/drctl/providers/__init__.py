"""Providers: the actions that read and change the outside world (AWS, Kubernetes, HTTP, shell)."""
