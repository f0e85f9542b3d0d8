"""Application services: api-agnostic functions the API, the workflow and the CLI call."""
