"""drctl.audit"""
