"""drctl.probes"""
