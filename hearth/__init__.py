"""Hearth: the direct-to-consumer platform of a connected-home hardware maker."""
