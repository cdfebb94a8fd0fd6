"""A throwaway plugin with no hooks: enabling only it keeps these tests off the feature plugins."""
NAME = "runtime_quiet"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}
