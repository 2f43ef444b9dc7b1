"""The local identity provider: one Cognito user pool and app client, speaking Cognito's own
JSON protocol (local app only)."""
