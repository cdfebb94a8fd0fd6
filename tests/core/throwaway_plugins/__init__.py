"""Throwaway plugin modules that the core's tests load through ``PC_EXTRA_PLUGINS``."""
