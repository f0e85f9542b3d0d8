"""Step Functions and schedule entry points: parse the input, call one service, return plain JSON."""
