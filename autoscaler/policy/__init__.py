"""autoscaler.policy (see DESIGN.md)."""
