"""HTTP blueprints: parse (pydantic) -> call one service -> serialise. No business rules here."""
