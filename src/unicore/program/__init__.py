"""The program stage: building the application itself (toolchain, external projects, fetching sources)."""
