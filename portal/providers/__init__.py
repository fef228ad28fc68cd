"""Training providers: plan filing (备案), qualified-trainee lists and courseware records."""
