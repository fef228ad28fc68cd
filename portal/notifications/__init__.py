"""In-app notifications (消息): one row per message and recipient, kept, marked read."""
