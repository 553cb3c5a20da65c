"""Platform-neutral dialog engine: flows are YAML data, steps produce neutral prompts."""
