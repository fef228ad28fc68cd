"""The worked examples of spec/rules.md (anhui-2025), shared by the year and CLI tests."""

# (kind, facts, hours or "FULL") — the single-claim rows of the worked examples.
SINGLE_EXAMPLES = [
    ("award.national", {"grade": "second", "rank": 1}, "FULL"),
    ("award.national", {"grade": "third", "rank": 3}, 44),
    ("award.provincial", {"grade": "first", "rank": 4}, 50),
    ("award.provincial", {"grade": "third", "rank": 11}, 0),
    ("patent.utility", {"rank": 2}, 37),
    ("overseas.training", {"days": 20}, 90),
    ("overseas.training", {"days": 2, "half_days": 1}, 15),
    ("paper.ei", {"role": "corresponding"}, 40),
    ("project", {"level": "province", "role": "participant", "completed": True}, 10),
    ("project", {"level": "other", "role": "participant", "completed": True}, 0),
    ("report", {"level": "city", "rank": 2}, 17),
    ("conference", {"paper_chars": 2400}, 18),
    ("courseware", {"minutes": 100}, 2),
]
