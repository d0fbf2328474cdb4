"""drctl.report"""
