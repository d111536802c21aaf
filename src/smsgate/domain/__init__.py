"""Pure logic: numbers, encodings, statuses. No I/O."""
