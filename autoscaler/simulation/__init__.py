"""autoscaler.simulation (see DESIGN.md)."""
