"""The operations room: a live, bilingual web console over the other domains."""
