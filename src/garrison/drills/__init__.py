"""Drills (diễn tập): injects at time offsets, marked as drills everywhere, and scored."""
