"""Statistics (004 第十三条): people, hours, content and form of study for a year."""
