"""autoscaler.controller (see DESIGN.md)."""
