"""In-memory fakes of the ports, for tests without AWS or agencies."""
