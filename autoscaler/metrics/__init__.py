"""autoscaler.metrics (see DESIGN.md)."""
