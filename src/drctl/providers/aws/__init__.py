"""drctl.providers.aws"""
