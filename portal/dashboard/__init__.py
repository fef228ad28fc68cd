"""The unit's dashboard (004 第八条): the year's state of its people, and reminders."""
