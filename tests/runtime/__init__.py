"""Tests of everything that runs besides a request: events, jobs, scheduler, mail, processes."""
