"""drctl.engine"""
