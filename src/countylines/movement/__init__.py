"""Violence and travel of the county lines: `countylines violence` and `countylines movement`."""
