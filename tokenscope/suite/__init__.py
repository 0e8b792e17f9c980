"""Prompt suites: the study's 19 prompts or a user's own, run N times and graded."""
