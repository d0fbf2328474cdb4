"""The web dashboard (`drctl serve`): server-rendered pages over the same state store as the CLI.

`tokens` holds the personal API tokens and their roles, `app.create_app` builds the
FastAPI application; pages, live run events, approvals, `/metrics` and notifications
each live in their own module.
"""
