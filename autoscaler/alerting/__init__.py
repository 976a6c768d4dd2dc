"""autoscaler.alerting (see DESIGN.md)."""
