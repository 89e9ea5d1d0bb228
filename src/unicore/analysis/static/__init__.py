"""Static analysis: what an ELF and its library closure can call, read from the files alone."""
