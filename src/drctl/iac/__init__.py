"""drctl.iac"""
