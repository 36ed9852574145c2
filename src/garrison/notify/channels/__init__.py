"""The ways a notification reaches a person: one module per channel, one small interface."""
