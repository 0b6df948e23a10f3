"""Running programs: the Session, variable store, executable caches and the numpy reference."""
