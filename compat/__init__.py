"""The differential suite against the official xpander-sdk 2.0.537 (`make compat`, `python -m compat`)."""
