"""The prompt files (`*.md`), package data so that an installed wheel has them too."""
