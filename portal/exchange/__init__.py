"""Exchange with the provincial system (004 第十六条): export a year's registered records,
import people and units from the bureau's roster."""
