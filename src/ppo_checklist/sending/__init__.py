"""ppo send: the outbox (each message once) and the channels that hand messages over."""
