"""The prompt files, shipped inside the package as `assistant.prompt_files` (see pyproject)."""
