"""The Northwind demo enterprise: its scorecard/v1 file (northwind.yaml) and the history it comes with."""
