"""drctl.sandbox"""
