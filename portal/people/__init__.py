"""A person's record over time for staff and the command line: titles, employment, years."""
