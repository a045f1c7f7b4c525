"""The POLE network of a case: graph, communities, key players and exports (docs/network.md)."""
