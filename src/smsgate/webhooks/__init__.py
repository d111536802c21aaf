"""Webhooks: where they may go, how they are signed, how they are delivered."""
