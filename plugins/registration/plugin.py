"""Hook implementations of this plugin (filled in by its issue)."""
