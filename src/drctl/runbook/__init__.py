"""Runbooks: DAGs of small idempotent steps, compiled from a plan or written by hand."""
