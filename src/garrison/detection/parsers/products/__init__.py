"""Product parsers: what one daemon's messages mean, after the envelope is split off."""
