"""The relay: committed events of the log published to EventBridge, at least once."""
