"""The instance's storage: whether the database and the instance folder can still be written."""
