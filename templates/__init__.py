"""The playbooks shipped with ppo (TOML files under playbooks/)."""
