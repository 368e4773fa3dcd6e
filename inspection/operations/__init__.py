"""Operations: the only code that writes. Each takes the acting user, flushes,
appends an event-log record and returns; none commits."""
