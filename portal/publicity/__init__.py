"""The bureau officer's publicity pages: batches, closing, objections (the public side is board)."""
