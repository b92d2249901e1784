"""The exercise templates: text files that ``exercises start`` copies (package data, not code)."""
