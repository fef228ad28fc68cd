"""Jurisdictions: province → city → county (GB/T 2260 codes), and the one place that keeps each
officer's queries inside their own (scope.py)."""
