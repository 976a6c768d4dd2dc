"""autoscaler.emulator (see DESIGN.md)."""
