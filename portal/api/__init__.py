"""The read-only pull API under /api/v1/ (portal.api.views) and its OpenAPI document."""
