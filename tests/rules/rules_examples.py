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
    ("courseware", {}, 1),
]

# The year rows of the worked examples: (claims as JSON objects, counted flags, general,
# professional, total, compliant).
YEAR_EXAMPLES = [
    (
        [
            {"kind": "aid.assignment", "facts": {}, "subject": "professional"},
            {"kind": "training", "facts": {"days": 20}, "subject": "general"},
        ],
        [True, False],
        30, 60, 90, True,
    ),
    (
        [
            {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
            {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional"},
            {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
        ],
        [False, True, True],
        30, 50, 80, False,
    ),
    (
        [{"kind": "exam.qualification", "facts": {}, "subject": "professional"}],
        [True],
        0, 90, 90, True,
    ),
]  # fmt: skip
