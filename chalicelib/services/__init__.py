"""Use cases: each orchestrates the domain and the ports and is the transaction boundary.

The API, the workflow tasks and the CLI call them; none of them knows about HTTP.
"""
