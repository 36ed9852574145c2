"""Communications assurance: checks on every service of the event, and the state they imply."""
