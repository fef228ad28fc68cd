"""One-time form tokens: a create form sent twice (its first answer lost) is saved once."""
