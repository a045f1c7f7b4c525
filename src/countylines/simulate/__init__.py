"""Synthetic case generation. `region` holds the simulator's built-in geography (towns, hubs, rail
and roads); the seeded agent-based simulator that uses it comes later."""
