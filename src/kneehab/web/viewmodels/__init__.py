"""View-models: one pydantic model per page, served as HTML by the page route and as JSON by its API twin.

Every clinical choice about what to show is made here (from domain values), never in a template.
"""
