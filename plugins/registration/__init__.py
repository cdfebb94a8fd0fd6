"""Registration plugin: partner self-registration, e-mail verification, onboarding, activation."""
__version__ = "1.0.0"
NAME = "registration"
REQUIRES = {"pc_app": ">=1,<2"}
