"""The city officer's work across its counties in one place (issue 24.5): the senior-title
verifications sent for confirmation and the senior holders' yearly second steps."""
