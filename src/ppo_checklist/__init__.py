"""ppo: post-sale follow-up (ППО) for travel agencies."""

__version__ = "0.2.0"
