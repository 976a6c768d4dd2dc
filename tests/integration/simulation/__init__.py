"""Integration tests of autoscaler simulate: the replay on the emulator, its files and its CLI."""
