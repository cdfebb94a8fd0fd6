"""The activity plugin's decisions, one module per concern; routes, jobs and listeners call these."""
