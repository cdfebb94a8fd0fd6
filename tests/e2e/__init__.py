"""End-to-end walks through the real HTTP API with every installed plugin enabled."""
