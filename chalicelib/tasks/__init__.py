"""Step Functions, schedule and queue entry points: parse the event, call one service method."""
