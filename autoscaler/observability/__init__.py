"""autoscaler.observability (see DESIGN.md)."""
